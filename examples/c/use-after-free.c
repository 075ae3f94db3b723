// A use after free: reading a struct through a pointer kept after free().
//
//   tagsan cc examples/c/use-after-free.c -o use-after-free && ./use-after-free
//
// Expected report:
//   ERROR: TagSanitizer: use-after-free on address ...
//   READ of size 4 ... in main examples/c/use-after-free.c:<line of BUG>
//   plus where the memory was freed (free in release_user) and allocated
//   (malloc in new_user).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct user {
  char name[24];
  int id;
};

static struct user *new_user(const char *name, int id) {
  struct user *u = malloc(sizeof *u);
  strncpy(u->name, name, sizeof u->name - 1);
  u->name[sizeof u->name - 1] = 0;
  u->id = id;
  return u;
}

static void release_user(struct user *u) { free(u); }

int main(void) {
  struct user *alice = new_user("alice", 42);
  release_user(alice);
  printf("alice's id is %d\n", alice->id); // BUG: use-after-free
  return 0;
}
