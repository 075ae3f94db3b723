/* An instrumented shared library for programs tagsan did not build: built
 * with `tagsan cc -shared`, loaded by python3 (ctypes) or by host.c
 * (dlopen), run under `tagsan run`. */
#include <stdlib.h>
#include <string.h>

/* Correct code: allocates, fills, frees; returns a checksum. */
int plugin_clean(int n) {
  char *p = malloc((size_t)n);
  memset(p, 7, (size_t)n);
  int sum = 0;
  for (int i = 0; i < n; i++)
    sum += p[i];
  free(p);
  return sum;
}

/* Writes one byte past an n-byte block. */
int plugin_overflow(int n) {
  char *p = malloc((size_t)n);
  for (int i = 0; i <= n; i++)
    p[i] = (char)i; // BUG: heap-buffer-overflow at i == n
  int first = p[0];
  free(p);
  return first;
}
