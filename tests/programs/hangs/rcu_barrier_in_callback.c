// tagsan_rcu_barrier called from inside call_rcu callbacks (issue 13,
// item 2). argv[1] picks the case:
//   nested   - a callback waits for the callbacks queued before it
//   threads  - callbacks on two threads wait at once (not for each other)
//   cache    - a callback frees objects of an RCU cache and waits for their
//              release (the cache's own deferred work)
//   requeue  - a callback that queues itself again and waits for itself:
//              a one-line fatal error, never endless recursion or a hang
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <tagsan.h>

static atomic_int ran;

static void count(void *arg) {
  (void)arg;
  atomic_fetch_add(&ran, 1);
}

// Queued after `count` callbacks: waits for them, then checks they ran.
static void wait_for_earlier(void *arg) {
  int want = *(int *)arg;
  tagsan_rcu_barrier();
  int seen = atomic_load(&ran);
  if (seen < want) {
    fprintf(stderr, "barrier in a callback returned before %d earlier callbacks ran (%d)\n", want, seen);
    return;
  }
  atomic_fetch_add(&ran, 100);
}

static int nested(void) {
  static int want = 3;
  for (int i = 0; i < 3; i++) tagsan_call_rcu(count, NULL);
  tagsan_call_rcu(wait_for_earlier, &want);
  tagsan_call_rcu(count, NULL);
  tagsan_rcu_barrier();
  printf("nested: ran %d\n", atomic_load(&ran));
  return atomic_load(&ran) == 104 ? 0 : 1;
}

static void *queue_waiters(void *arg) {
  (void)arg;
  static int zero = 0;
  for (int round = 0; round < 200; round++) {
    tagsan_call_rcu(count, NULL);
    tagsan_call_rcu(wait_for_earlier, &zero);
    tagsan_synchronize_rcu();
  }
  tagsan_rcu_barrier();
  return NULL;
}

static int threads(void) {
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, queue_waiters, NULL);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  tagsan_rcu_barrier();
  printf("threads: ran %d\n", atomic_load(&ran));
  return atomic_load(&ran) == 2 * 200 * 101 ? 0 : 1;
}

struct node { long key; };
static tagsan_cache_t *cache;
static struct node *nodes[64];

static void ctor(void *p) { ((struct node *)p)->key = -1; }

static void drop_all(void *arg) {
  (void)arg;
  for (int i = 0; i < 64; i++) tagsan_cache_free(cache, nodes[i]);
  tagsan_cache_destroy(cache); // slabs released after a grace period...
  tagsan_rcu_barrier();        // ...which this waits for
  atomic_fetch_add(&ran, 1);
}

static int cache_case(void) {
  cache = tagsan_cache_create("nodes", sizeof(struct node), 0, TAGSAN_CACHE_TYPESAFE_BY_RCU, ctor);
  for (int i = 0; i < 64; i++) nodes[i] = tagsan_cache_alloc(cache);
  tagsan_call_rcu(drop_all, NULL);
  tagsan_rcu_barrier();
  printf("cache: ran %d\n", atomic_load(&ran));
  return atomic_load(&ran) == 1 ? 0 : 1;
}

static void again(void *arg) {
  tagsan_call_rcu(again, arg);
  tagsan_rcu_barrier();
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "nested";
  if (!strcmp(mode, "nested")) return nested();
  if (!strcmp(mode, "threads")) return threads();
  if (!strcmp(mode, "cache")) return cache_case();
  if (!strcmp(mode, "requeue")) {
    tagsan_call_rcu(again, NULL);
    tagsan_rcu_barrier();
    puts("requeue returned");
    return 0;
  }
  return 2;
}
