; Only address space 0 is memory the runtime tags (x86 addrspace 256/257 are
; %gs/%fs-relative, GPU spaces etc.): other address spaces are left alone.
; RUN: %opt -passes='tagsan<stats>' -S %s 2>%t.stats | opt -passes=verify -S | FileCheck %s
; RUN: FileCheck --check-prefix=STATS %s < %t.stats

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define void @f(ptr addrspace(256) %gs, ptr addrspace(1) %p1, ptr %p)
define void @f(ptr addrspace(256) %gs, ptr addrspace(1) %p1, ptr %p) {
; CHECK-NEXT: load i64, ptr addrspace(256) %gs
  %a = load i64, ptr addrspace(256) %gs, align 8
; CHECK-NEXT: store i32 0, ptr addrspace(1) %p1
  store i32 0, ptr addrspace(1) %p1, align 4
; CHECK-NEXT: atomicrmw add ptr addrspace(1) %p1
  %x = atomicrmw add ptr addrspace(1) %p1, i32 1 seq_cst, align 4
; CHECK-NEXT: call void @llvm.memcpy.p1.p0.i64(
  call void @llvm.memcpy.p1.p0.i64(ptr addrspace(1) %p1, ptr %p, i64 4, i1 false)
; CHECK:      call void @__hwasan_load8(
; CHECK-NEXT: load i64, ptr %p
  %b = load i64, ptr %p, align 8
  ret void
}

; STATS: instrumented loads=1 stores=0 atomics=0 memintrinsics=0
; STATS: skipped accesses nosanitize=0 addrspace=4

declare void @llvm.memcpy.p1.p0.i64(ptr addrspace(1), ptr, i64, i1)
