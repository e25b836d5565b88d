#!/usr/bin/env bash
# Makes what a secured Switchyard needs, with the openssl CLI only (docs/security.md):
#
#   ca.pem, ca-key.pem                 a private CA (reused when DIR already has one)
#   control-plane.pem, -key.pem        switchyard-control's serving certificate
#   proxy-NODE.pem, -key.pem           one client certificate per proxy; its node id is
#                                      in the URI SAN spiffe://switchyard/proxy/NODE,
#                                      which switchyard-control binds the stream to
#   operator-NAME.pem, -key.pem        optional client certificates for operators (CN=NAME)
#   admin-token                        a bearer token for yardctl (kept if present)
#   admin-token.sha256                 its SHA-256 and name, for --admin_token_hash_file
#
# Usage: make-pki.sh [-d DIR] [--host NAME_OR_IP]... [--proxy NODE]... [--operator NAME]...
#                    [--days N]
# Certificates named on the command line are issued again on every run (that is how they
# are rotated); running processes pick new files up on their own. Keys and the token are
# written 0600. The control plane's certificate always covers localhost, 127.0.0.1 and ::1.
set -euo pipefail

dir=pki
days=365
hosts=()
proxies=()
operators=()
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    -d) dir="$2"; shift 2 ;;
    --host) hosts+=("$2"); shift 2 ;;
    --proxy) proxies+=("$2"); shift 2 ;;
    --operator) operators+=("$2"); shift 2 ;;
    --days) days="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "make-pki.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
command -v openssl >/dev/null || { echo "make-pki.sh: needs openssl (apt-get install openssl)" >&2; exit 1; }
[[ "$days" =~ ^[0-9]+$ && "$days" -ge 1 ]] || { echo "make-pki.sh: --days must be a positive integer" >&2; exit 2; }
# Names end up in file names and certificate fields: keep them plain.
for name in "${proxies[@]}" "${operators[@]}"; do
  [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]] ||
    { echo "make-pki.sh: '$name' is not a valid name (letters, digits, . _ -)" >&2; exit 2; }
done

umask 077
mkdir -p "$dir"
cd "$dir"

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ ! -s ca.pem || ! -s ca-key.pem ]]; then
  new_key ca-key.pem
  openssl req -x509 -new -key ca-key.pem -sha256 -days "$((days * 5))" -subj "/CN=Switchyard CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out ca.pem
  echo "made CA $dir/ca.pem"
fi

# issue NAME CN EXTENSIONS: NAME.pem and NAME-key.pem signed by the CA. The key is made
# beside the final file and renamed over it, so a watcher never reads a half-written key.
issue() {
  local name="$1" cn="$2" extensions="$3"
  new_key "$name-key.pem.new"
  openssl req -new -key "$name-key.pem.new" -subj "/CN=$cn" -out "$name.csr"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -sha256 \
    -days "$days" -extfile <(printf '%s\n' "$extensions") -out "$name.pem.new" 2>/dev/null
  rm -f "$name.csr"
  mv "$name-key.pem.new" "$name-key.pem"
  mv "$name.pem.new" "$name.pem"
  echo "issued $dir/$name.pem (CN=$cn)"
}

san="DNS:localhost,IP:127.0.0.1,IP:::1"
for host in "${hosts[@]}"; do
  if [[ "$host" =~ ^[0-9.]+$ || "$host" == *:* ]]; then san+=",IP:$host"; else san+=",DNS:$host"; fi
done
issue control-plane switchyard-control \
  "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$san"

for node in "${proxies[@]}"; do
  issue "proxy-$node" "$node" \
    "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectAltName=URI:spiffe://switchyard/proxy/$node"
done

for operator in "${operators[@]}"; do
  issue "operator-$operator" "$operator" \
    "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
done

# The hash file is written with a new token only, so that a later run (a rotation) does
# not bring back a bootstrap line an operator removed.
if [[ ! -s admin-token ]]; then
  printf 'syt_%s' "$(openssl rand -hex 32)" > admin-token
  printf '%s admin\n' "$(openssl dgst -sha256 -r < admin-token | cut -d' ' -f1)" > admin-token.sha256
  echo "made admin token $dir/admin-token (its SHA-256 for --admin_token_hash_file: $dir/admin-token.sha256)"
fi
