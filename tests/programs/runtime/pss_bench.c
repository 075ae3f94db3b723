// Peak memory: keeps MB megabytes (argv[1], default 256) of blocks of mixed
// sizes (16..2048 bytes, plus a few 64 KiB..1 MiB ones) live, frees half and
// allocates again, then prints Pss from /proc/self/smaps_rollup.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long pss_kb(void) {
  FILE *f = fopen("/proc/self/smaps_rollup", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "Pss:", 4)) kb = atol(line + 4);
  if (f) fclose(f);
  return kb;
}

int main(int argc, char **argv) {
  long mb = argc > 1 ? atol(argv[1]) : 256;
  long budget = mb << 20, used = 0, n = 0, cap = 1 << 22;
  char **b = malloc(cap * sizeof *b);
  unsigned x = 12345;
  while (used < budget && n < cap) {
    x = x * 1103515245u + 12345u;
    size_t size = (x >> 8) % 100 == 0 ? 65536 + (x >> 12) % (1 << 20) : 16 + (x >> 12) % 2033;
    b[n] = malloc(size);
    memset(b[n], 1, size);
    used += size;
    n++;
  }
  for (long i = 0; i < n; i += 2) free(b[i]);
  for (long i = 0; i < n; i += 2) {
    x = x * 1103515245u + 12345u;
    size_t size = 16 + (x >> 12) % 2033;
    b[i] = malloc(size);
    memset(b[i], 2, size);
  }
  printf("%ld MiB requested in %ld blocks: Pss %ld kB\n", mb, n, pss_kb());
  return 0;
}
