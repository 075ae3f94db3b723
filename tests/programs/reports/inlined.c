// At -O2 the bad store is inlined into main: the frame shows both the
// inlined function and its caller, at the same pc.
#include <stdlib.h>

static inline __attribute__((always_inline)) void poke(volatile char *p, int i) {
  p[i] = 1; // MARK:poke
}

int main(int argc, char **argv) {
  volatile char *p = malloc(13);
  poke(p, 12 + argc); // MARK:call
  return 0;
}
