; Loads and stores of whole structs and arrays are checked by their store
; size, like any other access.
; RUN: %opt -passes=tagsan -S %s | opt -passes=verify -S | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%pair = type { i32, i32 }
%mixed = type { i8, i64 }

; CHECK-LABEL: define void @aggregates(ptr %p, ptr %q)
define void @aggregates(ptr %p, ptr %q) {
; CHECK:      call void @__hwasan_load8(i64
; CHECK-NEXT: load %pair, ptr %p, align 8
  %a = load %pair, ptr %p, align 8
; Natural struct alignment (4) is less than its size (8): sized check.
; CHECK:      call void @__hwasan_loadN(i64 {{.*}}, i64 8)
; CHECK-NEXT: load %pair, ptr %p, align 4
  %a4 = load %pair, ptr %p, align 4
; CHECK:      call void @__hwasan_store16(i64
; CHECK-NEXT: store %mixed
  store %mixed zeroinitializer, ptr %q, align 16
; CHECK:      call void @__hwasan_loadN(i64 {{.*}}, i64 12)
; CHECK-NEXT: load [3 x i32]
  %b = load [3 x i32], ptr %p, align 4
; CHECK:      call void @__hwasan_storeN(i64 {{.*}}, i64 40)
; CHECK-NEXT: store [5 x i64]
  store [5 x i64] zeroinitializer, ptr %q, align 8
  ret void
}
