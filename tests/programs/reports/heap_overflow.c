// One byte past a 13-byte block: the short-granule tail of its own chunk.
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  char *p = malloc(13); // MARK:alloc
  memset(p, 0, 13);
  volatile char *q = p;
  q[13] = 1; // MARK:bug
  free(p);
  return 0;
}
