// Memory that does not exist (issue 13, item 4). argv[1] picks the case:
//   machine   - one malloc of 1.5x the machine's RAM + swap
//   doubling  - a buffer doubled with realloc until refused, written at its
//               start and end only (as an appending buffer is), so the
//               real memory used stays small however far it grows
//   small     - 100 KiB blocks (small size classes) kept until refused
//   fsize     - prints RLIMIT_FSIZE as the program sees it
//   unbacked  - the heap's memory file loses its pages (truncated, as a
//               page the kernel cannot back): the next heap write faults
// A refusal prints how far it got (with allocator_may_return_null=1) or is
// reported. A guard stops any case whose heap really uses more than 1 GiB,
// so a regression cannot eat the machine's memory.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

// The heap's memory file, found as /proc/self/fd/N -> "/memfd:tagsan-heap".
static int heap_fd(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  char path[64], target[256];
  int fd = -1;
  while (d && (e = readdir(d))) {
    snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n > 0) {
      target[n] = 0;
      if (strstr(target, "tagsan-heap")) fd = atoi(e->d_name);
    }
  }
  if (d) closedir(d);
  return fd;
}

// Bytes of memory the heap file really holds.
static long long heap_backed(void) {
  struct stat st;
  int fd = heap_fd();
  return fd >= 0 && fstat(fd, &st) == 0 ? (long long)st.st_blocks * 512 : -1;
}

static void guard(void) {
  long long b = heap_backed();
  if (b > (1LL << 30)) {
    printf("guard: the heap holds %lld bytes of memory, stopping\n", b);
    exit(3);
  }
}

static void *thread_fn(void *arg) { return arg; }

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "machine";
  struct sysinfo si;
  sysinfo(&si);
  unsigned long long machine = ((unsigned long long)si.totalram + si.totalswap) * si.mem_unit;
  if (!strcmp(mode, "machine")) {
    size_t size = (size_t)(machine + machine / 2);
    errno = 0;
    // volatile: the compiler may not drop the allocation (it can elide a
    // malloc whose block does not escape, and fold the NULL test).
    char *volatile p = malloc(size);
    printf("malloc(%zu) = %s, errno %s\n", size, p ? "a block" : "NULL", errno == ENOMEM ? "ENOMEM" : "other");
    if (p) { p[0] = 1; p[size - 1] = 1; guard(); free(p); }
    return 0;
  }
  if (!strcmp(mode, "doubling")) {
    size_t size = 1 << 20;
    char *volatile p = malloc(size);
    p[0] = 1;
    for (;;) {
      errno = 0;
      char *q = realloc(p, size * 2);
      if (!q) break;
      p = q;
      size *= 2;
      p[size - 1] = 1;
      if (p[0] != 1) { puts("lost contents"); return 4; }
      guard();
    }
    printf("doubling stopped: %zu bytes kept, %zu refused, errno %s, heap holds %lld bytes\n", size,
           size * 2, errno == ENOMEM ? "ENOMEM" : "other", heap_backed());
    free(p);
    return 0;
  }
  if (!strcmp(mode, "small")) {
    static char *blocks[1 << 16];
    size_t n = 0;
    while (n < sizeof blocks / sizeof blocks[0] && (blocks[n] = malloc(100 << 10))) blocks[n++][0] = 1;
    int refused = n < sizeof blocks / sizeof blocks[0];
    // Freed memory is usable by other sizes again, and the program's own
    // mappings (a thread's stack) still work after the heap was refused.
    for (size_t i = 0; i < 10 && n > 0; i++) free(blocks[--n]);
    pthread_t t;
    int thread_ok = pthread_create(&t, NULL, thread_fn, NULL) == 0 && pthread_join(t, NULL) == 0;
    for (size_t i = 0; i < n; i++) free(blocks[i]);
    char *again = malloc(100 << 10);
    printf("small: %zu blocks of 100 KiB (%zu MiB) before %s; thread %s; malloc after free %s\n", n,
           n * 100 / 1024, refused ? "refused" : "the end", thread_ok ? "ok" : "failed",
           again ? "ok" : "NULL");
    free(again);
    return 0;
  }
  if (!strcmp(mode, "fsize")) {
    struct rlimit r;
    getrlimit(RLIMIT_FSIZE, &r);
    char *p = malloc(1 << 20);
    p[0] = 1;
    free(p);
    printf("fsize soft %lld\n", (long long)r.rlim_cur);
    return 0;
  }
  if (!strcmp(mode, "unbacked")) {
    char *volatile p = malloc(1 << 20);
    int fd = heap_fd();
    if (fd < 0 || ftruncate(fd, 0) != 0) { puts("no heap file"); return 5; }
    p[4096] = 1; // BUG: the page cannot be backed
    puts("write went through");
    return 0;
  }
  return 2;
}
