#include <stdlib.h>

int main(int argc, char **argv) {
  char *p = malloc(24); // MARK:alloc
  free(p); // MARK:free1
  free(p); // MARK:free2
  return 0;
}
