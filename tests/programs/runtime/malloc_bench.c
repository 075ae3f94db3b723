// malloc/free throughput: each of argv[1] threads (default 1) does argv[2]
// (default 5M) malloc/free operations on a working set of 1024 blocks of
// random sizes 8..1024 bytes, touching each block. Prints Mops/s.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long ops = 5000000;

static void *worker(void *arg) {
  uint64_t x = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 7;
  char *slots[1024] = {0};
  for (long i = 0; i < ops; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    unsigned s = x % 1024;
    free(slots[s]);
    size_t size = 8 + (x >> 32) % 1017;
    slots[s] = malloc(size);
    slots[s][0] = (char)i;
  }
  for (int s = 0; s < 1024; s++) free(slots[s]);
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (argc > 2) ops = atol(argv[2]);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pthread_t t[64];
  for (long i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, (void *)(i + 1));
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%d thread(s): %.1f M malloc+free/s\n", threads, threads * ops / dt / 1e6);
  return 0;
}
