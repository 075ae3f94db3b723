#include "buffer.h"
#include <stdlib.h>

char *buffer_new(size_t n) { return malloc(n); }

void buffer_fill(char *b, size_t n, char c) {
  for (size_t i = 0; i < n; i++)
    b[i] = c; // BUG: heap-buffer-overflow
}
