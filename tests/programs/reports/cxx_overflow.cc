// Overflow inside a C++ member function: frames show demangled names.
#include <cstddef>

namespace store {
struct Buffer {
  char *data;
  explicit Buffer(std::size_t n) : data(new char[n]) {} // MARK:alloc
  __attribute__((noinline)) void put(int i, char v) {
    data[i] = v; // MARK:bug
  }
};
} // namespace store

int main(int argc, char **argv) {
  store::Buffer b(24);
  b.put(24 + argc - 1, 'x'); // MARK:call
  return 0;
}
