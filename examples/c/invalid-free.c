// An invalid free: freeing a pointer into the middle of a heap block.
//
//   tagsan cc examples/c/invalid-free.c -o invalid-free && ./invalid-free
//
// Expected report:
//   ERROR: TagSanitizer: invalid-free on address ...
//   with free() called from main examples/c/invalid-free.c:<line of BUG>.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  char *line = strdup("  key = value");
  char *trimmed = line;
  while (*trimmed == ' ')
    trimmed++;
  printf("%s\n", trimmed);
  free(trimmed); // BUG: invalid-free (should be free(line))
  return 0;
}
