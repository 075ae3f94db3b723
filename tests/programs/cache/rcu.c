// Rules 3-6: TYPESAFE_BY_RCU caches, slab_rcu_debug, the no-constructor
// warning, and memory released by shrink/destroy. argv[1] picks the case.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <tagsan.h>

struct node { long key; long value; struct node *self; };

static void node_ctor(void *p) {
    struct node *n = p;
    n->key = -1;
    n->self = n;
}

__attribute__((noinline)) static struct node *new_node(tagsan_cache_t *c, long key) {
    struct node *n = tagsan_cache_alloc(c); // MARK:alloc
    n->key = key;
    return n;
}

__attribute__((noinline)) static void retire_node(tagsan_cache_t *c, struct node *n) {
    tagsan_cache_free(c, n); // MARK:free
}

__attribute__((noinline)) static long read_key(struct node *n) {
    return n->key; // MARK:read
}

// A reader reads a freed object inside its section (fine); the slab goes
// back after a grace period; a read after that is a use after free.
static int after_shrink(void) {
    tagsan_cache_t *c = tagsan_cache_create("sess", sizeof(struct node), 8, TAGSAN_CACHE_TYPESAFE_BY_RCU, node_ctor);
    struct node *n = new_node(c, 7);
    tagsan_rcu_read_lock();
    retire_node(c, n);
    printf("inside section: %ld\n", read_key(n));
    printf("shrunk %zu\n", tagsan_cache_shrink(c));
    printf("still inside: %ld\n", read_key(n));
    tagsan_rcu_read_unlock();
    tagsan_rcu_barrier();
    fprintf(stderr, "grace period over\n");
    printf("after: %ld\n", read_key(n));
    return 0;
}

// slab_rcu_debug: a freed object is readable until the grace period, then
// reported, while its slab (kept alive by `other`) still exists.
static int debug_retag(void) {
    tagsan_cache_t *c = tagsan_cache_create("sess", sizeof(struct node), 8, TAGSAN_CACHE_TYPESAFE_BY_RCU, node_ctor);
    struct node *other = new_node(c, 1);
    struct node *n = new_node(c, 2);
    retire_node(c, n);
    tagsan_rcu_read_lock();
    printf("inside section: %ld\n", read_key(n));
    tagsan_rcu_read_unlock();
    tagsan_synchronize_rcu();
    fprintf(stderr, "grace period over\n");
    printf("after: %ld (other %ld)\n", read_key(n), other->key);
    return 0;
}

static int destroy_live(void) {
    tagsan_cache_t *c = tagsan_cache_create("tmp", sizeof(struct node), 8, 0, NULL);
    struct node *n = new_node(c, 3);
    tagsan_cache_destroy(c);
    printf("after destroy: %ld\n", read_key(n));
    return 0;
}

static int shrink_plain(void) {
    tagsan_cache_t *c = tagsan_cache_create("tmp", sizeof(struct node), 8, 0, node_ctor);
    struct node *n = new_node(c, 4);
    retire_node(c, n);
    printf("shrunk %zu\n", tagsan_cache_shrink(c));
    printf("after shrink: %ld\n", n->self->key); // MARK:shrunk
    return 0;
}

// Readers follow published pointers inside read-side sections while
// writers replace and free the objects at once (type-stable) and wait for
// grace periods; every few rounds the cache is shrunk. No report expected.
#define SLOTS 64
static _Atomic(struct node *) table[SLOTS];
static tagsan_cache_t *mt_cache;
static atomic_int stop;
static atomic_long reads;

static void *reader(void *arg) {
    (void)arg;
    long n = 0;
    while (!atomic_load(&stop)) {
        tagsan_rcu_read_lock();
        for (int i = 0; i < SLOTS; i++) {
            struct node *p = atomic_load_explicit(&table[i], memory_order_acquire);
            if (p && p->self != p) { fprintf(stderr, "torn object\n"); _exit(3); }
            n++;
        }
        tagsan_rcu_read_unlock();
    }
    atomic_fetch_add(&reads, n);
    return NULL;
}

static void *writer(void *arg) {
    long id = (long)arg;
    for (int round = 0; round < 300; round++) {
        for (int i = (int)id; i < SLOTS; i += 2) {
            struct node *fresh = tagsan_cache_alloc(mt_cache);
            fresh->key = round;
            struct node *old = atomic_exchange_explicit(&table[i], fresh, memory_order_acq_rel);
            if (old) tagsan_cache_free(mt_cache, old);
        }
        if (round % 10 == 0) tagsan_synchronize_rcu();
        if (round % 50 == 0) tagsan_cache_shrink(mt_cache);
    }
    return NULL;
}

static int threads(void) {
    mt_cache = tagsan_cache_create("table", sizeof(struct node), 8, TAGSAN_CACHE_TYPESAFE_BY_RCU, node_ctor);
    pthread_t r[3], w[2];
    for (int i = 0; i < 3; i++) pthread_create(&r[i], NULL, reader, NULL);
    for (long i = 0; i < 2; i++) pthread_create(&w[i], NULL, writer, (void *)i);
    for (int i = 0; i < 2; i++) pthread_join(w[i], NULL);
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++) pthread_join(r[i], NULL);
    for (int i = 0; i < SLOTS; i++) tagsan_cache_free(mt_cache, atomic_exchange(&table[i], NULL));
    tagsan_rcu_barrier();
    tagsan_cache_stats_t s;
    tagsan_cache_stats(mt_cache, &s);
    printf("reads %ld live %llu\n", atomic_load(&reads), (unsigned long long)s.live_objects);
    tagsan_cache_destroy(mt_cache);
    tagsan_rcu_barrier();
    return 0;
}

static int warn(void) {
    tagsan_cache_t *c = tagsan_cache_create("bare", 32, 0, TAGSAN_CACHE_TYPESAFE_BY_RCU, NULL);
    void *p = tagsan_cache_alloc(c);
    tagsan_cache_free(c, p);
    tagsan_cache_destroy(c);
    tagsan_rcu_barrier();
    return 0;
}

// fork while another thread is inside a read-side section: the child can
// still allocate, free and wait for grace periods (its copy of that thread's
// section does not exist), and the parent goes on.
static atomic_int in_section, leave;
static void *sitting_reader(void *arg) {
    (void)arg;
    tagsan_rcu_read_lock();
    atomic_store(&in_section, 1);
    while (!atomic_load(&leave)) usleep(1000);
    tagsan_rcu_read_unlock();
    return NULL;
}

static int fork_child(void) {
    tagsan_cache_t *c = tagsan_cache_create("forked", sizeof(struct node), 8, TAGSAN_CACHE_TYPESAFE_BY_RCU, node_ctor);
    struct node *kept = new_node(c, 1);
    pthread_t t;
    pthread_create(&t, NULL, sitting_reader, NULL);
    while (!atomic_load(&in_section)) usleep(1000);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20);
        for (int i = 0; i < 10000; i++) retire_node(c, new_node(c, i));
        tagsan_synchronize_rcu();
        tagsan_cache_shrink(c);
        tagsan_rcu_barrier();
        printf("child ok %ld\n", read_key(kept));
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    atomic_store(&leave, 1);
    pthread_join(t, NULL);
    tagsan_synchronize_rcu();
    printf("child status %d parent %ld\n", status, read_key(kept));
    return status != 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "threads";
    if (!strcmp(mode, "after_shrink")) return after_shrink();
    if (!strcmp(mode, "debug")) return debug_retag();
    if (!strcmp(mode, "destroy")) return destroy_live();
    if (!strcmp(mode, "shrink_plain")) return shrink_plain();
    if (!strcmp(mode, "warn")) return warn();
    if (!strcmp(mode, "fork")) return fork_child();
    return threads();
}
