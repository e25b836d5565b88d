#!/usr/bin/env bash
# Runs the whole test suite the way CI does (.ci/run calls this) and prints the per-case
# count `N passed, N failed` alone on its last line. Exits non-zero if anything failed.
#
# Four steps, all counted in that one line (docs/testing.md):
#   1. the whole suite, as built normally, but for the unit suites that step 2a runs;
#   2. AddressSanitizer and UBSan over the code whose connection and request lifetimes
#      are hand-managed: (a) the data plane's unit suites (the router's aside, and those
#      tagged no_asan, which step 1 runs) with --config=asan, and
#      (b) the integration suites, built plainly in step 1, run again against a proxy
#      built with --config=asan (SWITCHYARD_PROXY_BIN). The control plane, yardctl, the
#      proto loaders and the test harness itself are not sanitized (gRPC and protobuf own
#      their lifetimes; building every test binary twice made CI miss its 30 minutes);
#   3. the tests tagged `tsan` (threads run against each other, no gRPC) again with
#      --config=tsan (ThreadSanitizer), with tools/tsan/suppressions.txt;
#   4. each libFuzzer target for SWITCHYARD_FUZZ_SECONDS (tools/fuzz/run.sh), one case each.
#
# Environment:
#   SWITCHYARD_TEST_TARGETS  target patterns to test (default //...), e.g.
#                            "//proto/... //dataplane/http/..." while other packages are mid-edit.
#   SWITCHYARD_ASAN_TARGETS  unit-test patterns for step 2a (default: see ASAN_TARGETS).
#   SWITCHYARD_ASAN_PROXY_TARGETS  patterns for step 2b (default: see ASAN_PROXY_TARGETS).
#   SWITCHYARD_ASAN=0        skip step 2 (during development only; CI runs it).
#   SWITCHYARD_TSAN=0        skip step 3 (during development only; CI runs it).
#   SWITCHYARD_FUZZ=0        skip step 4 (during development only; CI runs it).
#   SWITCHYARD_FUZZ_SECONDS  time per fuzz target (default 30; the targets run in parallel).
#   SWITCHYARD_KEEP_BAZEL=1  do not run `bazel shutdown` at the end (during development,
#                            where the workspace's one Bazel server is shared).
#   SWITCHYARD_FAIL_ON_SKIP=0  do not count skipped test cases as failed (see count_tests.py).
set -uo pipefail  # no -e: a failing `bazel test` must still be counted and reported

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

bash scripts/setup.sh || { echo "test.sh: setup.sh failed"; echo "0 passed, 1 failed"; exit 1; }

workdir="$(mktemp -d "${TMPDIR:-/tmp}/switchyard-test.XXXXXX")"
shut_down=0
stop_bazel() {
  # Bazel's server would otherwise linger for --max_idle_secs after CI is done. Its
  # output goes to stderr so that the count stays the last line on stdout.
  if [[ "$shut_down" == 0 && "${SWITCHYARD_KEEP_BAZEL:-}" != "1" ]]; then
    shut_down=1
    bazel shutdown >&2
  fi
}
# Also on an early exit or Ctrl-C.
trap 'stop_bazel; rm -rf "$workdir"' EXIT

read -r -a targets <<<"${SWITCHYARD_TEST_TARGETS:-//...}"
# tools/fuzz's corpus replays are left out: the fuzz step runs the same inputs (and new
# ones) under ASan and UBSan, built by clang. So are the router's suites (pure functions of
# the route table, which the route_match fuzzer runs under ASan) and //common's (logging,
# flags, admin HTTP), whose code the integration suites run under ASan in the proxy (2b).
ASAN_TARGETS="//dataplane/... -//dataplane/router/..."
read -r -a asan_targets <<<"${SWITCHYARD_ASAN_TARGETS:-$ASAN_TARGETS}"
# help_test only prints --help of every program; it exercises no request path. The gRPC
# end-to-end suite joins them: it drives the HTTP/2 paths both ways with the grpc++ client.
ASAN_PROXY_TARGETS="//tests/integration/... -//tests/integration:help_test //tests/e2e:grpc_test"
read -r -a asan_proxy_targets <<<"${SWITCHYARD_ASAN_PROXY_TARGETS:-$ASAN_PROXY_TARGETS}"
# Each unit suite of step 2a runs once, there, under ASan and UBSan, rather than in step 1
# too: compiling them twice was about a tenth of CI's time. Step 1 leaves them out (those
# tagged no_asan stay: they run only there) unless step 2 is skipped or the targets were
# narrowed by hand.
# Target patterns ("//a/... -//a/b/...") as a query expression ("(//a/...) except //a/b/...").
patterns_query() {
  local expr="" p
  for p in "$@"; do
    if [[ "$p" == -* ]]; then expr="($expr) except ${p#-}"; else expr="${expr:+$expr + }$p"; fi
  done
  echo "$expr"
}
if [[ "${SWITCHYARD_ASAN:-1}" != "0" && -z "${SWITCHYARD_TEST_TARGETS:-}" ]]; then
  if asan_only="$(bazel query --noshow_progress "tests($(patterns_query "${asan_targets[@]}")) \
      except attr(tags, '\\bno_asan\\b', tests(//...))" 2>/dev/null)"; then
    for t in $asan_only; do targets+=("-$t"); done
  fi
fi
bep="$workdir/plain.json"
tallies=()
# Counts one finished run now: a later run may overwrite its test.xml files (step 2b
# reruns step 1's integration targets in the same output tree).
save_tally() {
  local tally="$workdir/$1.tally"
  python3 scripts/count_tests.py --save "$tally" "$workdir/$1.json" "$2"
  tallies+=(--saved "$tally")
}

# --nocache_test_results: every test really runs (.bazelrc sets it too; repeated so this
#   script does not depend on it).
# --keep_going: one package that fails to build must not hide the results of the others;
#   its tests are counted as failed by count_tests.py.
# --build_event_json_file: tells count_tests.py exactly which targets this run tested,
#   so stale results left in bazel-testlogs by earlier runs are never counted.
bazel test --nocache_test_results --keep_going --build_event_json_file="$bep" -- "${targets[@]}"
save_tally plain $?
step_end() { echo "test.sh: $1 took $((SECONDS - step_start)) s" >&2; step_start=$SECONDS; }
step_start=0
step_end "the plain suite"

if [[ "${SWITCHYARD_ASAN:-1}" != "0" ]]; then
  # The asan config writes to its own output tree (--platform_suffix), so this neither
  # overwrites nor invalidates the plain build. --build_tests_only: only the tests and
  # what they need are built sanitized.
  bazel test --config=asan --nocache_test_results --keep_going --build_tests_only \
    --build_event_json_file="$workdir/asan.json" -- "${asan_targets[@]}"
  save_tally asan $?
  # 2b: the plain test binaries of step 1 (nothing rebuilt) against a sanitized proxy.
  # --config=asan-proxy (.bazelrc) sets the sanitizers' options and leaves out the
  # no_asan targets. ProxyTest fails a test whose proxy printed a sanitizer report.
  if bazel build --config=asan //dataplane:switchyard-proxy; then
    asan_proxy="$(bazel info --config=asan bazel-bin)/dataplane/switchyard-proxy"
    bazel test --config=asan-proxy --nocache_test_results --keep_going --build_tests_only \
      --test_env=SWITCHYARD_PROXY_BIN="$asan_proxy" \
      --build_event_json_file="$workdir/asan-proxy.json" -- "${asan_proxy_targets[@]}"
    save_tally asan-proxy $?
  else
    echo "FAILED [asan-proxy] the sanitized proxy did not build" >"$workdir/asan-proxy.cases"
    tallies+=(--cases "$workdir/asan-proxy.cases")
  fi
  step_end "the asan suite"
fi

if [[ "${SWITCHYARD_TSAN:-1}" != "0" ]]; then
  # Only the tests tagged `tsan` and what they need are built (its own output tree too).
  # The suppressions file is named by absolute path: the tests run in their runfiles tree.
  bazel test --config=tsan --nocache_test_results --keep_going --build_tests_only \
    --test_tag_filters=tsan,-no_tsan \
    --test_env=TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tools/tsan/suppressions.txt" \
    --build_event_json_file="$workdir/tsan.json" -- //...
  save_tally tsan $?
  step_end "the tsan suite"
fi

# The logs and XML files stay on disk after the server stops, and the fuzzers get the
# memory and cores the server held.
stop_bazel

if [[ "${SWITCHYARD_FUZZ:-1}" != "0" ]]; then
  fuzz_cases="$workdir/fuzz_cases"
  SWITCHYARD_FUZZ_RESULTS="$fuzz_cases" SWITCHYARD_FUZZ_OUT="$workdir/fuzz" \
    bash tools/fuzz/run.sh "${SWITCHYARD_FUZZ_SECONDS:-30}"
  tallies+=(--cases "$fuzz_cases")
  step_end "the fuzzers"
fi

python3 scripts/count_tests.py "${tallies[@]}"
