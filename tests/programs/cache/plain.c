// Rule 1: a cache without constructor or RCU flag behaves like malloc.
// argv[1]: "cycles" (clean), "uaf" (use after free), "double" (double free).
#include <stdio.h>
#include <string.h>
#include <tagsan.h>

struct req { long id; char body[32]; };

__attribute__((noinline)) static struct req *make_req(tagsan_cache_t *c, long id) {
    struct req *r = tagsan_cache_alloc(c); // MARK:alloc
    r->id = id;
    return r;
}

__attribute__((noinline)) static void drop_req(tagsan_cache_t *c, struct req *r) {
    tagsan_cache_free(c, r); // MARK:free
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "cycles";
    tagsan_cache_t *c = tagsan_cache_create("req", sizeof(struct req), 8, 0, NULL);
    if (!strcmp(mode, "uaf")) {
        struct req *r = make_req(c, 1);
        drop_req(c, r);
        printf("id %ld\n", r->id); // MARK:uaf
        return 0;
    }
    if (!strcmp(mode, "wrong_cache")) {
        tagsan_cache_t *other = tagsan_cache_create("other", sizeof(struct req), 8, 0, NULL);
        struct req *r = make_req(c, 1);
        tagsan_cache_free(other, r); // MARK:wrong
        return 0;
    }
    if (!strcmp(mode, "double")) {
        struct req *r = make_req(c, 1);
        drop_req(c, r);
        drop_req(c, r);
        return 0;
    }
    long sum = 0;
    for (int i = 0; i < 100000; i++) {
        struct req *r = make_req(c, i);
        sum += r->id;
        drop_req(c, r);
    }
    tagsan_cache_stats_t s;
    tagsan_cache_stats(c, &s);
    printf("sum %ld live %llu\n", sum, (unsigned long long)s.live_objects);
    tagsan_cache_destroy(c);
    return 0;
}
