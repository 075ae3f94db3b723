; Every instrumented module gets an internal constructor in its own comdat
; that calls __hwasan_init, at priority 0 in llvm.global_ctors (appended to
; the existing entries), as LLVM's HWASan does. Also for a module with no
; function to instrument.
; RUN: %opt -passes=tagsan -S %s | opt -passes=verify -S | FileCheck %s
; RUN: echo 'target triple = "x86_64-pc-linux-gnu"' | %opt -passes=tagsan -S | opt -passes=verify -S | FileCheck --check-prefix=EMPTY %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK: $tagsan.module_ctor = comdat any
; CHECK: @llvm.global_ctors = appending global [2 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 65535, ptr @user_ctor, ptr null }, { i32, ptr, ptr } { i32 0, ptr @tagsan.module_ctor, ptr @tagsan.module_ctor }]
@llvm.global_ctors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 65535, ptr @user_ctor, ptr null }]

define internal void @user_ctor() {
  ret void
}

; CHECK: declare void @__hwasan_init() [[NOUNWIND:#[0-9]+]]
; CHECK:      define internal void @tagsan.module_ctor() [[NOUNWIND]] comdat {
; CHECK-NEXT:   call void @__hwasan_init()
; CHECK-NEXT:   ret void
; CHECK-NEXT: }
; CHECK: attributes [[NOUNWIND]] = { nounwind }

; EMPTY: @llvm.global_ctors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 0, ptr @tagsan.module_ctor, ptr @tagsan.module_ctor }]
; EMPTY: define internal void @tagsan.module_ctor()
; EMPTY-NEXT: call void @__hwasan_init()
