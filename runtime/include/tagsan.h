/*
 * tagsan.h - the tagsan runtime's C API: object caches and RCU.
 *
 * Installed with the runtime (runtime/include/ in the source tree; compile
 * with -I<that directory>). Link with libtagsan_rt.a, as every tagsan
 * program does; the symbols below are exported by the runtime archive.
 *
 * Object caches bring the Linux slab-cache model (kmem_cache) to user
 * space, tagged the way the kernel's tag-based KASAN tags slabs:
 *
 *  - no constructor, no flag: like malloc. Every allocation gets a fresh
 *    tag, free retags: a use after free is reported.
 *  - with a constructor: the constructor runs once per object, when its
 *    slab is created, never on reallocation. The object's tag is fixed
 *    then and restored on every allocation, so pointers the constructor
 *    stored (a self-referencing list head, say) stay valid. Neighbouring
 *    objects always have different tags, so overflows are still caught.
 *    A free object is tagged freed until it is allocated again.
 *  - TAGSAN_CACHE_TYPESAFE_BY_RCU: free does not retag, so an RCU reader
 *    may read a freed (and even reallocated) object of the same type; slab
 *    memory goes back to the system only after a grace period, after which
 *    any access is reported. Such a cache should have a constructor (a
 *    warning says so otherwise; TAGSAN_OPTIONS=warn_rcu_without_ctor=0).
 *    TAGSAN_OPTIONS=slab_rcu_debug=1 (like Linux's SLUB_RCU_DEBUG) keeps a
 *    freed object readable, and out of reuse, for one grace period only,
 *    then tags it freed: a use after free past the grace period is reported
 *    even while its slab lives.
 *
 * RCU is provided by the runtime (liburcu's "memb" algorithm): no extra
 * library, the same calls from C and Rust, and the runtime ties slab
 * releases and slab_rcu_debug retags to its grace periods. Deferred work
 * runs on the thread that calls tagsan_synchronize_rcu/tagsan_rcu_barrier.
 *
 * All functions are thread safe. Read-side sections are cheap (a
 * thread-local counter and, without membarrier(2), one fence) and nest.
 */
#ifndef TAGSAN_H
#define TAGSAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TAGSAN_H_VERSION 1

/* Objects stay type-stable across free; memory is released only after a
 * grace period (SLAB_TYPESAFE_BY_RCU). */
#define TAGSAN_CACHE_TYPESAFE_BY_RCU 0x1u

typedef struct tagsan_cache tagsan_cache_t;

/* Called with each new object, once, when its slab is created. */
typedef void (*tagsan_ctor_t)(void *object);

/* Counters of a cache (tagsan_cache_stats). */
typedef struct tagsan_cache_stats {
    uint64_t objects_created; /* objects in all slabs ever created */
    uint64_t ctor_calls;      /* constructor calls (== objects_created with a ctor) */
    uint64_t live_objects;    /* allocated and not freed */
    uint64_t slabs;           /* slabs currently held */
    uint64_t object_size;
    uint64_t objects_per_slab;
} tagsan_cache_stats_t;

/* Creates a cache of objects of object_size bytes (1..131072) aligned to
 * align (0 = 16, else a power of two <= 4096). name is copied (64 bytes
 * kept) and appears in reports. ctor may be NULL. NULL on bad arguments. */
tagsan_cache_t *tagsan_cache_create(const char *name, size_t object_size, size_t align, unsigned flags,
                                    tagsan_ctor_t ctor);
/* A new object (its tagged pointer), or NULL when out of memory. */
void *tagsan_cache_alloc(tagsan_cache_t *cache);
/* Frees an object of this cache (NULL is ignored). Double and invalid
 * frees are reported. */
void tagsan_cache_free(tagsan_cache_t *cache, void *object);
/* Releases the cache's empty slabs (RCU caches: after a grace period).
 * Returns how many slabs were taken out of the cache. Free objects kept in
 * other threads' per-thread magazines keep their slabs until those threads
 * next use the cache or exit. */
size_t tagsan_cache_shrink(tagsan_cache_t *cache);
/* Releases every slab (RCU caches: after a grace period) and warns about
 * objects still allocated. The handle must not be used afterwards. */
void tagsan_cache_destroy(tagsan_cache_t *cache);
/* 0 and *out filled, or -1 for a NULL argument. Counts live objects by
 * looking at every object (O(objects): not for hot paths). */
int tagsan_cache_stats(tagsan_cache_t *cache, tagsan_cache_stats_t *out);

/* RCU. */
void tagsan_rcu_read_lock(void);
void tagsan_rcu_read_unlock(void);
/* Waits until every read-side section that began before the call ended.
 * Must not be called inside a read-side section (that is reported). */
void tagsan_synchronize_rcu(void);
/* Waits until every callback queued (tagsan_call_rcu, deferred slab
 * releases) before the call has run. May be called from inside a callback
 * (it then runs the other ready callbacks itself, and does not wait for
 * callbacks that are themselves waiting in tagsan_rcu_barrier). */
void tagsan_rcu_barrier(void);
/* Calls f(arg) after a grace period. */
void tagsan_call_rcu(void (*f)(void *), void *arg);

/* Run-time options built into the program, applied before TAGSAN_OPTIONS
 * (which overrides them), as ASan's __asan_default_options. Define it in
 * the program to use it; the runtime holds a weak reference. It runs
 * during the runtime's start-up: it may call malloc, and must not wait for
 * other threads. __hwasan_default_options is also read (before this one). */
const char *__tagsan_default_options(void);

#ifdef __cplusplus
}
#endif

#endif /* TAGSAN_H */
