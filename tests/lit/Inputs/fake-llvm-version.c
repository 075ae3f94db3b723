/* Preloaded into opt-22 by version-refusal.test: makes the host look like
 * LLVM 21 to the plugin's version check. */
void LLVMGetVersion(unsigned *major, unsigned *minor, unsigned *patch) {
  *major = 21;
  *minor = 1;
  *patch = 0;
}
