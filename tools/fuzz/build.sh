#!/usr/bin/env bash
# Builds the libFuzzer targets of tools/fuzz with clang-14, AddressSanitizer and UBSan.
#
# Usage: tools/fuzz/build.sh [OUT_DIR]    (default: $TMPDIR/switchyard-fuzz)
# Leaves OUT_DIR/<target>_fuzzer for each target of run.sh.
#
# Why a script and not Bazel: Bazel 4 configures one C++ toolchain per workspace from CC
# when it first fetches @local_config_cc (g++ here), and rules_cc toolchains cannot be
# downloaded offline. A clang config would have to re-fetch that repository with another
# CC and flip every C++ action of the workspace between compilers whenever someone
# switches configs. The fuzz targets need a handful of sources and Debian's system
# libraries, so plain clang++ is simpler and touches nothing else. The same fuzz target
# sources are also built by Bazel with g++ as corpus-replay tests (tools/fuzz/BUILD.bazel),
# so they cannot rot unnoticed in the normal suite.
#
# Packages (scripts/setup.sh): clang-14, libclang-rt-14-dev (libFuzzer and the clang
# sanitizer runtimes), protobuf-compiler, libprotobuf-dev, libabsl-dev, libre2-dev,
# libboost-dev, libyaml-cpp-dev, nlohmann-json3-dev.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out="${1:-${TMPDIR:-/tmp}/switchyard-fuzz}"
mkdir -p "$out/gen" "$out/obj"

CXX="${CXX_FUZZ:-clang++-14}"
# -O1 -g: the sanitizer trade-off. fuzzer-no-link instruments the library sources for
# coverage; only the final link adds libFuzzer's main.
CXXFLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer
  -fsanitize=address,undefined -fno-sanitize-recover=all
  -I. -Iproto -I"$out/gen" -Wall -Wno-deprecated-declarations)

# The sample snapshot's C++ classes, generated as Bazel's proto rule does (bazel/proto.bzl).
protoc -Iproto --cpp_out="$out/gen" proto/switchyard/v1/snapshot.proto \
  proto/switchyard/v1/discovery.proto

# Compiles one source into $out/obj unless the object is newer than it and this script.
compile() {
  local src="$1" obj="$out/obj/$(echo "$1" | tr / _).o"
  if [[ ! "$obj" -nt "$src" || ! "$obj" -nt "${BASH_SOURCE[0]}" ]]; then
    "$CXX" "${CXXFLAGS[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
  fi
  echo "$obj"
}

link() {
  local name="$1"
  shift
  "$CXX" "${CXXFLAGS[@]}" -fsanitize=fuzzer "$@" -o "$out/$name"
  echo "built $out/$name"
}

parser_objs=()
for src in tools/fuzz/http1_request_fuzzer.cc dataplane/http/message_parser.cc \
  dataplane/http/header_map.cc dataplane/http/authority.cc; do
  parser_objs+=("$(compile "$src")")
done
link http1_request_fuzzer "${parser_objs[@]}"

route_objs=()
for src in tools/fuzz/route_match_fuzzer.cc dataplane/router/route_table.cc \
  dataplane/router/domain_index.cc dataplane/router/prefix_tree.cc \
  dataplane/router/request_matcher.cc dataplane/router/route.cc \
  dataplane/router/virtual_host_routes.cc dataplane/http/header_map.cc \
  dataplane/http/path_normalizer.cc proto/switchyard/config/duration.cc \
  "$out/gen/switchyard/v1/snapshot.pb.cc"; do
  route_objs+=("$(compile "$src")")
done
# shellcheck disable=SC2046  # pkg-config prints one flag per word
link route_match_fuzzer "${route_objs[@]}" \
  $(pkg-config --libs re2 protobuf absl_statusor absl_status absl_strings absl_str_format \
    absl_raw_hash_set absl_hash)

# The configuration side: loader and validator, delta application, and the proxy's handling
# of discovery responses.
config_srcs=(proto/switchyard/config/validate.cc proto/switchyard/config/syntax.cc
  proto/switchyard/config/duration.cc "$out/gen/switchyard/v1/snapshot.pb.cc")
config_libs=$(pkg-config --libs re2 protobuf absl_statusor absl_status absl_strings \
  absl_str_format absl_raw_hash_set absl_hash)

loader_objs=()
for src in tools/fuzz/snapshot_loader_fuzzer.cc proto/switchyard/config/loader.cc \
  proto/switchyard/config/yaml_json.cc "${config_srcs[@]}"; do
  loader_objs+=("$(compile "$src")")
done
# shellcheck disable=SC2086  # one flag per word
link snapshot_loader_fuzzer "${loader_objs[@]}" $config_libs -lyaml-cpp

delta_objs=()
for src in tools/fuzz/snapshot_delta_fuzzer.cc proto/switchyard/config/snapshot_delta.cc \
  "$out/gen/switchyard/v1/discovery.pb.cc" "$out/gen/switchyard/v1/snapshot.pb.cc"; do
  delta_objs+=("$(compile "$src")")
done
# shellcheck disable=SC2086
link snapshot_delta_fuzzer "${delta_objs[@]}" $config_libs

response_objs=()
for src in tools/fuzz/discovery_response_fuzzer.cc dataplane/config/response_handler.cc \
  proto/switchyard/config/snapshot_delta.cc "$out/gen/switchyard/v1/discovery.pb.cc" \
  "${config_srcs[@]}"; do
  response_objs+=("$(compile "$src")")
done
# shellcheck disable=SC2086
link discovery_response_fuzzer "${response_objs[@]}" $config_libs
