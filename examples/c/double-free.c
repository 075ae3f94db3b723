// A double free: two owners both free the same buffer.
//
//   tagsan cc examples/c/double-free.c -o double-free && ./double-free
//
// Expected report:
//   ERROR: TagSanitizer: double-free on address ...
//   with the second free() called from main examples/c/double-free.c:<line of BUG>,
//   and where the buffer was first freed and allocated.
#include <stdlib.h>
#include <string.h>

struct message {
  char *body;
};

int main(void) {
  char *body = strdup("hello");
  struct message a = {body}, b = {body}; // two owners of one buffer
  free(a.body);
  free(b.body); // BUG: double-free
  return 0;
}
