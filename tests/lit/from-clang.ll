; Input reduced by hand from clang-22 -O1 -S -emit-llvm of:
;   struct node { struct node *next; int val; char name[12]; };
;   int sum_list(struct node *n) { int s = 0; for (; n; n = n->next) s += n->val; return s; }
;   void rename_node(struct node *n, const char *src) { memcpy(n->name, src, 12); n->name[11] = 0; }
;   long counter;
;   long bump(long *p) { return __atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST) + counter; }
; (TBAA and attributes trimmed.) Checks go right before loads in loops and
; after phis; the global `counter` is not checked.
; RUN: %opt -passes=tagsan -S %s | opt -passes=verify -S | FileCheck %s

source_filename = "c_in.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@counter = dso_local local_unnamed_addr global i64 0, align 8

; CHECK-LABEL: define dso_local i32 @sum_list(
define dso_local i32 @sum_list(ptr noundef readonly %n) local_unnamed_addr #0 {
entry:
  %tobool.not4 = icmp eq ptr %n, null
  br i1 %tobool.not4, label %for.end, label %for.body

; CHECK:      for.body:
; CHECK-NEXT:   %s.06 = phi i32
; CHECK-NEXT:   %n.addr.05 = phi ptr
; CHECK-NEXT:   %val = getelementptr inbounds nuw i8, ptr %n.addr.05, i64 8
; CHECK-NEXT:   [[V:%.*]] = ptrtoint ptr %val to i64
; CHECK-NEXT:   call void @__hwasan_load4(i64 [[V]])
; CHECK-NEXT:   [[L:%[0-9]+]] = load i32, ptr %val, align 8
; CHECK-NEXT:   %add = add nsw i32 [[L]], %s.06
; CHECK-NEXT:   [[N:%.*]] = ptrtoint ptr %n.addr.05 to i64
; CHECK-NEXT:   call void @__hwasan_load8(i64 [[N]])
; CHECK-NEXT:   {{%[0-9]+}} = load ptr, ptr %n.addr.05, align 8
for.body:
  %s.06 = phi i32 [ %add, %for.body ], [ 0, %entry ]
  %n.addr.05 = phi ptr [ %1, %for.body ], [ %n, %entry ]
  %val = getelementptr inbounds nuw i8, ptr %n.addr.05, i64 8
  %0 = load i32, ptr %val, align 8
  %add = add nsw i32 %0, %s.06
  %1 = load ptr, ptr %n.addr.05, align 8
  %tobool.not = icmp eq ptr %1, null
  br i1 %tobool.not, label %for.end, label %for.body

for.end:
  %s.0.lcssa = phi i32 [ 0, %entry ], [ %add, %for.body ]
  ret i32 %s.0.lcssa
}

; CHECK-LABEL: define dso_local void @rename_node(
; CHECK:        %name = getelementptr inbounds nuw i8, ptr %n, i64 12
; CHECK-NEXT:   call ptr @__hwasan_memcpy(ptr %name, ptr %src, i64 12)
; CHECK-NEXT:   %arrayidx = getelementptr inbounds nuw i8, ptr %n, i64 23
; CHECK-NEXT:   [[A:%.*]] = ptrtoint ptr %arrayidx to i64
; CHECK-NEXT:   call void @__hwasan_store1(i64 [[A]])
; CHECK-NEXT:   store i8 0, ptr %arrayidx, align 1
define dso_local void @rename_node(ptr noundef writeonly %n, ptr noundef readonly %src) local_unnamed_addr #1 {
entry:
  %name = getelementptr inbounds nuw i8, ptr %n, i64 12
  tail call void @llvm.memcpy.p0.p0.i64(ptr noundef nonnull align 4 dereferenceable(12) %name, ptr noundef nonnull align 1 dereferenceable(12) %src, i64 12, i1 false)
  %arrayidx = getelementptr inbounds nuw i8, ptr %n, i64 23
  store i8 0, ptr %arrayidx, align 1
  ret void
}

declare void @llvm.memcpy.p0.p0.i64(ptr noalias writeonly captures(none), ptr noalias readonly captures(none), i64, i1 immarg)

; CHECK-LABEL: define dso_local i64 @bump(
; CHECK:        call void @__hwasan_store8(
; CHECK-NEXT:   {{%[0-9]+}} = atomicrmw add ptr %p, i64 1 seq_cst, align 8
; CHECK-NEXT:   {{%[0-9]+}} = load i64, ptr @counter, align 8
define dso_local i64 @bump(ptr noundef %p) local_unnamed_addr #1 {
entry:
  %0 = atomicrmw add ptr %p, i64 1 seq_cst, align 8
  %1 = load i64, ptr @counter, align 8
  %add = add nsw i64 %1, %0
  ret i64 %add
}

; The attributes clang put on the functions survive.
; CHECK: attributes #0 = { nofree norecurse nosync nounwind uwtable "target-cpu"="x86-64" }
attributes #0 = { nofree norecurse nosync nounwind uwtable "target-cpu"="x86-64" }
attributes #1 = { mustprogress nounwind willreturn uwtable "target-cpu"="x86-64" }

!llvm.module.flags = !{!0, !1}
!0 = !{i32 1, !"wchar_size", i32 4}
!1 = !{i32 8, !"PIC Level", i32 2}
