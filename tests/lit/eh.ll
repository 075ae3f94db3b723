; Checks are nounwind calls inserted right before the access, so they never
; land before a landingpad or phi and never need to be invokes: EH pads and
; the unwind edges stay intact.
; RUN: %opt -passes=tagsan -S %s | opt -passes=verify -S | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define i32 @eh(ptr %p)
define i32 @eh(ptr %p) personality ptr @__gxx_personality_v0 {
entry:
; CHECK:      invoke void @may_throw()
; CHECK-NEXT:   to label %cont unwind label %lpad
  invoke void @may_throw() to label %cont unwind label %lpad

cont:
  ret i32 0

; CHECK:      lpad:
; CHECK-NEXT:   %merged = phi ptr [ %p, %entry ]
; CHECK-NEXT:   %lp = landingpad { ptr, i32 }
; CHECK-NEXT:     cleanup
; CHECK-NEXT:   [[A:%.*]] = ptrtoint ptr %merged to i64
; CHECK-NEXT:   call void @__hwasan_load4(i64 [[A]])
; CHECK-NEXT:   %v = load i32, ptr %merged
lpad:
  %merged = phi ptr [ %p, %entry ]
  %lp = landingpad { ptr, i32 } cleanup
  %v = load i32, ptr %merged, align 4
  resume { ptr, i32 } %lp
}

declare void @may_throw()
declare i32 @__gxx_personality_v0(...)
