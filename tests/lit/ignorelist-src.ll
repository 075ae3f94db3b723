; src: globs match the module's source file name: every function skipped.
; RUN: %opt -passes='tagsan<ignorelist=%inputs/ignore-src.txt>' -S %s | opt -passes=verify -S | FileCheck %s
; RUN: %opt -passes='tagsan<ignorelist=%inputs/ignore-src-other.txt>' -S %s | opt -passes=verify -S | FileCheck --check-prefix=OTHER %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define void @f(
; CHECK-NOT:   __hwasan_store
; CHECK:       ret void
; OTHER-LABEL: define void @f(
; OTHER:       call void @__hwasan_store1(
define void @f(ptr %p) {
  store i8 0, ptr %p, align 1
  ret void
}
