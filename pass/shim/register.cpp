// The C++ half of the tagsan plugin: only what the LLVM C API cannot do.
//
//  * Registration with the new PassBuilder (pipeline-name parsing for opt,
//    the pipeline-start and optimizer-last extension points for clang and
//    rustc).
//  * A ModulePass wrapper whose run() forwards to Rust (tagsan_run_module).
//  * Two tiny queries the C API lacks: LLVMContext::emitError and
//    Value::isSwiftError.
//
// All the instrumentation logic lives in Rust (pass/src). The entry point
// llvmGetPassPluginInfo is defined in Rust too (pass/src/lib.rs): a cdylib
// only exports Rust #[no_mangle] items, so a C++ definition would be dropped.

#include "llvm-c/Types.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/OptimizationLevel.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/CBindingWrapping.h"
#include "llvm/Support/ErrorHandling.h"

#include <cstdlib>
#include <dlfcn.h>
#include <memory>
#include <string>

using namespace llvm;

// Implemented in Rust (pass/src/lib.rs). Options are an opaque Rust object.
extern "C" {
typedef void (*TagsanErrorSink)(void *Ctx, const char *Msg, size_t Len);
void *tagsan_options_parse(const char *Text, size_t Len, TagsanErrorSink Sink,
                           void *SinkCtx);
void tagsan_options_free(void *Options);
bool tagsan_run_module(LLVMModuleRef M, const void *Options);
void tagsan_mark_module(LLVMModuleRef M);
void tagsan_shim_emit_error(LLVMModuleRef M, const char *Msg, size_t Len);
}

namespace {

void appendToString(void *Ctx, const char *Msg, size_t Len) {
  static_cast<std::string *>(Ctx)->assign(Msg, Len);
}

struct OptionsDeleter {
  void operator()(void *P) const { tagsan_options_free(P); }
};

// One tagsan run on a module. Either holds parsed options, or the error that
// parsing TAGSAN_PASS_OPTIONS produced: that error can only be reported once
// we have an LLVMContext, i.e. in run().
class TagsanPass : public PassInfoMixin<TagsanPass> {
  std::shared_ptr<void> Options;
  std::string DeferredError;

public:
  explicit TagsanPass(void *Opts) : Options(Opts, OptionsDeleter()) {}
  explicit TagsanPass(std::string Error) : DeferredError(std::move(Error)) {}

  PreservedAnalyses run(Module &M, ModuleAnalysisManager &) {
    if (!Options) {
      tagsan_shim_emit_error(wrap(&M), DeferredError.data(),
                             DeferredError.size());
      return PreservedAnalyses::all();
    }
    return tagsan_run_module(wrap(&M), Options.get())
               ? PreservedAnalyses::none()
               : PreservedAnalyses::all();
  }
  // Sanitizers must run at -O0 too.
  static bool isRequired() { return true; }
  static StringRef name() { return "tagsan"; }
};

// Marks functions for the optimizer before it runs (optimizer_hints.rs
// says why): only attributes, so it is cheap and safe to run on any module.
class TagsanOptimizerHintsPass
    : public PassInfoMixin<TagsanOptimizerHintsPass> {
public:
  PreservedAnalyses run(Module &M, ModuleAnalysisManager &) {
    tagsan_mark_module(wrap(&M));
    return PreservedAnalyses::all();
  }
  static StringRef name() { return "tagsan-optimizer-hints"; }
};

// "tagsan" -> "", "tagsan<a;b>" -> "a;b"; anything else is not ours.
bool pipelineParams(StringRef Name, StringRef &Params) {
  if (Name == "tagsan") {
    Params = "";
    return true;
  }
  if (Name.consume_front("tagsan<") && Name.consume_back(">")) {
    Params = Name;
    return true;
  }
  return false;
}

void registerCallbacks(PassBuilder &PB) {
  // opt -passes='tagsan<recover;no-reads>'
  PB.registerPipelineParsingCallback(
      [](StringRef Name, ModulePassManager &MPM,
         ArrayRef<PassBuilder::PipelineElement>) {
        StringRef Params;
        if (!pipelineParams(Name, Params))
          return false;
        std::string Err;
        void *Opts = tagsan_options_parse(Params.data(), Params.size(),
                                          appendToString, &Err);
        if (!Opts)
          // The parsing callback can only say yes/no; "no" would become a
          // misleading "unknown pass name". Stop with one clear line.
          report_fatal_error(Twine(Err), /*gen_crash_diag=*/false);
        MPM.addPass(TagsanPass(Opts));
        return true;
      });

  // clang -fpass-plugin / rustc -Z llvm-plugins: before the optimizer
  // runs, mark functions so that it keeps the accesses the source makes.
  // (Not called in the LTO post-link pipelines.)
  PB.registerPipelineStartEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel) {
        MPM.addPass(TagsanOptimizerHintsPass());
      });

  // clang -fpass-plugin / rustc -Z llvm-plugins: where LLVM runs its own
  // sanitizers. The LTO post-link phases see modules already instrumented
  // before linking (and, for Rust, std's bitcode): never instrument there.
  PB.registerOptimizerLastEPCallback([](ModulePassManager &MPM,
                                        OptimizationLevel,
                                        ThinOrFullLTOPhase Phase) {
    if (Phase == ThinOrFullLTOPhase::ThinLTOPostLink ||
        Phase == ThinOrFullLTOPhase::FullLTOPostLink)
      return;
    const char *Env = std::getenv("TAGSAN_PASS_OPTIONS");
    StringRef Text = Env ? StringRef(Env) : StringRef();
    std::string Err;
    void *Opts =
        tagsan_options_parse(Text.data(), Text.size(), appendToString, &Err);
    if (Opts)
      MPM.addPass(TagsanPass(Opts));
    else
      MPM.addPass(TagsanPass(Err + " (in TAGSAN_PASS_OPTIONS)"));
  });
}

} // namespace

extern "C" {

// The PassBuilder callback stored in PassPluginLibraryInfo by Rust.
void tagsan_shim_register_callbacks(PassBuilder &PB) { registerCallbacks(PB); }

// Report an error through the LLVMContext (emitError): opt and clang print
// it as one "error:" line and fail the compilation.
//
// rustc is different: measured with rustc 1.95, its diagnostic handler
// drops generic diagnostics, so the build would silently succeed. (It does
// turn DK_Unsupported into an error, but that prints as "<unknown>:0:0: in
// function <some mangled name> <type>: ...".) We detect rustc by a symbol
// its driver exports and stop with a fatal error instead, which rustc
// prints as one "rustc-LLVM ERROR: tagsan: ..." line (exit status 101).
void tagsan_shim_emit_error(LLVMModuleRef M, const char *Msg, size_t Len) {
  StringRef Text(Msg, Len);
  if (dlsym(RTLD_DEFAULT, "LLVMRustStringWriteImpl"))
    report_fatal_error(Twine(Text), /*gen_crash_diag=*/false);
  unwrap(M)->getContext().emitError(Text);
}

bool tagsan_shim_is_swifterror(LLVMValueRef V) {
  return unwrap(V)->isSwiftError();
}
}
