/* Fixed zstd workload for the runtime-CPU benchmark: compress and
 * decompress a deterministic, text-like buffer at a few levels and check the
 * round trip. Usage: zstd_bench [scale] (default 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "zstd.h"

int main(int argc, char **argv) {
  int scale = argc > 1 ? atoi(argv[1]) : 1;
  size_t n = 8u << 20;
  unsigned char *src = malloc(n);
  static const char *words[] = {"tag", "sanitizer", "memory", "heap", "alias",
    "pointer", "check", "load", "store", "granule", "shadow", "report", "\n",
    "the", "of", "and", "0x7f", "12345"};
  unsigned long long r = 88172645463325252ULL;
  size_t i = 0;
  while (i < n) {
    r ^= r << 13; r ^= r >> 7; r ^= r << 17;
    const char *w = words[r % (sizeof words / sizeof *words)];
    if ((r >> 20) % 11 == 0) { src[i++] = (unsigned char)(r >> 32); continue; }
    while (*w && i < n) src[i++] = (unsigned char)*w++;
    if (i < n) src[i++] = ' ';
  }
  size_t cap = ZSTD_compressBound(n);
  unsigned char *dst = malloc(cap);
  unsigned char *back = malloc(n);
  unsigned long long sum = 0;
  static const int levels[] = {1, 3, 9};
  for (int rep = 0; rep < scale; rep++) {
    for (int l = 0; l < 3; l++) {
      size_t c = ZSTD_compress(dst, cap, src, n, levels[l]);
      if (ZSTD_isError(c)) { fprintf(stderr, "compress: %s\n", ZSTD_getErrorName(c)); return 1; }
      for (int d = 0; d < 3; d++) {
        size_t m = ZSTD_decompress(back, n, dst, c);
        if (ZSTD_isError(m) || m != n || memcmp(back, src, n)) { fprintf(stderr, "round trip failed\n"); return 1; }
      }
      sum += c;
    }
  }
  printf("zstd_bench checksum %llu\n", sum);
  free(src); free(dst); free(back);
  return 0;
}
