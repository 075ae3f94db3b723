/* Allocation-heavy program for the peak-memory (PSS) benchmark. Phases:
 * grow a working set of ~200 MiB of mixed-size blocks (mostly small, some
 * large), churn it (free/realloc/reallocate at random), shrink to a quarter,
 * regrow. Every byte of every block is written, as a real program would.
 * The sampler reads this process's /proc/PID/smaps_rollup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 120000

static unsigned long long s = 88172645463325252ULL;
static unsigned long long xs(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }

static size_t pick(void) {
  unsigned long long r = xs();
  if (r % 256 == 0) return (32u << 10) + (size_t)((r >> 8) % (480u << 10));   /* large */
  unsigned shift = 4 + (unsigned)((r >> 8) % 8);
  size_t base = (size_t)1 << shift;
  return base + (size_t)((r >> 16) % base);
}

static char *p[N];
static size_t sz[N];
static size_t live;

static void put(size_t k, size_t n) {
  p[k] = malloc(n); sz[k] = n; live += n;
  memset(p[k], (int)(k & 0xff), n);
}
static void drop(size_t k) { if (p[k]) { free(p[k]); live -= sz[k]; p[k] = 0; sz[k] = 0; } }

int main(void) {
  unsigned long long sum = 0;
  for (size_t k = 0; k < N; k++) put(k, pick());
  printf("grown: %zu MiB live\n", live >> 20);
  for (int round = 0; round < 6; round++) {
    for (size_t i = 0; i < N; i++) {
      size_t k = (size_t)(xs() % N);
      if (xs() & 1) {
        size_t n = pick();
        char *q = realloc(p[k], n);
        if (n > sz[k]) memset(q + sz[k], 1, n - sz[k]);
        live += n; live -= sz[k]; p[k] = q; sz[k] = n;
      } else {
        drop(k); put(k, pick());
      }
      sum += (unsigned char)p[k][sz[k] - 1];
    }
  }
  for (size_t k = 0; k < N; k++) if (k % 4) drop(k);
  printf("shrunk: %zu MiB live\n", live >> 20);
  for (size_t k = 0; k < N; k++) if (!p[k]) put(k, pick());
  printf("regrown: %zu MiB live\n", live >> 20);
  for (size_t k = 0; k < N; k++) { sum += (unsigned char)p[k][0]; drop(k); }
  printf("alloc_heavy checksum %llu\n", sum);
  return 0;
}
