// malloc_fill_byte / free_fill_byte. Built without instrumentation: it reads
// freed memory on purpose.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  unsigned char *p = malloc(100);
  int fresh = 0;
  for (int i = 0; i < 100; i++) fresh += p[i] == 0xab;
  for (int i = 0; i < 100; i++) p[i] = 1;
  free(p);
  int freed = 0;
  for (int i = 0; i < 100; i++) freed += p[i] == 0xcd;
  printf("fresh %d freed %d\n", fresh, freed);
  return 0;
}
