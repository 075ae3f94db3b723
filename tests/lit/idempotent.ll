; Running the pass twice instruments once: the module is marked with
; !tagsan.instrumented and a marked module is left alone (clang/rustc must
; never instrument a module twice, e.g. across LTO phases).
; RUN: %opt -passes='tagsan,tagsan' -S %s | opt -passes=verify -S | FileCheck %s
; RUN: %opt -passes=tagsan -S %s | %opt -passes='tagsan<stats>' -S 2>%t.stats | FileCheck %s
; RUN: count 0 < %t.stats

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define i32 @f(ptr %p)
; CHECK-NEXT:  ptrtoint
; CHECK-NEXT:  call void @__hwasan_load4(
; CHECK-NEXT:  load i32
; CHECK-NEXT:  ret i32
define i32 @f(ptr %p) {
  %v = load i32, ptr %p, align 4
  ret i32 %v
}

; One constructor, one global_ctors entry.
; CHECK-NOT: define internal void @tagsan.module_ctor.
; CHECK: !tagsan.instrumented = !{[[M:![0-9]+]]}
; CHECK: [[M]] = !{!"tagsan {{.*}}"}
