; llvm.memcpy/memmove/memset and the .inline variants become calls to
; __hwasan_memcpy/memmove/memset (which check, then do the operation); the
; intrinsic call is erased. Lengths are passed as i64, memset's byte as i32.
; no-memintrinsics leaves them alone.
; RUN: %opt -passes=tagsan -S %s | opt -passes=verify -S | FileCheck %s
; RUN: %opt -passes='tagsan<no-memintrinsics>' -S %s | opt -passes=verify -S | FileCheck --check-prefix=OFF %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define void @mem(ptr %d, ptr %s, i64 %n, i32 %m, i8 %c)
define void @mem(ptr %d, ptr %s, i64 %n, i32 %m, i8 %c) {
; CHECK-NEXT: call ptr @__hwasan_memcpy(ptr %d, ptr %s, i64 %n)
  call void @llvm.memcpy.p0.p0.i64(ptr %d, ptr %s, i64 %n, i1 false)
; CHECK-NEXT: call ptr @__hwasan_memmove(ptr %d, ptr %s, i64 %n)
  call void @llvm.memmove.p0.p0.i64(ptr %d, ptr %s, i64 %n, i1 false)
; CHECK-NEXT: [[C:%.*]] = zext i8 %c to i32
; CHECK-NEXT: call ptr @__hwasan_memset(ptr %d, i32 [[C]], i64 %n)
  call void @llvm.memset.p0.i64(ptr %d, i8 %c, i64 %n, i1 false)
; A 32-bit length is zero-extended.
; CHECK-NEXT: [[M:%.*]] = zext i32 %m to i64
; CHECK-NEXT: call ptr @__hwasan_memcpy(ptr %d, ptr %s, i64 [[M]])
  call void @llvm.memcpy.p0.p0.i32(ptr %d, ptr %s, i32 %m, i1 false)
; Volatile ones too.
; CHECK-NEXT: call ptr @__hwasan_memset(ptr %d, i32 0, i64 16)
  call void @llvm.memset.p0.i64(ptr %d, i8 0, i64 16, i1 true)
; The .inline variants.
; CHECK-NEXT: call ptr @__hwasan_memcpy(ptr %d, ptr %s, i64 8)
  call void @llvm.memcpy.inline.p0.p0.i64(ptr %d, ptr %s, i64 8, i1 false)
; CHECK-NEXT: call ptr @__hwasan_memset(ptr %d, i32 255, i64 4)
  call void @llvm.memset.inline.p0.i64(ptr %d, i8 -1, i64 4, i1 false)
; CHECK-NEXT: ret void
  ret void
}

; OFF-LABEL: define void @mem(
; OFF-NOT:   @__hwasan_mem
; OFF:       call void @llvm.memcpy.p0.p0.i64(
; OFF:       call void @llvm.memset.inline.p0.i64(
; OFF:       ret void

; CHECK-NOT: call void @llvm.mem
; CHECK-DAG: declare ptr @__hwasan_memcpy(ptr, ptr, i64) #{{[0-9]+}}
; CHECK-DAG: declare ptr @__hwasan_memmove(ptr, ptr, i64) #{{[0-9]+}}
; CHECK-DAG: declare ptr @__hwasan_memset(ptr, i32, i64) #{{[0-9]+}}

declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)
declare void @llvm.memcpy.p0.p0.i32(ptr, ptr, i32, i1)
declare void @llvm.memmove.p0.p0.i64(ptr, ptr, i64, i1)
declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
declare void @llvm.memcpy.inline.p0.p0.i64(ptr, ptr, i64, i1)
declare void @llvm.memset.inline.p0.i64(ptr, i8, i64, i1)
