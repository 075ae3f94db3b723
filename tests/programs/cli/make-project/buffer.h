#include <stddef.h>
char *buffer_new(size_t n);
void buffer_fill(char *b, size_t n, char c);
int checksum(const char *b, size_t n);
