// clang -fpass-plugin: the pass runs at the optimizer-last extension point,
// at -O0 (the pass is required) and -O2, with -g (inserted calls get
// locations, the verifier is happy), exactly once per module.
// RUN: %clang -O0 -S -emit-llvm %s -o - | FileCheck --check-prefixes=CHECK,O0 %s
// RUN: %clang -O2 -g -S -emit-llvm %s -o - | opt -passes=verify -S | FileCheck --check-prefixes=CHECK,DBG %s
// RUN: %clang -O2 -g -c %s -o %t.o
// Options come from TAGSAN_PASS_OPTIONS.
// RUN: env TAGSAN_PASS_OPTIONS='recover;stats' %clang -O1 -S -emit-llvm %s -o - 2>%t.stats | FileCheck --check-prefix=RECOVER %s
// RUN: FileCheck --check-prefix=STATS %s < %t.stats
// A bad TAGSAN_PASS_OPTIONS: one error line, non-zero exit.
// RUN: env TAGSAN_PASS_OPTIONS='recover;nope' not %clang -O1 -c %s -o %t.bad.o 2>&1 | FileCheck --check-prefix=BAD %s
// ThinLTO pre-link instruments (and marks) the module once.
// RUN: %clang -O2 -flto=thin -S -emit-llvm %s -o - | FileCheck --check-prefix=THIN %s
#include <string.h>

struct S { int x[4]; };

int read_it(int *p) { return *p; }

void copy_it(struct S *d, const struct S *s) { memcpy(d, s, sizeof *d); }

// CHECK-LABEL: define {{.*}} @read_it(
// At -O0 the argument's stack slot is not checked (untagged), *p is.
// O0:          store ptr %0, ptr [[SLOT:%[0-9]+]], align 8
// O0-NEXT:     load ptr, ptr [[SLOT]], align 8
// CHECK:       call void @__hwasan_load4(
// DBG-SAME:    !dbg
// CHECK-LABEL: define {{.*}} @copy_it(
// CHECK:       call ptr @__hwasan_memcpy(
// CHECK:       @__hwasan_init
// CHECK-COUNT-1: !tagsan.instrumented = !{

// RECOVER: call void @__hwasan_load4_noabort(
// STATS:   tagsan: module '{{.*}}clang-host.c': instrumented loads=1 stores=0 atomics=0 memintrinsics=1
// BAD:     error: tagsan: unknown option 'nope'
// BAD-NOT: error:
// THIN:    call void @__hwasan_load4(
// THIN:    !tagsan.instrumented = !{
// THIN-NOT: !tagsan.instrumented
