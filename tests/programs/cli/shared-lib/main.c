#include <stdio.h>
#include <stdlib.h>

int *make_table(int n);
int sum_table(const int *t, int n);

int main(void) {
  int *t = make_table(15);
  printf("sum %d\n", sum_table(t, 15));
  free(t);
  return 0;
}
