// Rule 2: the constructor runs once per object (when its slab is made) and
// the object's tag survives free and reallocation, so the self-referencing
// list head it stored stays valid. argv[1]: "cycles" (clean, prints the
// counts) or "overflow" (8 bytes past a 48-byte object: reported).
#include <stdio.h>
#include <string.h>
#include <tagsan.h>

struct list { struct list *next, *prev; };
struct conn { struct list link; long fd; long state; long pad[2]; }; // 48 bytes

static long ctor_calls;

static void conn_ctor(void *p) {
    struct conn *c = p;
    c->link.next = c->link.prev = &c->link; // a pointer the constructor stores
    c->fd = -1;
    ctor_calls++;
}

__attribute__((noinline)) static struct conn *open_conn(tagsan_cache_t *c) {
    return tagsan_cache_alloc(c); // MARK:alloc
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "cycles";
    unsigned flags = !strcmp(mode, "overflow") ? TAGSAN_CACHE_TYPESAFE_BY_RCU : 0;
    tagsan_cache_t *cache = tagsan_cache_create("conn", sizeof(struct conn), 8, flags, conn_ctor);
    if (!strcmp(mode, "overflow")) {
        struct conn *a = open_conn(cache);
        struct conn *b = open_conn(cache);
        long *past = (long *)((char *)a + sizeof(struct conn) + 8);
        *past = 1; // MARK:overflow
        printf("%p\n", (void *)b);
        return 0;
    }
    struct conn *held[64];
    for (int round = 0; round < 2000; round++) {
        for (int i = 0; i < 64; i++) {
            struct conn *c = open_conn(cache);
            // The constructor's pointer, read and followed after reuse.
            if (c->link.next->prev != &c->link) return 2;
            c->fd = round;
            held[i] = c;
        }
        for (int i = 0; i < 64; i++) tagsan_cache_free(cache, held[i]);
    }
    tagsan_cache_stats_t s;
    tagsan_cache_stats(cache, &s);
    printf("allocations %d ctor_calls %ld objects_created %llu stats_ctor_calls %llu\n", 2000 * 64, ctor_calls,
           (unsigned long long)s.objects_created, (unsigned long long)s.ctor_calls);
    tagsan_cache_destroy(cache);
    return 0;
}
