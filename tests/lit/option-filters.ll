; no-reads / no-writes: the other kind is still checked; the skipped ones
; are counted as by-option.
; RUN: %opt -passes='tagsan<no-reads;stats>' -S %s 2>%t.r | opt -passes=verify -S | FileCheck --check-prefix=NOREADS %s
; RUN: FileCheck --check-prefix=NOREADS-STATS %s < %t.r
; RUN: %opt -passes='tagsan<no-writes>' -S %s | opt -passes=verify -S | FileCheck --check-prefix=NOWRITES %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

define void @f(ptr %p) {
; NOREADS-NOT:  __hwasan_load
; NOREADS:      call void @__hwasan_store4(
; NOWRITES:     call void @__hwasan_load4(
; NOWRITES-NOT: __hwasan_store
  %v = load i32, ptr %p, align 4
  store i32 %v, ptr %p, align 4
  ret void
}

; NOREADS-STATS: instrumented loads=0 stores=1
; NOREADS-STATS: by-option=1
