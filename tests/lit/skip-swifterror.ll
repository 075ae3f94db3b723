; swifterror values may only be loaded and stored directly (the verifier
; forbids passing them to our check): left alone.
; RUN: %opt -passes='tagsan<stats>' -S %s 2>%t.stats | opt -passes=verify -S | FileCheck %s
; RUN: FileCheck --check-prefix=STATS %s < %t.stats

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define void @callee(ptr swifterror %err, ptr %p)
define void @callee(ptr swifterror %err, ptr %p) {
; CHECK-NEXT: %e = load ptr, ptr %err
  %e = load ptr, ptr %err, align 8
; CHECK-NEXT: store ptr null, ptr %err
  store ptr null, ptr %err, align 8
; CHECK:      call void @__hwasan_store8(
; CHECK-NEXT: store ptr %e, ptr %p
  store ptr %e, ptr %p, align 8
  ret void
}

; STATS: instrumented loads=0 stores=1
; STATS: skipped accesses {{.*}} swifterror=2
