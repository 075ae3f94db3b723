#include <stdio.h>
#include <stdlib.h>

int *make_table(int n);
int sum_table(const int *t, int n);

int main(void) {
  int *t = make_table(16);
  printf("sum %d\n", sum_table(t, 16));
  free(t);
  return 0;
}
