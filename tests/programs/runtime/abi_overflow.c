// Built by clang's own HWASan pass (-fsanitize=hwaddress
// -fsanitize-hwaddress-experimental-aliasing), linked with our runtime: the
// ABI check. Reads one byte past a 13-byte block.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  char *p = malloc(13);
  for (int i = 0; i < 13; i++) p[i] = (char)i;
  printf("in bounds: %d\n", p[12]);
  fflush(stdout);
  volatile char c = p[12 + argc];
  return c;
}
