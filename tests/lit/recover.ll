; recover: the _noabort checks (report and continue). Memory intrinsic
; callbacks have no _noabort variant in the ABI: unchanged.
; RUN: %opt -passes='tagsan<recover>' -S %s | opt -passes=verify -S | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define void @f(ptr %p, i64 %n)
define void @f(ptr %p, i64 %n) {
; CHECK:      call void @__hwasan_load4_noabort(i64
  %a = load i32, ptr %p, align 4
; CHECK:      call void @__hwasan_store16_noabort(i64
  store <4 x i32> zeroinitializer, ptr %p, align 16
; CHECK:      call void @__hwasan_loadN_noabort(i64 {{.*}}, i64 3)
  %b = load i24, ptr %p, align 1
; CHECK:      call void @__hwasan_storeN_noabort(i64 {{.*}}, i64 8)
  store i64 0, ptr %p, align 2
; CHECK:      call void @__hwasan_store8_noabort(i64
  %x = atomicrmw or ptr %p, i64 1 monotonic, align 8
; CHECK:      call ptr @__hwasan_memset(ptr %p, i32 0, i64 %n)
  call void @llvm.memset.p0.i64(ptr %p, i8 0, i64 %n, i1 false)
  ret void
}
; CHECK-NOT: @__hwasan_load4(
; CHECK-NOT: @__hwasan_store16(

declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
