; Heap-only tagging never tags stack slots: an access provably inside an
; alloca (through casts and constant GEPs, offset + size within the slot)
; is not checked. Out of bounds, variable offsets and dynamic allocas are.
; RUN: %opt -passes='tagsan<stats>' -S %s 2>%t.stats | opt -passes=verify -S | FileCheck %s
; RUN: FileCheck --check-prefix=STATS %s < %t.stats

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%struct = type { i32, [4 x i64] }

; CHECK-LABEL: define void @stack(i64 %i, i64 %n)
define void @stack(i64 %i, i64 %n) {
  %buf = alloca [16 x i8], align 16
  %s = alloca %struct, align 8
  %two = alloca i32, i32 2, align 4
; CHECK-NOT: call void @__hwasan
; CHECK:     store i8 0, ptr %buf
  store i8 0, ptr %buf, align 16
; CHECK-NEXT: %e = getelementptr inbounds i8, ptr %buf, i64 8
; CHECK-NEXT: store i64 0, ptr %e
  %e = getelementptr inbounds i8, ptr %buf, i64 8
  store i64 0, ptr %e, align 8
; Last element of a struct field, via a struct GEP: in bounds (offset 32 + 8 = 40).
; CHECK-NEXT: %f = getelementptr inbounds %struct, ptr %s, i64 0, i32 1, i64 3
; CHECK-NEXT: store i64 0, ptr %f
  %f = getelementptr inbounds %struct, ptr %s, i64 0, i32 1, i64 3
  store i64 0, ptr %f, align 8
; Array alloca of two i32: the second is in bounds.
; CHECK-NEXT: %t = getelementptr i32, ptr %two, i64 1
; CHECK-NEXT: store i32 0, ptr %t
  %t = getelementptr i32, ptr %two, i64 1
  store i32 0, ptr %t, align 4

; Straddles the end (offset 12 + 8 > 16): checked.
; CHECK:      %oob = getelementptr i8, ptr %buf, i64 12
; CHECK-NEXT: ptrtoint
; CHECK-NEXT: call void @__hwasan_storeN(i64 {{.*}}, i64 8)
  %oob = getelementptr i8, ptr %buf, i64 12
  store i64 0, ptr %oob, align 4
; Negative offset: checked.
; CHECK:      %neg = getelementptr i8, ptr %buf, i64 -1
; CHECK-NEXT: ptrtoint
; CHECK-NEXT: call void @__hwasan_store1(
  %neg = getelementptr i8, ptr %buf, i64 -1
  store i8 0, ptr %neg, align 1
; Variable offset: checked.
; CHECK:      %var = getelementptr i8, ptr %buf, i64 %i
; CHECK-NEXT: ptrtoint
; CHECK-NEXT: call void @__hwasan_store1(
  %var = getelementptr i8, ptr %buf, i64 %i
  store i8 0, ptr %var, align 1
; Dynamic alloca: size unknown, checked.
; CHECK:      %dyn = alloca i8, i64 %n
; CHECK-NEXT: ptrtoint
; CHECK-NEXT: call void @__hwasan_store1(
  %dyn = alloca i8, i64 %n, align 1
  store i8 0, ptr %dyn, align 1
  ret void
}

; STATS: instrumented loads=0 stores=4
; STATS: skipped accesses {{.*}} stack=4 global=0
