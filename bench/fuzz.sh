#!/usr/bin/env bash
# Coverage-guided fuzzing of graft's readers with Jazzer (ReaderFuzzTest), one target per JVM.
#
#   bench/fuzz.sh                 every target, each for its @FuzzTest maxDuration (10 minutes)
#   bench/fuzz.sh codes image     only these targets
#
# Targets: safetensors idx codes modelJson classNames runState image. Each run starts from the
# kept corpus (src/test/fuzz-corpus/<target>/), and what the fuzzer found that reaches new
# code is copied back there, so `mvn test` replays it (ReaderFuzzTest's corpus test). A
# finding (any exception but graft's named refusal, an OutOfMemoryError, a hang) stops the run
# and leaves the crashing input in src/test/resources/dev/graft/fuzz/ReaderFuzzTestInputs/,
# where `mvn test` replays it too until it is fixed. The minutes each target ran and its
# outcome go to target/fuzz/summary.tsv.
set -uo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors idx codes modelJson classNames runState image)
class=dev.graft.fuzz.ReaderFuzzTest
work=.cifuzz-corpus/$class
mkdir -p target/fuzz
summary=target/fuzz/summary.tsv
[ -f "$summary" ] || printf 'target\tseconds\tcorpus_before\tcorpus_after\toutcome\n' > "$summary"
mvn -q -B test-compile || exit 1
status=0
for t in "${targets[@]}"; do
  keep=src/test/fuzz-corpus/$t
  mkdir -p "$keep" "$work/$t"
  cp -n "$keep"/* "$work/$t"/ 2>/dev/null
  before=$(ls "$keep" | wc -l)
  start=$(date +%s)
  echo "fuzzing $t ..." >&2
  if JAZZER_FUZZ=1 mvn -B -q surefire:test -Dtest="$class#$t" > "target/fuzz/$t.log" 2>&1; then
    outcome=clean
  else
    outcome="finding (see target/fuzz/$t.log)"
    status=1
  fi
  # keep what reaches new code: libFuzzer names corpus files by content hash
  for f in "$work/$t"/*; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 65536 ] && cp -n "$f" "$keep"/
  done
  after=$(ls "$keep" | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\n' "$t" $(( $(date +%s) - start )) "$before" "$after" "$outcome" \
    | tee -a "$summary" >&2
done
exit $status
