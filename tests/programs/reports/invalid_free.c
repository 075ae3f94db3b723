// free() of things malloc() never returned: argv[1] picks which.
#include <stdlib.h>
#include <string.h>

char global_buffer[64];

int main(int argc, char **argv) {
  char local[32];
  char *heap = malloc(40); // MARK:alloc
  void *volatile target = 0;
  if (!strcmp(argv[1], "stack")) target = local;
  else if (!strcmp(argv[1], "global")) target = global_buffer + 8;
  else target = heap + 8;
  free(target); // MARK:bug
  return local[0];
}
