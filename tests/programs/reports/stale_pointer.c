// A pointer kept after its block was freed and its memory handed out again
// (malloc, or an object cache): the report must name the stale block's own
// allocation and free stacks, and the block that owns the memory now.
// argv[1]: uaf-malloc, double-malloc, uaf-cache, double-cache, uaf-thread,
// uaf-freed-again (the new block is freed too before the stale access),
// uaf-fork (the stale access in a child forked while another thread keeps
// recording history).
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sanitizer/hwasan_interface.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tagsan.h>

struct req { long id; char body[32]; };

static int same_memory(const void *a, const void *b) {
  return __hwasan_tag_pointer(a, 0) == __hwasan_tag_pointer(b, 0);
}

__attribute__((noinline)) static char *make(void) {
  return malloc(40); // MARK:alloc
}

__attribute__((noinline)) static void release(char *p) {
  free(p); // MARK:free
}

// Allocates 40-byte blocks (and frees those that miss) until one lands on
// `old`'s memory: the quarantine lets it go after ~1 MiB of frees.
__attribute__((noinline)) static char *reuse(const char *old) {
  for (long i = 0; i < 10000000; i++) {
    char *q = malloc(40); // MARK:reuse
    if (same_memory(q, old)) return q;
    free(q);
  }
  fprintf(stderr, "memory never reused\n");
  exit(3);
}

__attribute__((noinline)) static struct req *make_req(tagsan_cache_t *c) {
  return tagsan_cache_alloc(c); // MARK:cache_alloc
}

__attribute__((noinline)) static void drop_req(tagsan_cache_t *c, struct req *r) {
  tagsan_cache_free(c, r); // MARK:cache_free
}

__attribute__((noinline)) static struct req *make_again(tagsan_cache_t *c) {
  return tagsan_cache_alloc(c); // MARK:cache_reuse
}

static void *free_in_thread(void *p) {
  release(p);
  return NULL;
}

static atomic_int stop;

// Reuses memory (so records history) until told to stop.
static void *churn(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) free(malloc(24));
  return NULL;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "uaf-malloc") || !strcmp(mode, "double-malloc") || !strcmp(mode, "uaf-thread") ||
      !strcmp(mode, "uaf-freed-again")) {
    char *p = make();
    if (!strcmp(mode, "uaf-thread")) {
      pthread_t t;
      pthread_create(&t, NULL, free_in_thread, p);
      pthread_join(t, NULL);
    } else {
      release(p);
    }
    char *now = reuse(p);
    now[4] = 1;
    if (!strcmp(mode, "uaf-freed-again")) free(now); // MARK:refreed
    if (!strcmp(mode, "double-malloc")) {
      free(p); // MARK:double
      return 0;
    }
    volatile char *stale = p;
    return stale[4]; // MARK:bug
  }
  if (!strcmp(mode, "uaf-fork")) {
    char *p = make();
    release(p);
    char *now = reuse(p);
    now[4] = 1;
    pthread_t t;
    pthread_create(&t, NULL, churn, NULL);
    for (volatile int i = 0; i < 1000000; i++) {}
    pid_t pid = fork();
    if (pid == 0) {
      volatile char *stale = p;
      return stale[8]; // MARK:child_bug
    }
    int status = 0;
    waitpid(pid, &status, 0);
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
  }
  if (!strcmp(mode, "uaf-cache") || !strcmp(mode, "double-cache")) {
    tagsan_cache_t *c = tagsan_cache_create("req", sizeof(struct req), 0, 0, NULL);
    struct req *r = make_req(c);
    drop_req(c, r);
    struct req *now = make_again(c);
    if (!same_memory(r, now)) {
      fprintf(stderr, "object not reused\n");
      return 3;
    }
    now->id = 2;
    if (!strcmp(mode, "double-cache")) {
      tagsan_cache_free(c, r); // MARK:cache_double
      return 0;
    }
    volatile struct req *stale = r;
    return (int)stale->id; // MARK:cache_bug
  }
  return 2;
}
