/* A stock program (plain clang, no tagsan) that dlopens a plugin and calls
 * it from 4 threads and from a forked child, then calls its buggy entry
 * point if asked: `host PLUGIN.so [bug]`. Exits 0 when all went well. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int (*plugin_clean)(int);

static void *worker(void *arg) {
  long id = (long)arg;
  for (int i = 0; i < 2000; i++) {
    char *own = malloc(16 + (size_t)(i % 300)); /* the host's own heap use */
    memset(own, (int)id, 16);
    if (plugin_clean(1 + i % 100) != 7 * (1 + i % 100))
      abort();
    free(own);
  }
  return NULL;
}

int main(int argc, char **argv) {
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 2;
  }
  plugin_clean = (int (*)(int))dlsym(h, "plugin_clean");
  int (*plugin_overflow)(int) = (int (*)(int))dlsym(h, "plugin_overflow");
  pthread_t t[4];
  for (long i = 0; i < 4; i++)
    pthread_create(&t[i], NULL, worker, (void *)i);
  pid_t pid = fork(); /* while the threads allocate */
  if (pid == 0) {
    worker((void *)9);
    _exit(plugin_clean(10) == 70 ? 0 : 3);
  }
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "child failed: status %d\n", status);
    return 4;
  }
  printf("host: threads and fork ok\n");
  fflush(stdout);
  if (argc > 2)
    plugin_overflow(24);
  return 0;
}
