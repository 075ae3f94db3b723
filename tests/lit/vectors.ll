; Fixed vectors are checked by their store size; scalable vectors (size
; unknown at compile time) are skipped and counted as unsupported.
; RUN: %opt -passes='tagsan<stats>' -S %s 2>%t.stats | opt -passes=verify -S | FileCheck %s
; RUN: FileCheck --check-prefix=STATS %s < %t.stats

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define void @vectors(ptr %p)
define void @vectors(ptr %p) {
; CHECK:      call void @__hwasan_load16(i64
; CHECK-NEXT: load <4 x i32>
  %a = load <4 x i32>, ptr %p, align 16
; CHECK:      call void @__hwasan_load8(i64
; CHECK-NEXT: load <2 x float>
  %b = load <2 x float>, ptr %p, align 8
; CHECK:      call void @__hwasan_storeN(i64 {{.*}}, i64 32)
; CHECK-NEXT: store <8 x i32>
  store <8 x i32> zeroinitializer, ptr %p, align 32
; <3 x i32> stores 12 bytes.
; CHECK:      call void @__hwasan_storeN(i64 {{.*}}, i64 12)
; CHECK-NEXT: store <3 x i32>
  store <3 x i32> zeroinitializer, ptr %p, align 16
  ret void
}

; CHECK-LABEL: define void @scalable(ptr %p)
; CHECK-NOT:   call void @__hwasan
; CHECK:       ret void
define void @scalable(ptr %p) {
  %v = load <vscale x 4 x i32>, ptr %p, align 16
  store <vscale x 4 x i32> %v, ptr %p, align 16
  ret void
}

; STATS: tagsan: module '{{.*}}vectors.ll': instrumented loads=2 stores=2 atomics=0 memintrinsics=0
; STATS: skipped accesses {{.*}} scalable=2
