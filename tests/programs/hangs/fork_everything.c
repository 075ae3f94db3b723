// fork 200 times while other threads use every part of the runtime: malloc
// and realloc of small and large blocks, object caches (plain and RCU with
// a constructor, shrink), RCU (read-side sections, call_rcu, synchronize,
// barrier) and reports (built with the `recover` pass option, run with
// halt_on_error=0). Each child uses them all again, forks a grandchild
// while one of its own threads starts using RCU, and exits 0. Issue 13,
// item 3: no lock of the runtime may be left held in a child.
//
// argv[1]: "all" (default) or "rcu-only" (no object cache is ever created).
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <tagsan.h>

#define FORKS 200
static atomic_int stop;
static int rcu_only;
static tagsan_cache_t *plain, *rcu_cache;
struct obj { long v; struct obj *self; };
static void ctor(void *p) { struct obj *o = p; o->v = 1; o->self = o; }

static void use_malloc(unsigned n) {
  size_t size = 1 + (n >> 8) % ((n & 7) == 0 ? 300000 : 600);
  char *p = malloc(size);
  memset(p, 7, size);
  p = realloc(p, size + 100);
  free(p);
}

static void use_caches(void) {
  if (rcu_only) return;
  void *a = tagsan_cache_alloc(plain);
  struct obj *b = tagsan_cache_alloc(rcu_cache);
  if (b->self != b) abort();
  tagsan_cache_free(plain, a);
  tagsan_cache_free(rcu_cache, b);
}

static void note(void *arg) { (void)arg; }

static void use_rcu(unsigned n) {
  tagsan_rcu_read_lock();
  tagsan_rcu_read_lock();
  tagsan_rcu_read_unlock();
  tagsan_rcu_read_unlock();
  tagsan_call_rcu(note, NULL);
  if (n % 16 == 0) tagsan_synchronize_rcu();
  if (n % 64 == 0) tagsan_rcu_barrier();
}

// Distinct overflow sites: reports are printed once per site.
#define SITE(n) __attribute__((noinline)) static void overflow##n(char *p) { p[24 + (n) % 8] = 1; }
#define S4(n) SITE(n##0) SITE(n##1) SITE(n##2) SITE(n##3)
#define S16(n) S4(n##0) S4(n##1) S4(n##2) S4(n##3)
S16(1) S16(2)
#define P4(n) overflow##n##0, overflow##n##1, overflow##n##2, overflow##n##3
#define P16(n) P4(n##0), P4(n##1), P4(n##2), P4(n##3)
static void (*sites[])(char *) = {P16(1), P16(2)};
#define NSITES (int)(sizeof sites / sizeof sites[0])

static void use_reports(unsigned n) {
  char *p = malloc(24);
  sites[n % NSITES](p);
  free(p);
}

static void *worker(void *arg) {
  long kind = (long)arg;
  unsigned n = (unsigned)kind * 2654435761u;
  while (!atomic_load(&stop)) {
    n = n * 1103515245u + 12345u;
    switch (kind) {
    case 0: use_malloc(n); break;
    case 1: use_caches(); use_malloc(n); break;
    case 2: use_rcu(n); break;
    case 3: use_reports(n); usleep(200); break;
    }
  }
  return NULL;
}

static void *first_rcu(void *arg) {
  (void)arg;
  use_rcu(0);
  return NULL;
}

static int child(unsigned n) {
  use_malloc(n);
  use_caches();
  use_rcu(0);
  use_reports(n);
  if (!rcu_only) tagsan_cache_shrink(plain);
  // A thread starts using RCU while this child forks again.
  pthread_t t;
  pthread_create(&t, NULL, first_rcu, NULL);
  pid_t g = fork();
  if (g == 0) {
    use_rcu(0);
    use_malloc(n + 1);
    _exit(0);
  }
  pthread_join(t, NULL);
  int status = 0;
  if (g < 0 || waitpid(g, &status, 0) != g || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 3;
  tagsan_rcu_barrier();
  return 0;
}

int main(int argc, char **argv) {
  rcu_only = argc > 1 && !strcmp(argv[1], "rcu-only");
  if (!rcu_only) {
    plain = tagsan_cache_create("plain", 40, 0, 0, NULL);
    rcu_cache = tagsan_cache_create("rcu", sizeof(struct obj), 0, TAGSAN_CACHE_TYPESAFE_BY_RCU, ctor);
  }
  pthread_t t[4];
  for (long k = 0; k < 4; k++) pthread_create(&t[k], NULL, worker, (void *)k);
  int failed = 0;
  for (int f = 0; f < FORKS; f++) {
    usleep(500);
    pid_t pid = fork();
    if (pid == 0) _exit(child((unsigned)f));
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "child %d failed (status %#x)\n", f, status);
      failed++;
    }
  }
  atomic_store(&stop, 1);
  for (int k = 0; k < 4; k++) pthread_join(t[k], NULL);
  tagsan_rcu_barrier();
  printf("forked %d times, %d children failed\n", FORKS, failed);
  return failed != 0;
}
