// Reads 16 bytes before a block: the chunk after the address has the
// pointer's tag, so the pointer ran off its start.
#include <stdlib.h>

int main(int argc, char **argv) {
  void *keep[8];
  for (int i = 0; i < 8; i++) keep[i] = malloc(32);
  char *p = malloc(32); // MARK:alloc
  volatile char *q = p;
  int r = q[-16]; // MARK:bug
  for (int i = 0; i < 8; i++) free(keep[i]);
  free(p);
  return r;
}
