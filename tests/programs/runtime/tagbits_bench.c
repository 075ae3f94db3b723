// The cost of more heap aliases (tag_bits): allocates and writes MB
// megabytes (argv[1], default 64) of 64-byte blocks, frees them and does it
// again (reused chunks come back under new tags, i.e. through other
// aliases), then times one fork. Prints times, minor faults and VmPTE.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long minflt(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

static long vm_pte_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmPTE:", 6)) kb = atol(line + 6);
  if (f) fclose(f);
  return kb;
}

int main(int argc, char **argv) {
  long mb = argc > 1 ? atol(argv[1]) : 64;
  long n = mb * 1024 * 1024 / 64;
  char **b = malloc(n * sizeof *b);
  double best[2] = {1e9, 1e9};
  long faults[2] = {0, 0};
  for (int round = 0; round < 2; round++) {
    long f0 = minflt();
    double t0 = now();
    for (long i = 0; i < n; i++) {
      b[i] = malloc(64);
      memset(b[i], (int)i, 64);
    }
    best[round] = now() - t0;
    faults[round] = minflt() - f0;
    if (round == 0)
      for (long i = 0; i < n; i++) free(b[i]);
  }
  long pte = vm_pte_kb();
  double t0 = now();
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status;
  waitpid(pid, &status, 0);
  double fork_s = now() - t0;
  printf("%ld MiB: first %.3f s (%ld faults), again %.3f s (%ld faults), VmPTE %ld kB, fork %.3f s\n", mb,
         best[0], faults[0], best[1], faults[1], pte, fork_s);
  return 0;
}
