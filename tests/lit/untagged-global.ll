; Heap-only tagging never tags globals: an access provably inside a global
; variable (constant offset, offset + size within its size) is not checked.
; Out of bounds or variable offsets may reach the heap: checked.
; RUN: %opt -passes='tagsan<stats>' -S %s 2>%t.stats | opt -passes=verify -S | FileCheck %s
; RUN: FileCheck --check-prefix=STATS %s < %t.stats

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@arr = global [4 x i32] zeroinitializer, align 16
@ext = external global i64
@tls = thread_local global i32 0

; CHECK-LABEL: define i32 @globals(i64 %i)
define i32 @globals(i64 %i) {
; CHECK-NOT:  call void @__hwasan
; CHECK:      %a = load i32, ptr @arr
  %a = load i32, ptr @arr, align 16
; CHECK-NEXT: %b = load i32, ptr getelementptr inbounds ([4 x i32], ptr @arr, i64 0, i64 3)
  %b = load i32, ptr getelementptr inbounds ([4 x i32], ptr @arr, i64 0, i64 3), align 4
; CHECK-NEXT: store i64 0, ptr @ext
  store i64 0, ptr @ext, align 8
; CHECK-NEXT: store i32 1, ptr @tls
  store i32 1, ptr @tls, align 4
; Whole-object access.
; CHECK-NEXT: %w = load i128, ptr @arr
  %w = load i128, ptr @arr, align 16

; One past the end: checked.
; CHECK:      call void @__hwasan_load4(i64 ptrtoint (ptr getelementptr (i8, ptr @arr, i64 16) to i64))
; CHECK-NEXT: %c = load i32, ptr getelementptr (i8, ptr @arr, i64 16)
  %c = load i32, ptr getelementptr (i8, ptr @arr, i64 16), align 4
; Straddling the end: checked.
; CHECK:      call void @__hwasan_loadN(
; CHECK-NEXT: %d = load i64, ptr getelementptr (i8, ptr @arr, i64 12)
  %d = load i64, ptr getelementptr (i8, ptr @arr, i64 12), align 4
; Variable index: checked.
; CHECK:      %p = getelementptr [4 x i32], ptr @arr, i64 0, i64 %i
; CHECK-NEXT: ptrtoint
; CHECK-NEXT: call void @__hwasan_load4(
  %p = getelementptr [4 x i32], ptr @arr, i64 0, i64 %i
  %e = load i32, ptr %p, align 4
  ret i32 %e
}

; STATS: instrumented loads=3 stores=0
; STATS: skipped accesses {{.*}} stack=0 global=5
