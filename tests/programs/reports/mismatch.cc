// Deallocators that do not match the allocator: argv[1] picks which.
#include <cstdlib>
#include <cstring>

int main(int argc, char **argv) {
  if (!strcmp(argv[1], "malloc-delete")) {
    int *p = (int *)malloc(sizeof(int)); // MARK:malloc
    delete p; // MARK:delete
  } else {
    int *p = new int[10]; // MARK:newarr
    delete p; // MARK:arr-delete
  }
  return 0;
}
