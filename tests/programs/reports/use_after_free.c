// Reads a freed 40-byte block: freed-by and previously-allocated-by stacks.
#include <stdlib.h>

__attribute__((noinline)) void release(char *p) {
  free(p); // MARK:free
}

int main(int argc, char **argv) {
  char *p = malloc(40); // MARK:alloc
  release(p); // MARK:release
  volatile char *q = p;
  return q[4]; // MARK:bug
}
