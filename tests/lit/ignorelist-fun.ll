; ignorelist=PATH: fun: globs (mangled names) in the sections that apply
; to tagsan (none, [hwaddress], [tagsan], section globs) skip functions.
; RUN: %opt -passes='tagsan<stats;ignorelist=%inputs/ignore-fun.txt>' -S %s 2>%t.stats | opt -passes=verify -S | FileCheck %s
; RUN: FileCheck --check-prefix=STATS %s < %t.stats

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define void @hot_loop(
; CHECK-NOT:   __hwasan
; CHECK:       ret void
define void @hot_loop(ptr %p) {
  store i8 0, ptr %p, align 1
  ret void
}

; CHECK-LABEL: define void @_ZN4core3ptr9drop_in_place(
; CHECK-NOT:   __hwasan
; CHECK:       ret void
define void @_ZN4core3ptr9drop_in_place(ptr %p) {
  store i8 0, ptr %p, align 1
  ret void
}

; CHECK-LABEL: define void @exact_name(
; CHECK-NOT:   __hwasan
; CHECK:       ret void
define void @exact_name(ptr %p) {
  store i8 0, ptr %p, align 1
  ret void
}

; CHECK-LABEL: define void @brace_b(
; CHECK-NOT:   __hwasan
; CHECK:       ret void
define void @brace_b(ptr %p) {
  store i8 0, ptr %p, align 1
  ret void
}

; Only in [address]: instrumented.
; CHECK-LABEL: define void @asan_only(
; CHECK:       call void @__hwasan_store1(
define void @asan_only(ptr %p) {
  store i8 0, ptr %p, align 1
  ret void
}

; Category entry: instrumented.
; CHECK-LABEL: define void @categorized(
; CHECK:       call void @__hwasan_store1(
define void @categorized(ptr %p) {
  store i8 0, ptr %p, align 1
  ret void
}

; Globs match the whole name.
; CHECK-LABEL: define void @not_hot_loop(
; CHECK:       call void @__hwasan_store1(
define void @not_hot_loop(ptr %p) {
  store i8 0, ptr %p, align 1
  ret void
}

; STATS: instrumented loads=0 stores=3
; STATS: skipped functions attribute=0 runtime=0 ignorelist=4
