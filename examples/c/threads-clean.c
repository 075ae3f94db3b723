// A correct multi-threaded program: tagsan must stay silent.
//
//   tagsan cc examples/c/threads-clean.c -o threads-clean && ./threads-clean
//
// Expected: no report, prints "total: 8000" and exits 0. Threads allocate,
// fill and free their own buffers and hand one result back through the heap.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { THREADS = 8, ROUNDS = 1000 };

static void *worker(void *arg) {
  int id = *(int *)arg;
  long *count = malloc(sizeof *count);
  *count = 0;
  for (int r = 0; r < ROUNDS; r++) {
    size_t n = 1 + (size_t)(r + id) % 64;
    unsigned char *buf = malloc(n);
    for (size_t i = 0; i < n; i++)
      buf[i] = (unsigned char)(i + id);
    *count += buf[n - 1] == (unsigned char)(n - 1 + id);
    free(buf);
  }
  return count;
}

int main(void) {
  pthread_t threads[THREADS];
  int ids[THREADS];
  for (int i = 0; i < THREADS; i++) {
    ids[i] = i;
    pthread_create(&threads[i], NULL, worker, &ids[i]);
  }
  long total = 0;
  for (int i = 0; i < THREADS; i++) {
    void *result;
    pthread_join(threads[i], &result);
    total += *(long *)result;
    free(result);
  }
  printf("total: %ld\n", total);
  return total == THREADS * ROUNDS ? 0 : 1;
}
