// The public __hwasan_* interface, called directly.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void __hwasan_init(void);
intptr_t __hwasan_test_shadow(const volatile void *p, size_t size);
void __hwasan_print_shadow(const volatile void *p, size_t size);
void __hwasan_tag_memory(const volatile void *p, unsigned char tag, size_t size);
void *__hwasan_tag_pointer(const volatile void *p, unsigned char tag);
unsigned char __hwasan_generate_tag(void);
void __hwasan_enable_allocator_tagging(void);
void __hwasan_disable_allocator_tagging(void);
void *__hwasan_memcpy(void *dst, const void *src, size_t n);
void *__hwasan_memset(void *s, int c, size_t n);
void *__hwasan_memmove(void *dst, const void *src, size_t n);
void __hwasan_handle_longjmp(const void *sp);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "line %d: check failed: %s\n", __LINE__, #c); exit(1); } } while (0)
#define TAG(p) (((uintptr_t)(p) >> 39) & 63)

int main(void) {
  __hwasan_init();
  char *p = malloc(13);
  CHECK(TAG(p) != 0);
  CHECK(__hwasan_test_shadow(p, 13) == -1);
  CHECK(__hwasan_test_shadow(p, 14) == 13);
  CHECK(__hwasan_test_shadow(p + 13, 1) == 0);
  __hwasan_print_shadow(p, 32); // shows the short granule
  char local = 0;
  CHECK(__hwasan_test_shadow(&local, 1) == -1); // not heap: never checked
  unsigned char t = __hwasan_generate_tag();
  CHECK(t != 0);
  // Retag the block with another tag: the old pointer no longer matches.
  unsigned char other = TAG(p) == 1 ? 2 : 1;
  __hwasan_tag_memory(p, other, 16);
  char *q = __hwasan_tag_pointer(p, other);
  CHECK(TAG(q) == other);
  CHECK(__hwasan_test_shadow(q, 16) == -1);
  CHECK(__hwasan_test_shadow(p, 1) == 0);
  __hwasan_tag_memory(p, TAG(p), 13); // whole granules, like compiler-rt
  CHECK(__hwasan_test_shadow(p, 16) == -1);
  char buf[16];
  CHECK(__hwasan_memset(p, 'a', 13) == p);
  CHECK(__hwasan_memcpy(buf, p, 13) == buf && buf[12] == 'a');
  CHECK(__hwasan_memmove(p + 1, p, 12) == p + 1);
  __hwasan_handle_longjmp(buf);
  free(p);
  CHECK(__hwasan_test_shadow(p, 1) == 0); // freed
  // Tagging off: untagged pointers, never reported; on again: tagged.
  __hwasan_disable_allocator_tagging();
  char *u = malloc(10);
  CHECK(TAG(u) == 0);
  CHECK(__hwasan_test_shadow(u, 10) == -1);
  free(u);
  __hwasan_enable_allocator_tagging();
  char *v = malloc(10);
  CHECK(TAG(v) != 0);
  free(v);
  puts("interface ok");
  return 0;
}
