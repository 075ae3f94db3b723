// Built with `tagsan cc -shared`: instrumented, but no runtime inside; the
// executable that loads it provides __hwasan_* and malloc.
#include <stdlib.h>

int *make_table(int n) { return calloc(n, sizeof(int)); }

int sum_table(const int *t, int n) {
  int s = 0;
  for (int i = 0; i <= n; i++) // off by one
    s += t[i];                 // BUG: heap-buffer-overflow
  return s;
}
