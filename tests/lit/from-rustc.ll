; Input reduced by hand from rustc 1.95 --crate-type=lib --emit=llvm-ir
; -C opt-level=1 of:
;   pub static HITS: AtomicUsize = AtomicUsize::new(0);
;   #[no_mangle] pub fn total(v: &[u64]) -> u64 { HITS.fetch_add(1, Relaxed); v.iter().sum() }
;   #[no_mangle] pub fn swap_first(v: &mut Vec<[u8; 3]>, x: [u8; 3]) -> [u8; 3] { std::mem::replace(&mut v[0], x) }
;   #[no_mangle] pub fn fill(v: &mut [u8]) { for b in v.iter_mut() { *b = 7; } }
; (loop unrolling, alias scopes and attributes trimmed.)
; RUN: %opt -passes=tagsan -S %s | opt -passes=verify -S | FileCheck %s

source_filename = "rs_in.7ef357fed3e1840d-cgu.0"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@_ZN5rs_in4HITS17hb13e9b2eb539d8b6E = global [8 x i8] zeroinitializer, align 8
@alloc_loc = private unnamed_addr constant <{ ptr, [16 x i8] }> <{ ptr null, [16 x i8] c"\08\00\00\00\00\00\00\00\06\00\00\00Z\00\00\00" }>, align 8

; The atomic on the static is inside the global: not checked. The slice
; loads are.
; CHECK-LABEL: define noundef i64 @total(
; CHECK:       start:
; CHECK-NEXT:    atomicrmw add ptr @_ZN5rs_in4HITS17hb13e9b2eb539d8b6E, i64 1 monotonic
; CHECK:       bb8:
; CHECK:         %_45 = getelementptr inbounds nuw i64, ptr %v.0, i64 %i
; CHECK-NEXT:    [[A:%.*]] = ptrtoint ptr %_45 to i64
; CHECK-NEXT:    call void @__hwasan_load8(i64 [[A]])
; CHECK-NEXT:    %other = load i64, ptr %_45, align 8, !noundef
define noundef i64 @total(ptr noalias noundef nonnull readonly align 8 captures(none) %v.0, i64 noundef %v.1) unnamed_addr #0 personality ptr @rust_eh_personality {
start:
  %0 = atomicrmw add ptr @_ZN5rs_in4HITS17hb13e9b2eb539d8b6E, i64 1 monotonic, align 8
  %1 = icmp eq i64 %v.1, 0
  br i1 %1, label %exit, label %bb8

bb8:
  %i = phi i64 [ 0, %start ], [ %i.next, %bb8 ]
  %acc = phi i64 [ 0, %start ], [ %acc.next, %bb8 ]
  %_45 = getelementptr inbounds nuw i64, ptr %v.0, i64 %i
  %other = load i64, ptr %_45, align 8, !noundef !0
  %acc.next = add i64 %other, %acc
  %i.next = add nuw i64 %i, 1
  %done = icmp eq i64 %i.next, %v.1
  br i1 %done, label %exit, label %bb8

exit:
  %r = phi i64 [ 0, %start ], [ %acc.next, %bb8 ]
  ret i64 %r
}

; Vec<[u8; 3]>: the length and buffer pointer loads, then a 3-byte
; (i24, align 1) read and write of the element: sized checks.
; CHECK-LABEL: define i24 @swap_first(
; CHECK:         call void @__hwasan_load8(
; CHECK-NEXT:    %_6.i = load i64
; CHECK:         call void @__hwasan_load8(
; CHECK-NEXT:    %_7.i = load ptr
; CHECK-NEXT:    [[E:%.*]] = ptrtoint ptr %_7.i to i64
; CHECK-NEXT:    call void @__hwasan_loadN(i64 [[E]], i64 3)
; CHECK-NEXT:    %copyload = load i24, ptr %_7.i, align 1
; CHECK-NEXT:    [[F:%.*]] = ptrtoint ptr %_7.i to i64
; CHECK-NEXT:    call void @__hwasan_storeN(i64 [[F]], i64 3)
; CHECK-NEXT:    store i24 %0, ptr %_7.i, align 1
define i24 @swap_first(ptr noalias noundef readonly align 8 captures(none) dereferenceable(24) %v, i24 %0) unnamed_addr #1 {
start:
  %1 = getelementptr inbounds nuw i8, ptr %v, i64 16
  %_6.i = load i64, ptr %1, align 8, !noundef !0
  %_4.not.i.i = icmp eq i64 %_6.i, 0
  br i1 %_4.not.i.i, label %panic.i.i, label %ok

panic.i.i:
  tail call void @_RNvNtCsgEmfK2I1SDS_4core9panicking18panic_bounds_check(i64 noundef 0, i64 noundef 0, ptr noalias noundef readonly align 8 dereferenceable(24) @alloc_loc) #2
  unreachable

ok:
  %2 = getelementptr inbounds nuw i8, ptr %v, i64 8
  %_7.i = load ptr, ptr %2, align 8, !nonnull !0, !noundef !0
  %copyload = load i24, ptr %_7.i, align 1
  store i24 %0, ptr %_7.i, align 1
  ret i24 %copyload
}

; The loop became a memset: replaced by the runtime's.
; CHECK-LABEL: define void @fill(
; CHECK:         call ptr @__hwasan_memset(ptr %v.0, i32 7, i64 %v.1)
; CHECK-NOT:     @llvm.memset
; CHECK:         ret void
define void @fill(ptr noalias noundef nonnull writeonly align 1 captures(none) %v.0, i64 noundef %v.1) unnamed_addr #1 {
start:
  %_7.i.not3 = icmp samesign eq i64 %v.1, 0
  br i1 %_7.i.not3, label %bb7, label %bb6.preheader

bb6.preheader:
  tail call void @llvm.memset.p0.i64(ptr nonnull align 1 %v.0, i8 7, i64 %v.1, i1 false)
  br label %bb7

bb7:
  ret void
}

declare i32 @rust_eh_personality(i32, i32, i64, ptr, ptr) unnamed_addr #1
declare void @_RNvNtCsgEmfK2I1SDS_4core9panicking18panic_bounds_check(i64, i64, ptr) unnamed_addr #2
declare void @llvm.memset.p0.i64(ptr writeonly captures(none), i8, i64, i1 immarg)

attributes #0 = { nofree norecurse nounwind nonlazybind uwtable "probe-stack"="inline-asm" "target-cpu"="x86-64" }
attributes #1 = { nounwind nonlazybind uwtable "probe-stack"="inline-asm" "target-cpu"="x86-64" }
attributes #2 = { cold noinline noreturn nounwind nonlazybind uwtable "probe-stack"="inline-asm" "target-cpu"="x86-64" }

!0 = !{}
