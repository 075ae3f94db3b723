// What cache reports say about frees to the wrong place and accesses at a
// slab's edge. argv[1]:
//   malloc_to_cache   tagsan_cache_free of a block from malloc
//   free_object       free() of a cache object
//   underflow_first   read 8 bytes before the first object of a slab
//                     (argv[2] "ctor": in a cache with a constructor)
#include <sanitizer/hwasan_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tagsan.h>

struct conn { long fd; long state; char name[32]; }; // 48 bytes

static void conn_ctor(void *p) { ((struct conn *)p)->fd = -1; }

static uintptr_t untagged(const void *p) { return (uintptr_t)__hwasan_tag_pointer(p, 0); }

__attribute__((noinline)) static struct conn *open_conn(tagsan_cache_t *c) {
  return tagsan_cache_alloc(c); // MARK:alloc
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  int with_ctor = argc > 2 && !strcmp(argv[2], "ctor");
  tagsan_cache_t *c = tagsan_cache_create("conn", sizeof(struct conn), 0, 0, with_ctor ? conn_ctor : NULL);
  if (!strcmp(mode, "malloc_to_cache")) {
    char *m = malloc(40); // MARK:malloc
    tagsan_cache_free(c, m); // MARK:malloc_to_cache
    return 0;
  }
  if (!strcmp(mode, "free_object")) {
    struct conn *o = open_conn(c);
    free(o); // MARK:free_object
    return 0;
  }
  if (!strcmp(mode, "underflow_first")) {
    // Objects come lowest address first; the first one past a jump in
    // addresses is the first object of a new slab.
    struct conn *prev = open_conn(c), *first = NULL;
    for (int i = 0; i < 100000 && !first; i++) {
      struct conn *o = open_conn(c);
      if (untagged(o) != untagged(prev) + sizeof(struct conn)) first = o;
      prev = o;
    }
    if (!first) return 3;
    printf("first object of a slab: %p\n", (void *)first);
    fflush(stdout);
    volatile long *before = (long *)first - 1;
    return (int)*before; // MARK:underflow
  }
  return 2;
}
