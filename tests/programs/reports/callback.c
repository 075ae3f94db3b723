// The report text also reaches the __hwasan_set_error_report_callback callback.
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void __hwasan_set_error_report_callback(void (*cb)(const char *));

static void on_report(const char *text) {
  write(1, "CALLBACK-BEGIN\n", 15);
  write(1, text, strlen(text));
  write(1, "CALLBACK-END\n", 13);
}

int main(int argc, char **argv) {
  __hwasan_set_error_report_callback(on_report);
  volatile char *p = malloc(13);
  p[16] = 1; // MARK:bug
  return 0;
}
