#include "buffer.h"

int checksum(const char *b, size_t n) {
  int s = 0;
  for (size_t i = 0; i < n; i++)
    s += b[i];
  return s;
}
