; The fixed-size checks are used only when the access cannot straddle a
; 16-byte granule unnoticed: alignment >= 16 or >= the access size (as
; LLVM's HWAddressSanitizer::instrumentMemAccess). Otherwise: the N check.
; RUN: %opt -passes=tagsan -S %s | opt -passes=verify -S | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define void @alignment(ptr %p)
define void @alignment(ptr %p) {
; Under-aligned: sized check with the real size.
; CHECK:      call void @__hwasan_loadN(i64 {{.*}}, i64 8)
; CHECK-NEXT: load i64, ptr %p, align 4
  %a = load i64, ptr %p, align 4
; CHECK:      call void @__hwasan_storeN(i64 {{.*}}, i64 4)
; CHECK-NEXT: store i32 0, ptr %p, align 1
  store i32 0, ptr %p, align 1
; CHECK:      call void @__hwasan_loadN(i64 {{.*}}, i64 16)
; CHECK-NEXT: load i128, ptr %p, align 8
  %b = load i128, ptr %p, align 8
; A byte is always aligned enough.
; CHECK:      call void @__hwasan_load1(i64
; CHECK-NEXT: load i8, ptr %p, align 1
  %c = load i8, ptr %p, align 1
; Over-aligned is fine.
; CHECK:      call void @__hwasan_load4(i64
; CHECK-NEXT: load i32, ptr %p, align 16
  %d = load i32, ptr %p, align 16
  ret void
}
