// Every form of operator new and delete, used correctly: must run clean
// (with alloc_dealloc_mismatch=1 too).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>

struct alignas(64) Wide { char c[100]; };
struct alignas(4096) Paged { char c[10]; };

#define CHECK(c) do { if (!(c)) { std::fprintf(stderr, "check failed: %s\n", #c); std::exit(1); } } while (0)

int main() {
  int *a = new int(5);
  delete a;
  int *b = new int[100];
  b[99] = 1;
  delete[] b;
  int *c = new (std::nothrow) int(1);
  delete c;
  int *d = new (std::nothrow) int[10];
  delete[] d;
  Wide *w = new Wide;
  CHECK(reinterpret_cast<uintptr_t>(w) % 64 == 0);
  w->c[99] = 1;
  delete w;
  Wide *wa = new Wide[7];
  CHECK(reinterpret_cast<uintptr_t>(wa) % 64 == 0);
  wa[6].c[99] = 1;
  delete[] wa;
  Paged *p = new Paged;
  CHECK(reinterpret_cast<uintptr_t>(p) % 4096 == 0);
  delete p;
  // Explicit calls of every operator, sized and aligned deletes included.
  void *v = ::operator new(24);
  ::operator delete(v, 24);
  v = ::operator new[](24);
  ::operator delete[](v, 24);
  v = ::operator new(24, std::nothrow);
  ::operator delete(v, std::nothrow);
  v = ::operator new[](24, std::nothrow);
  ::operator delete[](v, std::nothrow);
  v = ::operator new(256, std::align_val_t(128));
  CHECK(reinterpret_cast<uintptr_t>(v) % 128 == 0);
  ::operator delete(v, std::align_val_t(128));
  v = ::operator new[](256, std::align_val_t(128));
  ::operator delete[](v, std::align_val_t(128));
  v = ::operator new(256, std::align_val_t(256));
  ::operator delete(v, 256, std::align_val_t(256));
  v = ::operator new[](256, std::align_val_t(256));
  ::operator delete[](v, 256, std::align_val_t(256));
  v = ::operator new(32, std::align_val_t(32), std::nothrow);
  ::operator delete(v, std::align_val_t(32), std::nothrow);
  v = ::operator new[](32, std::align_val_t(32), std::nothrow);
  ::operator delete[](v, std::align_val_t(32), std::nothrow);
  std::puts("new/delete ok");
  return 0;
}
