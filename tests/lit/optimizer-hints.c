// At the start of clang's pipeline the plugin marks functions the way
// -fsanitize=address does, so -O2 keeps a malloc/free pair whose only use is
// a read after free (without the mark, InstCombine deletes the allocation
// and the use-after-free with it), and the read is checked.
//
// RUN: %clang -O2 -S -emit-llvm %s -o - | FileCheck %s
// RUN: %clang -O2 -S -emit-llvm %s -o - | opt -passes=verify -disable-output
//
// Functions the pass never instruments are not marked.
// RUN: %clang -O2 -S -emit-llvm %s -o - | FileCheck --check-prefix=ATTRS %s

#include <stdlib.h>

struct user { char name[24]; int id; };

// CHECK-LABEL: define {{.*}}i32 @read_after_free(
// CHECK: call {{.*}}@malloc(
// CHECK: call {{.*}}@free(
// CHECK: call void @__hwasan_load4(
// CHECK: load i32
int read_after_free(int id) {
  struct user *u = malloc(sizeof *u);
  u->id = id;
  free(u);
  return u->id;
}

__attribute__((disable_sanitizer_instrumentation)) int untouched(int *p) { return *p; }

// ATTRS: define {{.*}}@read_after_free({{.*}}) {{.*}}[[MARKED:#[0-9]+]]
// ATTRS: define {{.*}}@untouched({{.*}}) {{.*}}[[PLAIN:#[0-9]+]]
// ATTRS: attributes [[MARKED]] = { {{.*}}sanitize_address{{.*}}sanitize_hwaddress
// ATTRS-NOT: attributes [[PLAIN]] = { {{.*}}sanitize_address
