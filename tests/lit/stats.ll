; stats: three lines per module on stderr, prefixed "tagsan:".
; RUN: %opt -passes='tagsan<stats>' -disable-output %s 2>&1 | FileCheck --strict-whitespace %s
; Without stats: silent.
; RUN: %opt -passes=tagsan -disable-output %s 2>&1 | count 0

; CHECK:      {{^}}tagsan: module 'stats.c': instrumented loads=1 stores=1 atomics=2 memintrinsics=1{{$}}
; CHECK-NEXT: {{^}}tagsan: module 'stats.c': skipped accesses nosanitize=1 addrspace=1 swifterror=0 stack=1 global=1 scalable=0 by-option=0{{$}}
; CHECK-NEXT: {{^}}tagsan: module 'stats.c': skipped functions attribute=1 runtime=1 ignorelist=0{{$}}
; CHECK-NOT:  {{.}}

source_filename = "stats.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@g = global i32 0

define void @f(ptr %p, ptr addrspace(1) %q) {
  %s = alloca i32, align 4
  %a = load i32, ptr %p, align 4
  store i32 %a, ptr %p, align 4
  %x = atomicrmw add ptr %p, i32 1 seq_cst, align 4
  %y = cmpxchg ptr %p, i32 0, i32 1 seq_cst seq_cst, align 4
  call void @llvm.memset.p0.i64(ptr %p, i8 0, i64 4, i1 false)
  %b = load i32, ptr %p, align 4, !nosanitize !0
  store i32 0, ptr addrspace(1) %q, align 4
  store i32 0, ptr %s, align 4
  store i32 0, ptr @g, align 4
  ret void
}

define void @h(ptr %p) disable_sanitizer_instrumentation {
  store i32 0, ptr %p, align 4
  ret void
}

define void @__hwasan_helper(ptr %p) {
  store i32 0, ptr %p, align 4
  ret void
}

declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
!0 = !{}
