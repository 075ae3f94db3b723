; Functions with disable_sanitizer_instrumentation or naked, and the
; runtime's own functions (__hwasan_*, __tagsan_*: instrumenting them would
; recurse), are left alone. Declarations have nothing to instrument.
; RUN: %opt -passes='tagsan<stats>' -S %s 2>%t.stats | opt -passes=verify -S | FileCheck %s
; RUN: FileCheck --check-prefix=STATS %s < %t.stats

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define i32 @disabled(ptr %p)
; CHECK-NEXT:  load i32
define i32 @disabled(ptr %p) disable_sanitizer_instrumentation {
  %v = load i32, ptr %p, align 4
  ret i32 %v
}

; Naked functions may not use their arguments; reach memory via a global.
@gp = global ptr null

; CHECK-LABEL: define void @naked()
; CHECK-NEXT:  %p = load ptr, ptr @gp
; CHECK-NEXT:  store i32
define void @naked() naked {
  %p = load ptr, ptr @gp, align 8
  store i32 0, ptr %p, align 4
  unreachable
}

; CHECK-LABEL: define i32 @__hwasan_load4_helper(ptr %p)
; CHECK-NEXT:  load i32
define i32 @__hwasan_load4_helper(ptr %p) {
  %v = load i32, ptr %p, align 4
  ret i32 %v
}

; CHECK-LABEL: define i32 @__tagsan_report(ptr %p)
; CHECK-NEXT:  load i32
define i32 @__tagsan_report(ptr %p) {
  %v = load i32, ptr %p, align 4
  ret i32 %v
}

; The same body in an ordinary function is checked.
; CHECK-LABEL: define i32 @ordinary(ptr %p)
; CHECK:       call void @__hwasan_load4(
define i32 @ordinary(ptr %p) {
  %v = load i32, ptr %p, align 4
  ret i32 %v
}

declare i32 @declared(ptr)

; STATS: instrumented loads=1 stores=0
; STATS: skipped functions attribute=2 runtime=2 ignorelist=0
