// A block allocated by thread T1, freed by T0 (main), then read: the
// report names both threads, whatever malloc_context_size says.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *make(void *arg) {
  (void)arg;
  char *p = malloc(24);
  p[0] = 7;
  return p;
}

int main(void) {
  pthread_t t;
  void *block;
  pthread_create(&t, NULL, make, NULL);
  pthread_join(t, &block);
  char *volatile p = block;
  free(p);
  printf("read %d\n", p[0]); // BUG: use-after-free
  return 0;
}
