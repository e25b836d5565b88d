#!/usr/bin/env python3
"""Writes the binary seed corpora of the protobuf-input fuzzers (snapshot_delta,
discovery_response) from text-format messages, with Debian's protoc, and of the HTTP/2
fuzzer (http2_request) from frames built here. Run from the repository root after
changing the seeds below: python3 tools/fuzz/make_seeds.py"""
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


def h2_frame(kind, flags, stream, payload):
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def h2_headers(fields):
    """A header block of literal fields without indexing, new names, no Huffman."""
    out = b""
    for name, value in fields:
        out += b"\x00" + bytes([len(name)]) + name.encode() + bytes([len(value)]) + value.encode()
    return out


H2_DATA, H2_HEADERS, H2_SETTINGS = 0, 1, 4
END_STREAM, END_HEADERS = 0x1, 0x4
GET = [(":method", "GET"), (":scheme", "http"), (":path", "/a?b=c"), (":authority", "example.com")]


def h2_request(stream, fields, end_stream=True):
    flags = END_HEADERS | (END_STREAM if end_stream else 0)
    return h2_frame(H2_HEADERS, flags, stream, h2_headers(fields))


def http2_seeds():
    """Control byte 0x02: default limits, underscores dropped, one read (see the fuzzer)."""
    settings = h2_frame(H2_SETTINGS, 0, 0, b"")
    post = [(":method", "POST"), (":scheme", "https"), (":path", "/upload"),
            (":authority", "api.example.com:8443")]
    seeds = {
        "get": h2_request(1, GET),
        "post_with_length": h2_request(1, post + [("content-length", "5")], False) +
        h2_frame(H2_DATA, END_STREAM, 1, b"hello"),
        "post_unknown_length": h2_request(1, post, False) + h2_frame(H2_DATA, END_STREAM, 1, b"x"),
        "split_cookies": h2_request(1, GET + [("cookie", "a=1"), ("cookie", "b=2")]),
        "underscore": h2_request(1, GET + [("x_forwarded_for", "1.2.3.4")]),
        "host_not_authority": h2_request(1, GET[:3] + [("host", "h.example.com")]),
        "trailers": h2_request(1, post, False) + h2_frame(H2_DATA, 0, 1, b"body") +
        h2_frame(H2_HEADERS, END_HEADERS | END_STREAM, 1, h2_headers([("x-checksum", "1")])),
        "bad_value": h2_request(1, GET + [("x-bad", "a\r\nInjected: 1")]),
        "connection_header": h2_request(1, GET + [("connection", "close")]),
        "two_streams": h2_request(1, GET) + h2_request(3, post + [("content-length", "0")]),
        "bad_authority": h2_request(1, GET[:3] + [(":authority", "user@evil.com")]),
        # RFC 8441: a WebSocket's extended CONNECT, then tunnel data; and a plain CONNECT.
        "websocket_connect": h2_request(
            1, [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
                (":path", "/chat"), (":authority", "chat.example.com"),
                ("sec-websocket-version", "13")], False) +
        h2_frame(H2_DATA, END_STREAM, 1, b"\x81\x02hi"),
        "plain_connect": h2_request(1, [(":method", "CONNECT"),
                                        (":authority", "example.com:443")], False),
    }
    for name, frames in seeds.items():
        write("tools/fuzz/corpus/http2_request/" + name, b"\x02" + settings + frames)
    # Byte by byte with tight limits and underscores refused.
    write("tools/fuzz/corpus/http2_request/tight_bytewise",
          bytes([0x0D]) + settings + seeds["underscore"])


def main():
    http2_seeds()
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
