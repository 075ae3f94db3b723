// An alloc-dealloc mismatch: memory from new[] released with plain delete.
//
//   tagsan c++ examples/cxx/new-delete-mismatch.cc -o new-delete-mismatch
//   TAGSAN_OPTIONS=alloc_dealloc_mismatch=1 ./new-delete-mismatch
//
// The check is off by default (as in ASan on some platforms: libraries do
// this on purpose); TAGSAN_OPTIONS=alloc_dealloc_mismatch=1 turns it on.
// Expected report:
//   ERROR: TagSanitizer: alloc-dealloc-mismatch (operator new [] vs operator delete) ...
//   with the delete in main examples/cxx/new-delete-mismatch.cc:<line of BUG>.
#include <cstdio>

struct Point {
  int x, y;
};

int main() {
  Point *path = new Point[4];
  for (int i = 0; i < 4; i++)
    path[i] = Point{i, i * i};
  std::printf("end: (%d, %d)\n", path[3].x, path[3].y);
  delete path; // BUG: alloc-dealloc-mismatch (should be delete[])
  return 0;
}
