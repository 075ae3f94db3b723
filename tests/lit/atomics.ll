; atomicrmw and cmpxchg read and write: checked as writes, sized by the
; value (atomicrmw) or compare operand (cmpxchg). no-atomics leaves them.
; RUN: %opt -passes=tagsan -S %s | opt -passes=verify -S | FileCheck %s
; RUN: %opt -passes='tagsan<no-atomics>' -S %s | opt -passes=verify -S | FileCheck --check-prefix=OFF %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define i32 @atomics(ptr %p, ptr %q)
; OFF-LABEL:   define i32 @atomics(ptr %p, ptr %q)
define i32 @atomics(ptr %p, ptr %q) {
; CHECK:      [[A:%.*]] = ptrtoint ptr %p to i64
; CHECK-NEXT: call void @__hwasan_store4(i64 [[A]])
; CHECK-NEXT: %old = atomicrmw add ptr %p, i32 1 seq_cst
  %old = atomicrmw add ptr %p, i32 1 seq_cst, align 4
; CHECK:      call void @__hwasan_store8(i64
; CHECK-NEXT: atomicrmw xchg ptr %q, ptr null
  %x = atomicrmw xchg ptr %q, ptr null acquire, align 8
; CHECK:      [[B:%.*]] = ptrtoint ptr %q to i64
; CHECK-NEXT: call void @__hwasan_store8(i64 [[B]])
; CHECK-NEXT: cmpxchg ptr %q, i64 0, i64 1
  %pair = cmpxchg ptr %q, i64 0, i64 1 seq_cst monotonic, align 8
; CHECK:      call void @__hwasan_store2(i64
; CHECK-NEXT: cmpxchg weak ptr %p, i16
  %w = cmpxchg weak ptr %p, i16 0, i16 1 seq_cst monotonic, align 2
; Atomic loads and stores are plain loads and stores.
; CHECK:      call void @__hwasan_load4(i64
; CHECK-NEXT: load atomic i32
  %l = load atomic i32, ptr %p acquire, align 4
; OFF-NOT:    call void @__hwasan_store
; OFF:        call void @__hwasan_load4(i64
; OFF-NEXT:   load atomic i32
  ret i32 %l
}
