#include "buffer.h"
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  size_t n = 32;
  char *b = buffer_new(n);
  // With an argument, fill one byte too many.
  buffer_fill(b, n + (argc > 1), 'x');
  printf("checksum %d\n", checksum(b, n));
  free(b);
  return 0;
}
