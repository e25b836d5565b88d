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
# -O1: the sanitizer trade-off. -gline-tables-only: reports still name file and line, and
# the step builds faster than with full -g. fuzzer-no-link instruments the
# library sources for coverage; only the final link adds libFuzzer's main.
# Boost 1.74's Asio recognises C++20 coroutines under clang only through
# <experimental/coroutine>, which libstdc++ lacks: BOOST_ASIO_HAS_CO_AWAIT says they are
# there. UBSan's "function" check cannot be compiled for coroutines by clang 14 ("Cannot
# represent a difference across sections"), so it is left out.
# shellcheck disable=SC2054  # the commas are inside one flag (-fsanitize=address,undefined)
CXXFLAGS=(-std=c++20 -O1 -gline-tables-only -fno-omit-frame-pointer
  -fsanitize=address,undefined -fno-sanitize=function -fno-sanitize-recover=all
  -DBOOST_ASIO_HAS_CO_AWAIT=1 -I. -Iproto -I"$out/gen" -Wall -Wno-deprecated-declarations)

# The sample snapshot's C++ classes, generated as Bazel's proto rule does (bazel/proto.bzl).
protoc -Iproto --cpp_out="$out/gen" proto/switchyard/v1/snapshot.proto \
  proto/switchyard/v1/discovery.proto proto/switchyard/v1/options.proto
# snapshot.proto imports options.proto (the `secret` field option): its classes need both.
snapshot_pb=("$out/gen/switchyard/v1/snapshot.pb.cc" "$out/gen/switchyard/v1/options.pb.cc")
# Envoy's external authorization messages (proto/envoy), which the auth phase speaks.
envoy_protos=(envoy/service/auth/v3/external_auth.proto envoy/service/auth/v3/attribute_context.proto
  envoy/config/core/v3/address.proto envoy/config/core/v3/base.proto
  envoy/type/v3/http_status.proto google/rpc/status.proto)
protoc -Iproto --cpp_out="$out/gen" "${envoy_protos[@]/#/proto/}"
envoy_pb=("${envoy_protos[@]/#/$out/gen/}")
envoy_pb=("${envoy_pb[@]/%.proto/.pb.cc}")

# Each target's sources. Objects are shared between targets.
http1_srcs=(tools/fuzz/http1_request_fuzzer.cc dataplane/http/message_parser.cc
  dataplane/http/header_map.cc dataplane/http/authority.cc)
proxy_protocol_srcs=(tools/fuzz/proxy_protocol_fuzzer.cc dataplane/server/proxy_protocol.cc)
http2_srcs=(tools/fuzz/http2_request_fuzzer.cc dataplane/http/h2_request.cc
  dataplane/http/websocket.cc dataplane/http/message_parser.cc dataplane/http/header_map.cc dataplane/http/authority.cc
  dataplane/http/serializer.cc)
route_srcs=(tools/fuzz/route_match_fuzzer.cc dataplane/router/route_table.cc
  dataplane/router/domain_index.cc dataplane/router/prefix_tree.cc
  dataplane/router/request_matcher.cc dataplane/router/route.cc
  dataplane/router/virtual_host_routes.cc dataplane/http/header_map.cc
  dataplane/http/path_normalizer.cc proto/switchyard/config/duration.cc
  "${snapshot_pb[@]}")
# The configuration side: loader and validator, delta application, and the proxy's handling
# of discovery responses.
config_srcs=(proto/switchyard/config/validate.cc proto/switchyard/config/syntax.cc
  proto/switchyard/config/duration.cc proto/switchyard/config/certificate_pem.cc
  proto/switchyard/config/jwks.cc proto/switchyard/config/ip_range.cc
  "${snapshot_pb[@]}")
loader_srcs=(tools/fuzz/snapshot_loader_fuzzer.cc proto/switchyard/config/loader.cc
  proto/switchyard/config/yaml_json.cc "${config_srcs[@]}")
delta_srcs=(tools/fuzz/snapshot_delta_fuzzer.cc proto/switchyard/config/snapshot_delta.cc
  "$out/gen/switchyard/v1/discovery.pb.cc" "${snapshot_pb[@]}")
response_srcs=(tools/fuzz/discovery_response_fuzzer.cc dataplane/config/response_handler.cc
  proto/switchyard/config/snapshot_delta.cc "$out/gen/switchyard/v1/discovery.pb.cc"
  "${config_srcs[@]}")

# The session glue runs on a whole worker: the data plane but for main.cc and the control
# stream's client, the validation library, and the test suite's backend and frame codec.
mapfile -t dataplane_srcs < <(cd dataplane && find access_log auth http io metrics overload \
  proxy router runtime server tls upstream -maxdepth 1 -name '*.cc' ! -name '*_test.cc' |
  sed 's|^|dataplane/|' | sort)
session_srcs=(tools/fuzz/http2_session_fuzzer.cc "${dataplane_srcs[@]}" "${envoy_pb[@]}"
  common/json_escape.cc common/log.cc common/sha256.cc common/metrics/histogram.cc
  common/metrics/prometheus_text.cc proto/switchyard/config/redact.cc
  proto/switchyard/config/loader.cc proto/switchyard/config/yaml_json.cc "${config_srcs[@]}"
  tests/support/test_backend.cc tests/support/http_message.cc tests/support/pattern.cc
  tests/support/socket.cc tests/support/h2_frames.cc)

# An external authorization service's answer.
ext_authz_srcs=(tools/fuzz/ext_authz_fuzzer.cc dataplane/auth/ext_authz.cc
  dataplane/http/header_map.cc "${envoy_pb[@]}")

# JWT and JWKS parsing, with the test helper that turns the seeds' public keys into JWKs.
jwt_srcs=(tools/fuzz/jwt_fuzzer.cc dataplane/auth/jwt.cc proto/switchyard/config/jwks.cc
  dataplane/auth/testing/test_tokens.cc)

obj_of() { echo "$out/obj/$(echo "$1" | tr / _).o"; }

# Every source is compiled afresh (a changed header must reach every object that includes
# it, and CI starts from nothing anyway), as many at a time as there are cores: the step's
# build time halves on CI's two.
declare -A seen=()
jobs=0
failed=0
for src in "${http1_srcs[@]}" "${http2_srcs[@]}" "${proxy_protocol_srcs[@]}" "${route_srcs[@]}" "${loader_srcs[@]}" "${delta_srcs[@]}" \
  "${response_srcs[@]}" "${session_srcs[@]}" "${jwt_srcs[@]}" "${ext_authz_srcs[@]}"; do
  [[ -n "${seen[$src]:-}" ]] && continue
  seen[$src]=1
  "$CXX" "${CXXFLAGS[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$(obj_of "$src")" &
  if ((++jobs >= $(nproc))); then
    wait -n || failed=1
    ((jobs--))
  fi
done
while ((jobs > 0)); do
  wait -n || failed=1
  ((jobs--))
done
if ((failed)); then
  echo "build.sh: compilation failed" >&2
  exit 1
fi

# Links `name` from the objects of the sources that follow, then any "-l..." flags.
link() {
  local name="$1" objs=() flags=()
  shift
  for arg in "$@"; do
    if [[ "$arg" == -* ]]; then flags+=("$arg"); else objs+=("$(obj_of "$arg")"); fi
  done
  "$CXX" "${CXXFLAGS[@]}" -fsanitize=fuzzer "${objs[@]}" "${flags[@]}" -o "$out/$name"
  echo "built $out/$name"
}

# openssl: validation parses certificates (proto/switchyard/config/certificate_pem.cc).
config_libs=$(pkg-config --libs re2 protobuf absl_statusor absl_status absl_strings \
  absl_str_format absl_raw_hash_set absl_hash absl_time openssl)
link http1_request_fuzzer "${http1_srcs[@]}"
# shellcheck disable=SC2086
link http2_request_fuzzer "${http2_srcs[@]}" $(pkg-config --libs libnghttp2 absl_strings) -lcrypto
# shellcheck disable=SC2086
link proxy_protocol_fuzzer "${proxy_protocol_srcs[@]}" $(pkg-config --libs absl_strings)
# shellcheck disable=SC2086  # pkg-config prints one flag per word
link route_match_fuzzer "${route_srcs[@]}" $config_libs
# shellcheck disable=SC2086
link snapshot_loader_fuzzer "${loader_srcs[@]}" $config_libs -lyaml-cpp
# shellcheck disable=SC2086
link snapshot_delta_fuzzer "${delta_srcs[@]}" $config_libs
# shellcheck disable=SC2086
link discovery_response_fuzzer "${response_srcs[@]}" $config_libs
# shellcheck disable=SC2046
link ext_authz_fuzzer "${ext_authz_srcs[@]}" $(pkg-config --libs protobuf absl_strings)
# shellcheck disable=SC2046
link jwt_fuzzer "${jwt_srcs[@]}" $(pkg-config --libs absl_statusor absl_status absl_strings \
  absl_raw_hash_set absl_hash openssl)
# shellcheck disable=SC2046,SC2086
link http2_session_fuzzer "${session_srcs[@]}" $config_libs -lyaml-cpp \
  $(pkg-config --libs libnghttp2 absl_synchronization absl_random_random) -lpthread
