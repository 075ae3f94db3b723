; Sizes that are not a power of two, or larger than 16 bytes, use the
; sized checks __hwasan_{load,store}N(i64 addr, i64 size).
; RUN: %opt -passes=tagsan -S %s | opt -passes=verify -S | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define void @odd_sizes(ptr %p)
define void @odd_sizes(ptr %p) {
; CHECK:      [[A:%.*]] = ptrtoint ptr %p to i64
; CHECK-NEXT: call void @__hwasan_loadN(i64 [[A]], i64 3)
; CHECK-NEXT: load i24
  %a = load i24, ptr %p, align 4
; x86_fp80 stores 10 bytes.
; CHECK:      call void @__hwasan_loadN(i64 {{.*}}, i64 10)
; CHECK-NEXT: load x86_fp80
  %b = load x86_fp80, ptr %p, align 16
; CHECK:      call void @__hwasan_storeN(i64 {{.*}}, i64 32)
; CHECK-NEXT: store i256
  store i256 0, ptr %p, align 16
; CHECK:      call void @__hwasan_storeN(i64 {{.*}}, i64 5)
; CHECK-NEXT: store i40
  store i40 0, ptr %p, align 1
  ret void
}

; CHECK-DAG: declare void @__hwasan_loadN(i64, i64) #{{[0-9]+}}
; CHECK-DAG: declare void @__hwasan_storeN(i64, i64) #{{[0-9]+}}
