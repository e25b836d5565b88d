#!/usr/bin/env bash
# Installs every Debian package Switchyard needs to build, test and benchmark.
#
# Idempotent and fast when nothing is missing: apt is skipped entirely when dpkg already
# reports every package installed, so CI and developers can call it before every run.
# Only Debian's archive is used (see ../shared/docs/BAZEL_OFFLINE.md): no downloads of
# toolchains or rule sets.
set -euo pipefail

PACKAGES=(
  # Build: Bazel (Debian's bootstrap build, brings a headless JDK) and the system
  # libraries the BUILD files link against.
  bazel-bootstrap
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libabsl-dev libboost-dev libnghttp2-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  pkg-config libre2-dev libyaml-cpp-dev libsqlite3-dev nlohmann-json3-dev
  # Benchmarks (tools/bench): load generator and the proxies compared against (nghttpx,
  # from nghttp2-proxy, in the HTTP/2 and TLS one, tools/bench/h2load.sh). nghttpx is also
  # the HTTP/2 backend of tests/integration/upstream_http2_test.
  wrk nginx-light haproxy golang-go nghttp2-proxy
  # Scripts, tests and code hygiene; h2load and nghttp (nghttp2-client) as HTTP/2 clients.
  curl nghttp2-client python3 clang-format clang-tidy git ca-certificates
  # deploy/pki/make-pki.sh (the secured setup, and the certificates of the TLS tests).
  openssl
  # promtool for deploy/prometheus's rules and config (and Prometheus itself to run them).
  prometheus
  # Fuzzing (tools/fuzz): clang with libFuzzer and its sanitizer runtimes, and
  # llvm-symbolizer for readable crash stacks. (--config=asan uses g++'s own runtimes,
  # libasan8 and libubsan1, which g++ 12 depends on.)
  clang-14 libclang-rt-14-dev llvm-14
)

# A package counts as present only when dpkg says its state is exactly "installed"
# (not "config-files" or half-installed after an interrupted install).
missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Status}\n' "$pkg" 2>/dev/null | grep -qx installed; then
    missing+=("$pkg")
  fi
done

# nghttp2 must carry the HTTP/2 defences the proxy sets (stream reset rate limit against
# CVE-2023-44487, CONTINUATION limit against CVE-2024-28182): Debian 12 backported them
# in 1.52.0-1+deb12u2.
check_nghttp2() {
  local version
  version=$(dpkg-query -W -f='${Version}' libnghttp2-dev 2>/dev/null || true)
  if ! dpkg --compare-versions "$version" ge "1.52.0-1+deb12u2"; then
    echo "setup: libnghttp2-dev ${version:-(none)} is older than 1.52.0-1+deb12u2; upgrade it" \
      "(apt-get install --only-upgrade libnghttp2-dev libnghttp2-14)" >&2
    exit 1
  fi
}

if ((${#missing[@]} == 0)); then
  check_nghttp2
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${#missing[@]} missing package(s): ${missing[*]}"

# CI and these machines run as root; a developer elsewhere may not.
SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  SUDO=(sudo)
fi

# Wait (up to 10 min) for another apt/dpkg holding the lock instead of failing at once.
APT=(apt-get -o DPkg::Lock::Timeout=600)
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "${APT[@]}" update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y "${missing[@]}"

check_nghttp2
echo "setup: done"
