// A heap buffer overflow: writing one element past the end of an array.
//
//   tagsan cc examples/c/heap-overflow.c -o heap-overflow && ./heap-overflow
//
// Expected report:
//   ERROR: TagSanitizer: heap-buffer-overflow on address ...
//   WRITE of size 4 ... in main examples/c/heap-overflow.c:<line of BUG>
//   ... located 0 bytes after a 40-byte region, allocated by malloc in main
// The program stops with exit code 99 (TAGSAN_OPTIONS=exitcode=N changes it).
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  int n = 10;
  int *squares = malloc(n * sizeof(int));
  for (int i = 0; i <= n; i++) // off by one: i == n is too far
    squares[i] = i * i;                   // BUG: heap-buffer-overflow
  printf("last square: %d\n", squares[n - 1]);
  free(squares);
  return 0;
}
