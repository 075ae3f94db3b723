// A program that builds its run-time options in (__tagsan_default_options,
// and the HWASan spelling), allocating while it does: the hooks run while
// the runtime starts, on the starting thread, so their mallocs must be
// served (not waited on). Then a heap overflow, whose exit code shows which
// options won.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *built;

const char *__hwasan_default_options(void) {
  return "exitcode=41:print_summary=0";
}

const char *__tagsan_default_options(void) {
  // malloc, realloc, strdup and free during start-up.
  char *s = malloc(8);
  strcpy(s, "exit");
  s = realloc(s, 64);
  strcat(s, "code=42");
  built = strdup(s);
  free(s);
  return built;
}

int main(int argc, char **argv) {
  char *p = malloc(16);
  if (argc > 1) p[16] = 1; // BUG: heap-buffer-overflow
  printf("options built: %s\n", built);
  free(p);
  return 0;
}
