// Several threads overflow at once: exactly one complete report, no hang.
#include <pthread.h>
#include <stdlib.h>

#define N 4
static pthread_barrier_t barrier;

static void *worker(void *arg) {
  volatile char *p = malloc(13);
  pthread_barrier_wait(&barrier);
  p[13] = 1; // MARK:bug
  return 0;
}

int main(int argc, char **argv) {
  pthread_t t[N];
  pthread_barrier_init(&barrier, 0, N);
  for (int i = 0; i < N; i++) pthread_create(&t[i], 0, worker, 0);
  for (int i = 0; i < N; i++) pthread_join(t[i], 0);
  return 0;
}
