// Object caches vs malloc/free, side by side in one binary, under tagsan.
// Three patterns, each on 64-byte objects (SIZE):
//   alternating  allocate one object, touch it, free it; again and again
//   batch        allocate BATCH objects, touch them, free them all; again
//   2 threads    the alternating pattern in two threads at once, on the
//                same cache (CPU ns per pair of each thread, averaged)
// Prints CPU ns per alloc+free pair (best of REPS, the allocators measured
// in alternation so that load from other processes hits them alike) for
// malloc and for each kind of cache, then, for the constructor caches, the
// constructor calls next to objects created and allocations made.
//   cache_bench [pairs per measurement, default 2000000]
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tagsan.h>

#define SIZE 64
#define BATCH 64
#define REPS 5

static long ctor_calls;
static void ctor(void *p) {
    memset(p, 0, SIZE);
    ctor_calls++;
}

// CPU time of this thread: immune to other processes taking the CPU.
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *held[BATCH];
static _Atomic long allocations;

// A NULL cache means malloc/free.
static void *get(tagsan_cache_t *c) { return c ? tagsan_cache_alloc(c) : malloc(SIZE); }
static void put(tagsan_cache_t *c, void *p) {
    if (c)
        tagsan_cache_free(c, p);
    else
        free(p);
}

static double alternating(tagsan_cache_t *c, long pairs) {
    double t0 = now();
    for (long i = 0; i < pairs; i++) {
        void *p = get(c);
        *(volatile long *)p = i;
        put(c, p);
    }
    if (c) allocations += pairs;
    return (now() - t0) * 1e9 / pairs;
}

static double batch(tagsan_cache_t *c, long pairs) {
    long rounds = pairs / BATCH;
    double t0 = now();
    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < BATCH; i++) {
            held[i] = get(c);
            *(volatile long *)held[i] = r;
        }
        for (int i = 0; i < BATCH; i++) put(c, held[i]);
    }
    if (c) allocations += rounds * BATCH;
    return (now() - t0) * 1e9 / (rounds * BATCH);
}

struct job {
    tagsan_cache_t *cache;
    long pairs;
    double ns;
};

static void *alternating_job(void *arg) {
    struct job *j = arg;
    j->ns = alternating(j->cache, j->pairs);
    return NULL;
}

static double two_threads(tagsan_cache_t *c, long pairs) {
    struct job jobs[2] = {{c, pairs / 2, 0}, {c, pairs / 2, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, alternating_job, &jobs[i]);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    return (jobs[0].ns + jobs[1].ns) / 2;
}

int main(int argc, char **argv) {
    long pairs = argc > 1 ? atol(argv[1]) : 2000000;
    enum { N = 4 };
    tagsan_cache_t *caches[N] = {
        NULL,
        tagsan_cache_create("plain", SIZE, 0, 0, NULL),
        tagsan_cache_create("ctor", SIZE, 0, 0, ctor),
        tagsan_cache_create("rcu", SIZE, 0, TAGSAN_CACHE_TYPESAFE_BY_RCU, ctor),
    };
    const char *names[N] = {"malloc/free", "cache (plain)", "cache (constructor)", "cache (ctor+RCU)"};
    enum { P = 3 };
    double (*patterns[P])(tagsan_cache_t *, long) = {alternating, batch, two_threads};
    const char *pattern_names[P] = {"alternating", "batch of 64", "2 threads"};
    double best[P][N];
    for (int p = 0; p < P; p++)
        for (int i = 0; i < N; i++) {
            patterns[p](caches[i], pairs / 20); // warm up
            best[p][i] = 1e9;
        }
    for (int rep = 0; rep < REPS; rep++)
        for (int p = 0; p < P; p++)
            for (int i = 0; i < N; i++) {
                double t = patterns[p](caches[i], pairs);
                if (t < best[p][i]) best[p][i] = t;
            }
    printf("%-12s %-22s %10s %10s %10s\n", "pattern", "allocator", "ns/pair", "Mpairs/s", "vs malloc");
    for (int p = 0; p < P; p++)
        for (int i = 0; i < N; i++)
            printf("%-12s %-22s %10.1f %10.2f %9.2fx\n", pattern_names[p], names[i], best[p][i], 1e3 / best[p][i],
                   best[p][0] / best[p][i]);
    long per_cache = allocations / (N - 1);
    for (int i = 2; i < N; i++) {
        tagsan_cache_stats_t s;
        tagsan_cache_stats(caches[i], &s);
        printf("%s: allocations %ld, objects created %llu, constructor calls %llu\n", names[i], per_cache,
               (unsigned long long)s.objects_created, (unsigned long long)s.ctor_calls);
    }
    printf("constructor calls in the program (both caches): %ld\n", ctor_calls);
    // Read-side cost (uncontended) and grace-period latency.
    long n = pairs * 10;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        tagsan_rcu_read_lock();
        __asm__ volatile("" ::: "memory");
        tagsan_rcu_read_unlock();
    }
    double read_ns = (now() - t0) * 1e9 / n;
    struct timespec w0, w1;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    for (int i = 0; i < 1000; i++) tagsan_synchronize_rcu();
    clock_gettime(CLOCK_MONOTONIC, &w1);
    double sync_us = ((w1.tv_sec - w0.tv_sec) * 1e9 + (w1.tv_nsec - w0.tv_nsec)) / 1e3 / 1000;
    printf("rcu_read_lock+unlock: %.1f ns; synchronize_rcu (no readers): %.1f us\n", read_ns, sync_us);
    for (int i = 1; i < N; i++) tagsan_cache_destroy(caches[i]);
    tagsan_rcu_barrier();
    return 0;
}
