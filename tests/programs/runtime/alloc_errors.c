// Allocator misuse the allocator itself detects; argv[1] picks one.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *mode = argv[1];
  volatile size_t huge = (size_t)1 << 40;
  if (!strcmp(mode, "double-free")) {
    char *p = malloc(40);
    free(p);
    free(p);
  } else if (!strcmp(mode, "double-free-large")) {
    char *p = malloc(1 << 20);
    free(p);
    free(p);
  } else if (!strcmp(mode, "interior")) {
    char *p = malloc(40);
    free(p + 16);
  } else if (!strcmp(mode, "stack")) {
    char buf[16];
    free(buf);
  } else if (!strcmp(mode, "wrong-tag")) {
    // The right address seen through another alias (tag bits 39..44).
    char *p = malloc(40);
    uintptr_t tag = ((uintptr_t)p >> 39) & 63;
    uintptr_t other = tag == 1 ? 2 : 1;
    free((char *)(((uintptr_t)p & ~((uintptr_t)63 << 39)) | (other << 39)));
  } else if (!strcmp(mode, "calloc-overflow")) {
    void *p = calloc(huge, huge);
    printf("calloc returned %p\n", p);
    return p != NULL;
  } else if (!strcmp(mode, "malloc-zero")) {
    char *p = malloc(0);
    p[0] = 1;
  } else if (!strcmp(mode, "untagged-neighbour")) {
    // A linear overflow from one chunk into its neighbour is always caught.
    char *a = malloc(32);
    memset(a, 0, 48);
  }
  puts("no error detected");
  return 0;
}
