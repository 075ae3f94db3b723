// A forked child gets its own heap: neither side sees the other's writes
// or allocations after fork.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  char *shared = malloc(64);
  strcpy(shared, "before fork");
  int to_child[2], to_parent[2];
  if (pipe(to_child) || pipe(to_parent)) return 2;
  pid_t pid = fork();
  if (pid < 0) return 3;
  char c;
  if (pid == 0) {
    // Child: sees the pre-fork contents, writes its own.
    if (strcmp(shared, "before fork") != 0) _exit(10);
    strcpy(shared, "child wrote");
    // Mallocs and frees work in the child.
    for (int i = 0; i < 10000; i++) {
      char *p = malloc(1 + i % 300);
      memset(p, 'x', 1 + i % 300);
      free(p);
    }
    char *big = malloc(1 << 20);
    memset(big, 1, 1 << 20);
    free(big);
    if (write(to_parent[1], "k", 1) != 1) _exit(11);
    // Wait until the parent wrote, then check we do not see it.
    if (read(to_child[0], &c, 1) != 1) _exit(12);
    if (strcmp(shared, "child wrote") != 0) _exit(13);
    _exit(0);
  }
  if (read(to_parent[0], &c, 1) != 1) return 4;
  if (strcmp(shared, "before fork") != 0) {
    fprintf(stderr, "parent sees the child's write: %s\n", shared);
    return 5;
  }
  strcpy(shared, "parent wrote");
  if (write(to_child[1], "k", 1) != 1) return 6;
  int status;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "child failed: status %d\n", status);
    return 7;
  }
  if (strcmp(shared, "parent wrote") != 0) return 8;
  free(shared);
  puts("fork isolation ok");
  return 0;
}
