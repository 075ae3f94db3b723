// fork while other threads malloc, free and write heavily: every child sees
// a consistent heap, can allocate, and the parent's threads carry on.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 4
static atomic_int stop;

static void *churn(void *arg) {
  long id = (long)arg;
  char *slots[64] = {0};
  unsigned n = (unsigned)id * 7919u;
  while (!atomic_load(&stop)) {
    n = n * 1103515245u + 12345u;
    unsigned i = (n >> 8) % 64;
    size_t size = 1 + (n >> 16) % (i < 4 ? 200000 : 512);
    free(slots[i]);
    slots[i] = malloc(size);
    memset(slots[i], (int)id, size);
    // Each block holds its id everywhere: a torn copy would show.
    for (int k = 0; k < 64; k++)
      if (slots[k] && slots[k][0] != (char)id) abort();
  }
  for (int k = 0; k < 64; k++) free(slots[k]);
  return NULL;
}

int main(void) {
  pthread_t t[THREADS];
  int *counter = malloc(sizeof *counter);
  *counter = 0;
  for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, churn, (void *)(i + 1));
  for (int f = 0; f < 20; f++) {
    usleep(2000);
    *counter = f;
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
      if (*counter != f) _exit(10);
      for (int i = 0; i < 1000; i++) {
        char *p = malloc(100);
        memset(p, 0, 100);
        free(p);
      }
      *counter = -1; // invisible to the parent
      _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "child %d failed: status %d\n", f, status);
      return 3;
    }
    if (*counter != f) {
      fprintf(stderr, "parent sees the child's write\n");
      return 4;
    }
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  free(counter);
  puts("fork with threads ok");
  return 0;
}
