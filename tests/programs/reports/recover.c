// With halt_on_error=0 each distinct bug is reported once and the
// program runs to its end.
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void overflow(volatile char *p, int i) {
  p[i] = 1; // MARK:overflow
}

int main(int argc, char **argv) {
  char *p = malloc(13);
  for (int i = 0; i < 3; i++) overflow(p, 13);
  char *f = malloc(40);
  free(f);
  volatile char *q = f;
  int r = q[1]; // MARK:uaf
  printf("finished after the bugs\n");
  return r & 0;
}
