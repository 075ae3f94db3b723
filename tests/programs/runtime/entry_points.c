// Every allocation entry point: alignment, usable size, contents, errors.
// Build with -fno-builtin: clang assumes the malloc family leaves errno alone.
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); exit(1); } } while (0)
#define ALIGNED(p, a) (((uintptr_t)(p) & ((a) - 1)) == 0)

static void fill(void *p, size_t n) { memset(p, 0x5a, n); }

int main(int argc, char **argv) {
  // malloc / free
  free(NULL);
  void *z1 = malloc(0), *z2 = malloc(0);
  CHECK(z1 && z2 && z1 != z2);
  free(z1);
  free(z2);
  for (size_t n = 1; n < 300000; n = n * 3 + 1) {
    char *p = malloc(n);
    CHECK(p && ALIGNED(p, 16));
    CHECK(malloc_usable_size(p) >= n);
    fill(p, n);
    free(p);
  }
  // calloc
  int *c = calloc(1000, sizeof(int));
  for (int i = 0; i < 1000; i++) CHECK(c[i] == 0);
  free(c);
  // realloc / reallocarray
  char *r = realloc(NULL, 10);
  strcpy(r, "hello");
  r = realloc(r, 100000);
  CHECK(strcmp(r, "hello") == 0);
  r = reallocarray(r, 3, 4);
  CHECK(memcmp(r, "hello", 6) == 0);
  free(r);
  // aligned forms
  for (size_t a = 16; a <= 1 << 20; a <<= 1) {
    void *p = NULL;
    CHECK(posix_memalign(&p, a, 100) == 0 && ALIGNED(p, a));
    fill(p, 100);
    free(p);
    p = aligned_alloc(a, 3 * a);
    CHECK(p && ALIGNED(p, a));
    fill(p, 3 * a);
    free(p);
    p = memalign(a, 1);
    CHECK(p && ALIGNED(p, a));
    fill(p, 1);
    free(p);
  }
  void *p = NULL;
  CHECK(posix_memalign(&p, 8, 8) == 0 && ALIGNED(p, 8));
  free(p);
  long page = sysconf(_SC_PAGESIZE);
  void *v = valloc(10);
  CHECK(v && ALIGNED(v, page));
  fill(v, 10);
  free(v);
  v = pvalloc(10);
  CHECK(v && ALIGNED(v, page));
  fill(v, page); // pvalloc rounds the size up to a page
  free(v);
  // Errors that return (allocator_may_return_null=1 is set by the test).
  if (argc > 1) {
    // volatile: keep the compiler from folding the impossible calls.
    volatile size_t huge = (size_t)1 << 40, bad_align = 24, odd_align = 3;
    errno = 0;
    CHECK(calloc(huge, huge) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(malloc(huge << 10) == NULL && errno == ENOMEM);
    CHECK(posix_memalign(&p, bad_align, 8) == EINVAL);
    errno = 0;
    CHECK(aligned_alloc(odd_align, 8) == NULL && errno == EINVAL);
    char *keep = malloc(8);
    errno = 0;
    CHECK(reallocarray(keep, huge, huge) == NULL && errno == ENOMEM);
    free(keep);
  }
  puts("entry points ok");
  return 0;
}
