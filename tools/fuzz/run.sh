#!/usr/bin/env bash
# Builds the libFuzzer targets (build.sh) and runs each for a bounded time, in parallel,
# on a scratch copy of its checked-in seed corpus (tools/fuzz/corpus/<target>).
#
# Usage: tools/fuzz/run.sh [SECONDS_PER_TARGET]     (default 60; CI uses the default)
# Environment:
#   SWITCHYARD_FUZZ_OUT      build and scratch folder (default $TMPDIR/switchyard-fuzz)
#   SWITCHYARD_FUZZ_RESULTS  if set, one line per target is appended to this file:
#                            "PASSED fuzz:<target>" or "FAILED fuzz:<target>: <why>"
#                            (scripts/test.sh counts each target as one test case)
#
# Exit status: 0 when every target ran its time without a crash, 1 otherwise. A crash
# leaves its input in $SWITCHYARD_FUZZ_OUT/artifacts/ and the log prints it in Base64
# too, so a CI log alone is enough to reproduce it (docs/testing.md).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
seconds="${1:-60}"
out="${SWITCHYARD_FUZZ_OUT:-${TMPDIR:-/tmp}/switchyard-fuzz}"
results="${SWITCHYARD_FUZZ_RESULTS:-/dev/null}"
targets=(http1_request http2_request http2_session jwt ext_authz proxy_protocol route_match
  snapshot_loader snapshot_delta discovery_response)

report() { echo "$1" | tee -a "$results"; }

if ! bash tools/fuzz/build.sh "$out"; then
  for t in "${targets[@]}"; do report "FAILED fuzz:$t: tools/fuzz/build.sh failed"; done
  exit 1
fi

# Symbolized stacks in reports, when Debian's llvm-14 is there.
if [[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

mkdir -p "$out/artifacts"
pids=()
for t in "${targets[@]}"; do
  rm -rf "$out/corpus-$t" && mkdir -p "$out/corpus-$t"
  # New inputs go to the scratch folder; the checked-in seeds are only read.
  #   -max_len: requests larger than 4 KiB add nothing the parser's limits do not cover
  #     with the tight-limit variant; -timeout: one input running 10 s is a hang, a
  #     failure; -rss_limit_mb: a leak or blow-up fails instead of swapping CI.
  "$out/${t}_fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
    "$out/corpus-$t" "tools/fuzz/corpus/$t" >"$out/$t.log" 2>&1 &
  pids+=($!)
done

failed=0
for i in "${!targets[@]}"; do
  t="${targets[$i]}"
  wait "${pids[$i]}"
  rc=$?
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$t.log" | grep -o '[0-9]*$')"
  if [[ $rc -eq 0 ]]; then
    report "PASSED fuzz:$t (${runs:-?} inputs in ${seconds}s)"
  else
    failed=1
    # The report: sanitizer or invariant message, stack, and the input in Base64.
    grep -E -A40 'ERROR: |fuzz invariant broken|runtime error:|Assertion' "$out/$t.log" | head -60 >&2
    grep -E '^Base64: |Test unit written to' "$out/$t.log" >&2
    report "FAILED fuzz:$t: libFuzzer exited $rc after ${runs:-?} inputs (log $out/$t.log)"
  fi
done
exit "$failed"
