#!/usr/bin/env python3
"""Writes the binary seed corpora of the protobuf-input fuzzers (snapshot_delta,
discovery_response, ext_authz) from text-format messages, with Debian's protoc, and of the HTTP/2
fuzzers (http2_request, http2_session) from frames built here. Run from the repository root after
changing the seeds below: python3 tools/fuzz/make_seeds.py"""
import base64
import json
import os
import subprocess
import tempfile

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


H2_DATA, H2_HEADERS, H2_RST_STREAM, H2_SETTINGS, H2_PING, H2_GOAWAY, H2_WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
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
        for target in ("http2_request", "http2_session"):
            write("tools/fuzz/corpus/%s/%s" % (target, name), b"\x02" + settings + frames)
    # Byte by byte with tight limits and underscores refused.
    for target in ("http2_request", "http2_session"):
        write("tools/fuzz/corpus/%s/tight_bytewise" % target,
              bytes([0x0D]) + settings + seeds["underscore"])
    http2_session_seeds(settings, post)


def rst_stream(stream, code):
    return h2_frame(H2_RST_STREAM, 0, stream, code.to_bytes(4, "big"))


def window_update(stream, increment):
    return h2_frame(H2_WINDOW_UPDATE, 0, stream, increment.to_bytes(4, "big"))


def http2_session_seeds(settings, post):
    """What only a whole session reaches: upstream responses, flow control, resets, the
    tight worker's limits (control byte bit 0), and writes split small (bits 3-7)."""
    get = lambda path: [(":method", "GET"), (":scheme", "http"), (":path", path),
                        (":authority", "example.com")]
    body = b"0123456789" * 10
    seeds = {
        # 100 KiB back: more than the default window, so it needs the WINDOW_UPDATEs.
        "big_response": h2_request(1, get("/big")) + window_update(0, 1 << 20) +
        window_update(1, 1 << 20),
        "big_response_no_window": h2_request(1, get("/big")),
        "echo_in_pieces": h2_request(1, post + [("content-length", str(len(body)))], False) +
        h2_frame(H2_DATA, 0, 1, body[:40]) + h2_frame(H2_DATA, END_STREAM, 1, body[40:]),
        "upstream_down": h2_request(1, get("/down")),
        "reset_mid_request": h2_request(1, post, False) + h2_frame(H2_DATA, 0, 1, b"part") +
        rst_stream(1, 8),
        # The client leaves with the body unfinished: the upstream exchange must be let go.
        "left_mid_body": h2_request(1, post + [("content-length", "100")], False) +
        h2_frame(H2_DATA, 0, 1, body[:10]),
        "reset_mid_response": h2_request(1, get("/big")) + rst_stream(1, 8) +
        h2_request(3, get("/after")),
        "zero_window_then_open": h2_frame(H2_SETTINGS, 0, 0, (4).to_bytes(2, "big") +
                                          (0).to_bytes(4, "big")) +
        h2_request(1, get("/x")) + window_update(1, 100),
        "client_goaway": h2_request(1, get("/a")) + h2_frame(H2_GOAWAY, 0, 0, bytes(8)),
        "three_streams": b"".join(h2_request(i, get("/s%d" % i)) for i in (1, 3, 5)),
        "ping": h2_frame(H2_PING, 0, 0, b"12345678") + h2_request(1, get("/p")),
    }
    for name, frames in seeds.items():
        write("tools/fuzz/corpus/http2_session/" + name, b"\x02" + settings + frames)
    # The tight worker: a body beyond its 16-byte window, streams beyond its 2, and rapid
    # resets beyond its burst of 4; the last written 7 bytes at a time.
    tight = {
        "tight_window_overrun": h2_request(1, post, False) + h2_frame(H2_DATA, END_STREAM, 1, body),
        "tight_streams": b"".join(h2_request(i, get("/t")) for i in (1, 3, 5, 7)),
        "tight_rapid_reset": b"".join(h2_request(i, get("/r"), False) + rst_stream(i, 8)
                                      for i in range(1, 20, 2)),
    }
    for name, frames in tight.items():
        write("tools/fuzz/corpus/http2_session/" + name, bytes([0x01 | (7 << 3)]) + settings + frames)


KEYS = "tools/fuzz/jwt_keys/"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def openssl(args, data=b""):
    return subprocess.run(["openssl"] + args, input=data, capture_output=True, check=True).stdout


def der_to_raw(der):
    """An ECDSA signature from DER (SEQUENCE of two INTEGERs) to JWS's r || s."""
    assert der[0] == 0x30
    at = 2 if der[1] < 0x80 else 3
    out = b""
    for _ in range(2):
        assert der[at] == 0x02
        length = der[at + 1]
        out += der[at + 2:at + 2 + length].lstrip(b"\x00").rjust(32, b"\x00")
        at += 2 + length
    return out


def sign(alg, data):
    if alg == "RS256":
        return openssl(["dgst", "-sha256", "-sign", KEYS + "rsa.pem"], data)
    if alg == "PS256":
        return openssl(["dgst", "-sha256", "-sign", KEYS + "rsa.pem", "-sigopt",
                        "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"], data)
    if alg == "ES256":
        return der_to_raw(openssl(["dgst", "-sha256", "-sign", KEYS + "ec.pem"], data))
    with tempfile.NamedTemporaryFile() as f:  # Ed25519 signs the message itself
        f.write(data)
        f.flush()
        return openssl(["pkeyutl", "-sign", "-inkey", KEYS + "ed25519.pem", "-rawin", "-in", f.name])


def jwt(header, claims, alg=None):
    signing = b64u(json.dumps(header).encode()) + b"." + b64u(json.dumps(claims).encode())
    signature = sign(alg or header["alg"], signing) if (alg or header["alg"]) in (
        "RS256", "PS256", "ES256", "EdDSA") else b""
    return signing + b"." + b64u(signature)


def public_jwks():
    modulus = openssl(["rsa", "-pubin", "-in", KEYS + "rsa.pub.pem", "-modulus", "-noout"])
    n = bytes.fromhex(modulus.decode().strip().split("=")[1])
    ec = openssl(["pkey", "-pubin", "-in", KEYS + "ec.pub.pem", "-outform", "DER"])[-64:]
    ed = openssl(["pkey", "-pubin", "-in", KEYS + "ed25519.pub.pem", "-outform", "DER"])[-32:]
    return {"keys": [
        {"kty": "RSA", "kid": "rsa", "n": b64u(n).decode(), "e": "AQAB"},
        {"kty": "EC", "crv": "P-256", "kid": "ec", "x": b64u(ec[:32]).decode(),
         "y": b64u(ec[32:]).decode()},
        {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": b64u(ed).decode()}]}


def jwt_seeds():
    """Control byte 0x00: a token; 0x01: a JWKS (see the fuzzer)."""
    claims = {"iss": "https://fuzz.example", "aud": ["api", "other"], "sub": "user-7",
              "exp": 4102444800, "nbf": 1700000000, "roles": ["admin", "dev"],
              "org": {"tier": "gold", "seats": 12}, "email": "a@example.com"}
    kids = {"RS256": "rsa", "PS256": "rsa", "ES256": "ec", "EdDSA": "ed"}
    out = "tools/fuzz/corpus/jwt/"
    for alg, kid in kids.items():
        write(out + "valid_" + alg, b"\x00" + jwt({"alg": alg, "kid": kid, "typ": "JWT"}, claims))
    write(out + "no_kid", b"\x00" + jwt({"alg": "ES256"}, claims))
    write(out + "expired", b"\x00" + jwt({"alg": "EdDSA", "kid": "ed"}, dict(claims, exp=1000)))
    write(out + "wrong_issuer", b"\x00" + jwt({"alg": "EdDSA", "kid": "ed"},
                                              dict(claims, iss="https://evil.example")))
    write(out + "alg_none", b"\x00" + jwt({"alg": "none"}, claims))
    write(out + "hs256", b"\x00" + jwt({"alg": "HS256", "kid": "rsa"}, claims, alg="HS256") + b"AAAA")
    write(out + "crit", b"\x00" + jwt({"alg": "EdDSA", "kid": "ed", "crit": ["exp"]}, claims))
    write(out + "jwks", b"\x01" + json.dumps(public_jwks()).encode())
    write(out + "jwks_oct", b"\x01" + json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}).encode())


def check_response(text):
    return subprocess.run(["protoc", "-Iproto", "--encode=envoy.service.auth.v3.CheckResponse",
                           "proto/envoy/service/auth/v3/external_auth.proto"],
                          input=text.encode(), capture_output=True, check=True).stdout


def ext_authz_seeds():
    """An authorization service's answers: byte 0 is the mode (ext_authz_fuzzer.cc); 2 frames
    the rest as one gRPC message under a 200 with grpc-status 0."""
    out = "tools/fuzz/corpus/ext_authz/"
    answers = {
        "allow": 'status { code: 0 } ok_response { headers { header { key: "x-user" value: "alice" } } '
                 'headers { header { key: "x-tag" value: "2" } append { value: true } } '
                 'headers { header { key: "x-tenant" value: "t" } append_action: ADD_IF_ABSENT } '
                 'headers_to_remove: "authorization" }',
        "deny": 'status { code: 7 message: "no" } denied_response { status { code: Unauthorized } '
                'headers { header { key: "WWW-Authenticate" value: "Bearer" } } body: "no entry" }',
        "deny_ok_status": 'status { code: 7 } denied_response { status { code: OK } }',
        "smuggle": 'status { code: 0 } ok_response { headers { header { key: "x-a" value: "1\\r\\nx-b: 2" } } }',
        "owned": 'status { code: 0 } ok_response { headers { header { key: "Content-Length" value: "5" } } }',
        "raw_value": 'status { code: 0 } ok_response { headers { header { key: "x-raw" raw_value: "v" } '
                     'keep_empty_value: true } }',
    }
    for name, text in answers.items():
        write(out + name, b"\x02" + check_response(text))
    allow = check_response(answers["allow"])
    write(out + "framed_by_service", b"\x00\x00" + len(allow).to_bytes(4, "big") + allow)
    write(out + "not_grpc", b"\x01\x32\x00\x00")
    write(out + "error_status", b"\x03\x32\x01\x0e")


def main():
    http2_seeds()
    jwt_seeds()
    ext_authz_seeds()
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
