; Accesses (and memory intrinsics) marked !nosanitize belong to other
; instrumentation (e.g. a sanitizer's own shadow accesses): left alone.
; RUN: %opt -passes='tagsan<stats>' -S %s 2>%t.stats | opt -passes=verify -S | FileCheck %s
; RUN: FileCheck --check-prefix=STATS %s < %t.stats

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define void @f(ptr %p, i64 %n)
define void @f(ptr %p, i64 %n) {
; CHECK-NEXT: load i32, ptr %p, align 4, !nosanitize
  %a = load i32, ptr %p, align 4, !nosanitize !0
; CHECK-NEXT: store i32 %a, ptr %p, align 4, !nosanitize
  store i32 %a, ptr %p, align 4, !nosanitize !0
; CHECK-NEXT: call void @llvm.memset.p0.i64({{.*}}), !nosanitize
  call void @llvm.memset.p0.i64(ptr %p, i8 0, i64 %n, i1 false), !nosanitize !0
; Without the metadata: checked.
; CHECK:      call void @__hwasan_load4(
; CHECK-NEXT: load i32, ptr %p, align 4{{$}}
  %b = load i32, ptr %p, align 4
  ret void
}

; STATS: instrumented loads=1 stores=0 atomics=0 memintrinsics=0
; STATS: skipped accesses nosanitize=3 addrspace=0

declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
!0 = !{}
