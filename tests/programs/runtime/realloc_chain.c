// Long realloc chains, growing and shrinking, keep their contents.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  for (int chain = 0; chain < 20; chain++) {
    size_t size = 1;
    unsigned char *p = malloc(size);
    p[0] = 0;
    for (int step = 0; step < 200; step++) {
      size_t next = (step % 3 == 2) ? size / 2 + 1 : size * 2 + (size_t)chain;
      if (next > 1 << 22) next = 1 + (next % 4096);
      p = realloc(p, next);
      size_t keep = size < next ? size : next;
      for (size_t i = 0; i < keep; i++)
        if (p[i] != (unsigned char)i) { fprintf(stderr, "lost contents\n"); return 1; }
      for (size_t i = 0; i < next; i++) p[i] = (unsigned char)i;
      size = next;
    }
    free(p);
  }
  puts("realloc chains ok");
  return 0;
}
