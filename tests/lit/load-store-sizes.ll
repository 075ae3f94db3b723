; Loads and stores of 1, 2, 4, 8 and 16 bytes, naturally aligned, get the
; fixed-size checks __hwasan_{load,store}{1,2,4,8,16}(i64 addr), right
; before the access.
; RUN: %opt -passes=tagsan -S %s | opt -passes=verify -S | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define void @sizes(ptr %p)
define void @sizes(ptr %p) {
; CHECK:      [[A:%.*]] = ptrtoint ptr %p to i64
; CHECK-NEXT: call void @__hwasan_load1(i64 [[A]])
; CHECK-NEXT: %v1 = load i8, ptr %p, align 1
  %v1 = load i8, ptr %p, align 1
; CHECK:      call void @__hwasan_load2(i64
; CHECK-NEXT: %v2 = load i16
  %v2 = load i16, ptr %p, align 2
; CHECK:      call void @__hwasan_load4(i64
; CHECK-NEXT: %v4 = load i32
  %v4 = load i32, ptr %p, align 4
; CHECK:      call void @__hwasan_load8(i64
; CHECK-NEXT: %v8 = load i64
  %v8 = load i64, ptr %p, align 8
; CHECK:      call void @__hwasan_load16(i64
; CHECK-NEXT: %v16 = load i128
  %v16 = load i128, ptr %p, align 16
; CHECK:      call void @__hwasan_load8(i64
; CHECK-NEXT: %d = load double
  %d = load double, ptr %p, align 8
; CHECK:      call void @__hwasan_load8(i64
; CHECK-NEXT: %q = load ptr
  %q = load ptr, ptr %p, align 8
; i1 has a store size of one byte.
; CHECK:      call void @__hwasan_load1(i64
; CHECK-NEXT: %b = load i1
  %b = load i1, ptr %p, align 1
; CHECK:      call void @__hwasan_store1(i64
; CHECK-NEXT: store i8
  store i8 %v1, ptr %p, align 1
; CHECK:      call void @__hwasan_store2(i64
; CHECK-NEXT: store i16
  store i16 %v2, ptr %p, align 2
; CHECK:      call void @__hwasan_store4(i64
; CHECK-NEXT: store i32
  store i32 %v4, ptr %p, align 4
; CHECK:      call void @__hwasan_store8(i64
; CHECK-NEXT: store i64
  store i64 %v8, ptr %p, align 8
; CHECK:      call void @__hwasan_store16(i64
; CHECK-NEXT: store i128
  store i128 %v16, ptr %p, align 16
; CHECK:      call void @__hwasan_store4(i64
; CHECK-NEXT: store float
  store float 1.0, ptr %p, align 4
; CHECK:      call void @__hwasan_store8(i64
; CHECK-NEXT: store ptr
  store ptr %q, ptr %p, align 8
  ret void
}

; The checks are declared nounwind: they never throw, so they are plain
; calls wherever they go.
; CHECK-DAG: declare void @__hwasan_load1(i64) [[NOUNWIND:#[0-9]+]]
; CHECK-DAG: declare void @__hwasan_store16(i64) [[NOUNWIND]]
; CHECK-DAG: attributes [[NOUNWIND]] = { nounwind }
