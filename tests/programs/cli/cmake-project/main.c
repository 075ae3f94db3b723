#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  (void)argv;
  char *name = malloc(8);
  free(name);
  if (argc > 1)
    name[0] = 'x'; // BUG: use-after-free
  puts("done");
  return 0;
}
