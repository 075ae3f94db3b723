// Object caches vs malloc/free, side by side in one run, under tagsan.
// Each pattern allocates BATCH objects of 48 bytes, touches them, frees
// them, ROUNDS times. Prints ns per alloc+free pair for malloc and for
// each kind of cache, and for the constructor cache the constructor calls
// next to objects created and allocations made.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tagsan.h>

#define SIZE 48
#define BATCH 256

static long ctor_calls;
static void ctor(void *p) {
    memset(p, 0, SIZE);
    ctor_calls++;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *held[BATCH];

static double run_malloc(long rounds) {
    double t0 = now();
    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < BATCH; i++) {
            held[i] = malloc(SIZE);
            *(long *)held[i] = r;
        }
        for (int i = 0; i < BATCH; i++) free(held[i]);
    }
    return (now() - t0) * 1e9 / (rounds * BATCH);
}

static double run_cache(tagsan_cache_t *c, long rounds) {
    double t0 = now();
    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < BATCH; i++) {
            held[i] = tagsan_cache_alloc(c);
            *(long *)held[i] = r;
        }
        for (int i = 0; i < BATCH; i++) tagsan_cache_free(c, held[i]);
    }
    return (now() - t0) * 1e9 / (rounds * BATCH);
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 4000;
    tagsan_cache_t *plain = tagsan_cache_create("plain", SIZE, 8, 0, NULL);
    tagsan_cache_t *with_ctor = tagsan_cache_create("ctor", SIZE, 8, 0, ctor);
    tagsan_cache_t *rcu = tagsan_cache_create("rcu", SIZE, 8, TAGSAN_CACHE_TYPESAFE_BY_RCU, ctor);
    // Warm up every allocator once, then measure in alternation, best of 3.
    run_malloc(10), run_cache(plain, 10), run_cache(with_ctor, 10), run_cache(rcu, 10);
    double best[4] = {1e9, 1e9, 1e9, 1e9};
    for (int rep = 0; rep < 3; rep++) {
        double t[4] = {run_malloc(rounds), run_cache(plain, rounds), run_cache(with_ctor, rounds), run_cache(rcu, rounds)};
        for (int i = 0; i < 4; i++)
            if (t[i] < best[i]) best[i] = t[i];
    }
    const char *names[4] = {"malloc/free", "cache (plain)", "cache (constructor)", "cache (ctor+RCU)"};
    printf("%-22s %12s %12s %10s\n", "allocator", "ns/pair", "Mpairs/s", "vs malloc");
    for (int i = 0; i < 4; i++)
        printf("%-22s %12.1f %12.2f %9.2fx\n", names[i], best[i], 1e3 / best[i], best[0] / best[i]);
    tagsan_cache_stats_t s, s2;
    tagsan_cache_stats(with_ctor, &s);
    tagsan_cache_stats(rcu, &s2);
    long allocations = (10 + 3 * rounds) * (long)BATCH;
    printf("constructor cache: allocations %ld, objects created %llu, constructor calls %llu\n", allocations,
           (unsigned long long)s.objects_created, (unsigned long long)s.ctor_calls);
    printf("ctor+RCU cache:    allocations %ld, objects created %llu, constructor calls %llu\n", allocations,
           (unsigned long long)s2.objects_created, (unsigned long long)s2.ctor_calls);
    printf("constructor calls in the program (both caches): %ld\n", ctor_calls);
    // Read-side cost (uncontended) and grace-period latency.
    long n = rounds * 1000;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        tagsan_rcu_read_lock();
        __asm__ volatile("" ::: "memory");
        tagsan_rcu_read_unlock();
    }
    double read_ns = (now() - t0) * 1e9 / n;
    t0 = now();
    for (int i = 0; i < 1000; i++) tagsan_synchronize_rcu();
    double sync_us = (now() - t0) * 1e6 / 1000;
    printf("rcu_read_lock+unlock: %.1f ns; synchronize_rcu (no readers): %.1f us\n", read_ns, sync_us);
    tagsan_cache_destroy(plain);
    tagsan_cache_destroy(with_ctor);
    tagsan_cache_destroy(rcu);
    tagsan_rcu_barrier();
    return 0;
}
