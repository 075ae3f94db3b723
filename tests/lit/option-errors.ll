; Unknown or malformed options: one line naming the option, non-zero exit.
; RUN: not %opt -passes='tagsan<bogus>' -disable-output %s 2>&1 | FileCheck --check-prefix=UNKNOWN %s
; RUN: not %opt -passes='tagsan<recover;no-reeds>' -disable-output %s 2>&1 | FileCheck --check-prefix=TYPO %s
; RUN: not %opt -passes='tagsan<recover=1>' -disable-output %s 2>&1 | FileCheck --check-prefix=VALUE %s
; RUN: not %opt -passes='tagsan<ignorelist>' -disable-output %s 2>&1 | FileCheck --check-prefix=NOPATH %s
; RUN: not %opt -passes='tagsan<mode=inline>' -disable-output %s 2>&1 | FileCheck --check-prefix=INLINE %s
; RUN: not %opt -passes='tagsan<mode=fast>' -disable-output %s 2>&1 | FileCheck --check-prefix=MODE %s
; RUN: not %opt -passes='tagsan<ignorelist=%t.does-not-exist>' -disable-output %s 2>&1 | FileCheck --check-prefix=MISSING %s
; RUN: not %opt -passes='tagsan<ignorelist=%inputs/ignore-bad.txt>' -disable-output %s 2>&1 | FileCheck --check-prefix=SYNTAX %s
; Accepted: every knob, empty items, mode=outline.
; RUN: %opt -passes='tagsan<recover;no-reads;no-writes;no-atomics;no-memintrinsics;;mode=outline>' -disable-output %s 2>&1 | count 0

; UNKNOWN: tagsan: unknown option 'bogus' (known: recover, no-reads, no-writes, no-atomics, no-memintrinsics, stats, ignorelist=PATH, mode=outline)
; UNKNOWN-NOT: {{.}}
; TYPO: tagsan: unknown option 'no-reeds'
; VALUE: tagsan: option 'recover' takes no value (got 'recover=1')
; NOPATH: tagsan: option 'ignorelist' needs a path: ignorelist=PATH
; INLINE: tagsan: option 'mode=inline' is not implemented yet (use mode=outline)
; MODE: tagsan: bad value in 'mode=fast': expected mode=outline
; MISSING: tagsan: cannot read ignorelist '{{.*}}does-not-exist': No such file or directory
; SYNTAX: tagsan: ignorelist '{{.*}}ignore-bad.txt' line 2: malformed line 'this line has no prefix' (expected prefix:glob)

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

define void @f(ptr %p) {
  store i8 0, ptr %p, align 1
  ret void
}
