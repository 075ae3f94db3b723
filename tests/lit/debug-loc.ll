; Inserted calls carry the access's debug location, or a line-0 location in
; the function's DISubprogram when the access has none, so -g builds pass
; the verifier ("inlinable function call ... must have a !dbg location").
; RUN: %opt -passes=tagsan -S %s | opt -passes=verify -S | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define i32 @f(ptr %p, ptr %q) !dbg
define i32 @f(ptr %p, ptr %q) !dbg !5 {
; CHECK:      call void @__hwasan_load4(i64 {{.*}}), !dbg [[L3:![0-9]+]]
; CHECK-NEXT: load i32, ptr %p, align 4, !dbg [[L3]]
  %v = load i32, ptr %p, align 4, !dbg !9
; No location on the store: line 0 in @f's scope.
; CHECK:      call void @__hwasan_store4(i64 {{.*}}), !dbg [[L0:![0-9]+]]
; CHECK-NEXT: store i32 %v, ptr %q, align 4{{$}}
  store i32 %v, ptr %q, align 4
; CHECK:      call ptr @__hwasan_memcpy(ptr %q, ptr %p, i64 8), !dbg [[L4:![0-9]+]]
  call void @llvm.memcpy.p0.p0.i64(ptr %q, ptr %p, i64 8, i1 false), !dbg !10
  ret i32 %v, !dbg !10
}

; Without debug info nothing gets a location.
; CHECK-LABEL: define void @nodebug(ptr %p)
; CHECK: call void @__hwasan_store1(i64 {{%[0-9]+}}){{$}}
define void @nodebug(ptr %p) {
  store i8 0, ptr %p, align 1
  ret void
}

; CHECK-DAG: [[SP:![0-9]+]] = distinct !DISubprogram(name: "f"
; CHECK-DAG: [[L3]] = !DILocation(line: 3, column: 7, scope: [[SP]])
; CHECK-DAG: [[L0]] = !DILocation(line: 0, scope: [[SP]])
; CHECK-DAG: [[L4]] = !DILocation(line: 4, column: 3, scope: [[SP]])

declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!3, !4}
!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "clang", isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug)
!1 = !DIFile(filename: "x.c", directory: "/tmp")
!3 = !{i32 7, !"Dwarf Version", i32 5}
!4 = !{i32 2, !"Debug Info Version", i32 3}
!5 = distinct !DISubprogram(name: "f", scope: !1, file: !1, line: 1, type: !6, scopeLine: 2, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!6 = !DISubroutineType(types: !7)
!7 = !{}
!9 = !DILocation(line: 3, column: 7, scope: !5)
!10 = !DILocation(line: 4, column: 3, scope: !5)
