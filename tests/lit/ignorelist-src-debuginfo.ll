; src: also matches the file a function is defined in according to its
; debug info (e.g. an inline function from a header), as clang's does.
; RUN: %opt -passes='tagsan<ignorelist=%inputs/ignore-header.txt>' -S %s | opt -passes=verify -S | FileCheck %s

source_filename = "main.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define void @from_header(
; CHECK-NOT:   __hwasan_store
; CHECK:       ret void
define void @from_header(ptr %p) !dbg !5 {
  store i8 0, ptr %p, align 1, !dbg !8
  ret void
}

; CHECK-LABEL: define void @from_main(
; CHECK:       call void @__hwasan_store1(
define void @from_main(ptr %p) !dbg !9 {
  store i8 0, ptr %p, align 1, !dbg !10
  ret void
}

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!3}
!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, emissionKind: FullDebug)
!1 = !DIFile(filename: "main.c", directory: "/src")
!2 = !DIFile(filename: "/src/vendor/lib.h", directory: "/src")
!3 = !{i32 2, !"Debug Info Version", i32 3}
!5 = distinct !DISubprogram(name: "from_header", scope: !2, file: !2, line: 3, type: !6, spFlags: DISPFlagDefinition, unit: !0)
!6 = !DISubroutineType(types: !7)
!7 = !{}
!8 = !DILocation(line: 4, column: 3, scope: !5)
!9 = distinct !DISubprogram(name: "from_main", scope: !1, file: !1, line: 3, type: !6, spFlags: DISPFlagDefinition, unit: !0)
!10 = !DILocation(line: 4, column: 3, scope: !9)
