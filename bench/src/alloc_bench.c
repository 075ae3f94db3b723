/* malloc/free throughput: each thread keeps a table of live blocks and, at
 * every step, frees a random slot and allocates a new block there. Sizes are
 * log-uniform in 16 B..4 KiB, plus 1 in 128 "large" blocks of 64 KiB..1 MiB.
 * Each new block is touched (first and last byte) so the allocator's pages
 * are really used. Prints ops/s (one op = one malloc + one free).
 * Usage: alloc_bench THREADS [OPS_PER_THREAD [LARGE]]   (LARGE=0: small only) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 8192

static long ops_per_thread = 4000000;
static int with_large = 1;

static inline unsigned long long xs(unsigned long long *s) {
  *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
  return *s;
}

static size_t pick_size(unsigned long long r) {
  if (with_large && (r & 127) == 0) return (64u << 10) + (size_t)((r >> 8) % (960u << 10));
  unsigned shift = 4 + (unsigned)((r >> 8) % 8);      /* 16 .. 2048 */
  size_t base = (size_t)1 << shift;
  return base + (size_t)((r >> 16) % base);           /* up to 4095 */
}

static void *worker(void *arg) {
  unsigned long long s = 0x9E3779B97F4A7C15ULL * (unsigned long long)(size_t)arg + 1;
  char **slot = calloc(SLOTS, sizeof *slot);
  unsigned long long sink = 0;
  for (long i = 0; i < ops_per_thread; i++) {
    unsigned long long r = xs(&s);
    size_t k = (size_t)(r >> 40) % SLOTS;
    free(slot[k]);
    size_t n = pick_size(r);
    char *p = malloc(n);
    p[0] = (char)i;
    p[n - 1] = (char)k;
    sink += (unsigned char)p[0];
    slot[k] = p;
  }
  for (size_t k = 0; k < SLOTS; k++) free(slot[k]);
  free(slot);
  return (void *)(size_t)sink;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (argc > 2) ops_per_thread = atol(argv[2]);
  if (argc > 3) with_large = atoi(argv[3]);
  pthread_t t[64];
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < threads; i++) pthread_create(&t[i], 0, worker, (void *)(i + 1));
  for (int i = 0; i < threads; i++) pthread_join(t[i], 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double sec = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  printf("alloc_bench threads=%d large=%d ops=%ld seconds=%.4f ops_per_sec=%.0f\n", threads, with_large,
         ops_per_thread * threads, sec, (double)(ops_per_thread * threads) / sec);
  return 0;
}
