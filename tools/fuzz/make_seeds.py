#!/usr/bin/env python3
"""Writes the binary seed corpora of the protobuf-input fuzzers (snapshot_delta,
discovery_response) from text-format messages, with Debian's protoc. Run from the
repository root after changing the seeds below: python3 tools/fuzz/make_seeds.py"""
import os
import subprocess

PROTO = "proto/switchyard/v1/discovery.proto"

BASE = """version: 5
virtual_hosts { name: "api" domains: "api.example.com"
  routes { name: "all" match { prefix: "/" } route { cluster: "a" } } }
virtual_hosts { name: "web" domains: "*"
  routes { name: "root" match { prefix: "/" } route { cluster: "b" } } }
clusters { name: "a" endpoints { address: "10.0.0.1" port: 80 } }
clusters { name: "b" endpoints { address: "10.0.0.2" port: 80 } }
"""

DELTAS = {
    "change_and_add": """base_version: 5
clusters { name: "a" endpoints { address: "10.0.0.9" port: 81 } }
clusters { name: "c" endpoints { address: "10.0.0.3" port: 80 } }""",
    "remove": """base_version: 5 removed_virtual_hosts: "web" removed_clusters: "b" """,
    "wrong_base": """base_version: 4 removed_clusters: "b" """,
    "remove_unknown": """base_version: 5 removed_clusters: "zzz" """,
}


def encode(message_type, text):
    return subprocess.run(["protoc", "-Iproto", "--encode=switchyard.v1." + message_type, PROTO],
                          input=text.encode(), capture_output=True, check=True).stdout


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def chunk(data):
    return len(data).to_bytes(2, "big") + data


def main():
    base = encode("Snapshot", BASE)
    assert len(base) < 256
    for name, delta in DELTAS.items():
        write("tools/fuzz/corpus/snapshot_delta/" + name, bytes([len(base)]) + base +
              encode("SnapshotDelta", delta))

    full = encode("DiscoveryResponse", 'version: 5 nonce: "n1" snapshot {' + BASE + "}")
    responses = {
        "full_then_delta": [full] + [
            encode("DiscoveryResponse", 'version: 6 nonce: "n2" delta {' + DELTAS["change_and_add"] + "}")],
        "delta_first": [
            encode("DiscoveryResponse", 'version: 6 nonce: "n1" delta {' + DELTAS["remove"] + "}")],
        "invalid_then_valid": [
            encode("DiscoveryResponse", 'version: 4 nonce: "bad" snapshot { virtual_hosts { name: "v" '
                   'domains: "*" routes { name: "r" match { prefix: "/" } route { cluster: "nope" } } } }'),
            full],
        "stale_delta": [full] + [
            encode("DiscoveryResponse", 'version: 7 nonce: "n3" delta {' + DELTAS["wrong_base"] + "}")],
    }
    for name, sequence in responses.items():
        write("tools/fuzz/corpus/discovery_response/" + name, b"".join(chunk(r) for r in sequence))


if __name__ == "__main__":
    main()
