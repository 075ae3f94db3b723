// The report text also reaches the __hwasan_set_error_report_callback
// callback. argv[1]: "print" (default), "crash" (the callback faults) or
// "reenter" (the callback makes another bad access): a report that cannot
// finish must end the process with one line, never hang.
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void __hwasan_set_error_report_callback(void (*cb)(const char *));

static volatile char *block;

static void on_report(const char *text) {
  write(1, "CALLBACK-BEGIN\n", 15);
  write(1, text, strlen(text));
  write(1, "CALLBACK-END\n", 13);
}

static void crash(const char *text) { *(volatile int *)16 = 1; }

static void reenter(const char *text) { block[20] = 1; }

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "print";
  __hwasan_set_error_report_callback(!strcmp(mode, "crash") ? crash : !strcmp(mode, "reenter") ? reenter : on_report);
  block = malloc(13);
  block[16] = 1; // MARK:bug
  return 0;
}
