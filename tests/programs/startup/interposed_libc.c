// Defines libc functions the runtime once called while starting (getenv,
// mmap, memfd_create, ftruncate...), each calling malloc first, as
// programs and LD_PRELOAD libraries that wrap them do. Built as a program
// (their definitions bind in the executable, runtime included) or, with
// -DPRELOAD -shared, as a library for LD_PRELOAD. The runtime must start
// without waiting on itself.
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;
atomic_int interposed_calls;

// What a logging or tracing wrapper does: allocate. (Through a volatile
// pointer: the compiler may not drop the malloc/free pair.)
static char *volatile kept;
static void allocate_something(void) {
  kept = malloc(48);
  if (kept) {
    memset(kept, 0x5a, 48);
    free(kept);
  }
  atomic_fetch_add(&interposed_calls, 1);
}

char *getenv(const char *name) {
  allocate_something();
  size_t n = strlen(name);
  for (char **e = environ; e && *e; e++)
    if (!strncmp(*e, name, n) && (*e)[n] == '=') return *e + n + 1;
  return NULL;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  allocate_something();
  return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len) {
  allocate_something();
  return (int)syscall(SYS_munmap, addr, len);
}

int mprotect(void *addr, size_t len, int prot) {
  allocate_something();
  return (int)syscall(SYS_mprotect, addr, len, prot);
}

int memfd_create(const char *name, unsigned flags) {
  allocate_something();
  return (int)syscall(SYS_memfd_create, name, flags);
}

int ftruncate(int fd, off_t len) {
  allocate_something();
  return (int)syscall(SYS_ftruncate, fd, len);
}

int fallocate(int fd, int mode, off_t off, off_t len) {
  allocate_something();
  return (int)syscall(SYS_fallocate, fd, mode, off, len);
}

int madvise(void *addr, size_t len, int advice) {
  allocate_something();
  return (int)syscall(SYS_madvise, addr, len, advice);
}

#ifndef PRELOAD
int main(void) {
  // The program's own calls reach its own definitions.
  const char *home = getenv("HOME");
  void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int fd = memfd_create("mine", 0);
  if (page == MAP_FAILED || fd < 0 || ftruncate(fd, 4096) != 0) return 2;
  munmap(page, 4096);
  close(fd);
  // And the heap works, large blocks and freeing included.
  for (int i = 0; i < 100; i++) {
    char *p = malloc((size_t)i * 4096 + 1);
    p[(size_t)i * 4096] = (char)i;
    free(p);
  }
  printf("interposed ok: %d wrapped calls, HOME %s\n", atomic_load(&interposed_calls),
         home ? "set" : "unset");
  return 0;
}
#endif
