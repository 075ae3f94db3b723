// An ordinary program: heap blocks of every size, from two threads. Run
// with an LD_PRELOAD library that wraps getenv, mmap, memfd_create... with
// functions that call malloc (interposed_libc.c built with -DPRELOAD).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *work(void *arg) {
  (void)arg;
  for (int i = 0; i < 200; i++) {
    size_t n = (size_t)(i % 50) * 5000 + 1;
    char *p = malloc(n);
    memset(p, i, n);
    p = realloc(p, n * 2);
    free(p);
  }
  return NULL;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, work, NULL);
  work(NULL);
  pthread_join(t, NULL);
  printf("heap user ok, HOME %s\n", getenv("HOME") ? "set" : "unset");
  return 0;
}
