#!/usr/bin/env bash
# Checks the tree against the checked-in .clang-format and .clang-tidy.
#   scripts/lint.sh            every tracked C++ file
#   scripts/lint.sh FILE...    just these
# clang-tidy needs the generated protobuf headers: the script builds the proto targets
# first. Exits non-zero if anything is reported.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if (($# > 0)); then
  files=("$@")
else
  mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v '^third_party/')
fi

status=0
echo "clang-format: ${#files[@]} files"
if ! clang-format --dry-run --Werror "${files[@]}"; then status=1; fi

# Generated protobuf and gRPC headers: the shared APIs, and the test harness's Echo service.
bazel build //proto/... //tests/support:echo_proto >/dev/null 2>&1 ||
  { echo "lint.sh: cannot build the generated headers" >&2; exit 1; }
bin="$(bazel info bazel-bin 2>/dev/null)"
mapfile -t sources < <(printf '%s\n' "${files[@]}" | grep '\.cc$')
echo "clang-tidy: ${#sources[@]} files"
# Boost 1.74 only detects coroutine support under g++, so it is declared for clang here.
# Two at a time: this machine has two cores. Only findings in our own files are printed
# (HeaderFilterRegex in .clang-tidy), never those in Boost, gRPC or generated code.
report="$(printf '%s\n' "${sources[@]}" | xargs -P 2 -I{} \
  clang-tidy --quiet {} -- -std=c++20 -DBOOST_ASIO_HAS_CO_AWAIT -DBOOST_ASIO_HAS_STD_COROUTINE -I. -Iproto -I"$bin/proto" -I"$bin/tests" 2>/dev/null |
  grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' || true)"
if [[ -n "$report" ]]; then
  echo "$report"
  status=1
fi
((status == 0)) && echo "lint: clean"
exit "$status"
