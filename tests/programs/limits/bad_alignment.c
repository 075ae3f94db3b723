// posix_memalign and aligned_alloc with an alignment libc rejects (issue
// 13, item 5): EINVAL as libc returns it with allocator_may_return_null=1,
// a report (naming the alignment as the alignment) by default, as ASan.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  volatile size_t align = 24; // not a power of two
  void *p = (void *)0x1;
  if (argc > 1 && !strcmp(argv[1], "aligned_alloc")) {
    errno = 0;
    void *q = aligned_alloc(align, 64); // BUG: aligned_alloc
    printf("aligned_alloc: %s, errno %s\n", q ? "a block" : "NULL", errno == EINVAL ? "EINVAL" : "other");
    return 0;
  }
  errno = 0;
  int r = posix_memalign(&p, align, 64); // BUG: posix_memalign
  printf("posix_memalign: %s, out %s, errno %s\n", r == EINVAL ? "EINVAL" : "other",
         p == (void *)0x1 ? "untouched" : "written", errno == 0 ? "untouched" : "set");
  return 0;
}
