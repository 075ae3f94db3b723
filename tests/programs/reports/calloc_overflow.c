#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  volatile size_t n = SIZE_MAX / 4;
  void *p = calloc(n, 16); // MARK:bug
  printf("calloc returned %p\n", p);
  return 0;
}
