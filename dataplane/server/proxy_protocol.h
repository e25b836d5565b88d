// The PROXY protocol (HAProxy's, versions 1 and 2): the header an L4 load balancer puts
// before a connection's bytes to say which client it came from, so that the gateway's
// X-Forwarded-For, access log, rules and limits see the real client rather than the
// balancer. docs/operations.md, "Behind an L4 load balancer".
//
// Pure parsing, no I/O: the connection feeds what it has read so far and learns whether
// a header is complete, still arriving, absent, or invalid.
#ifndef SWITCHYARD_DATAPLANE_SERVER_PROXY_PROTOCOL_H_
#define SWITCHYARD_DATAPLANE_SERVER_PROXY_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace switchyard::server {

// --proxy_protocol: whether a connection must, may or must not start with the header.
// "optional" trusts any client that sends one, so it suits only a listener that nothing
// but the balancer can reach.
enum class ProxyProtocolMode { kOff, kOptional, kRequired };
// "off", "optional", "required"; false for anything else.
bool ParseProxyProtocolMode(std::string_view text, ProxyProtocolMode& mode);

// Version 1 headers are at most this long, CRLF included (the specification's limit).
inline constexpr size_t kMaxProxyV1Bytes = 107;
// Version 2 headers may carry up to 64 KiB of TLVs; balancers send a few dozen bytes, so
// more than this is refused rather than buffered.
inline constexpr size_t kMaxProxyV2Bytes = 16 + 2048;

struct ProxyHeader {
  // Bytes the header took; the connection's own data follows them.
  size_t length = 0;
  // The client's address and port as the balancer saw them. Empty for a LOCAL header
  // (the balancer's own health check) and for UNKNOWN or non-IP families: the
  // connection's peer address then stands.
  std::string source_address;
  uint16_t source_port = 0;
};

enum class ProxyParse {
  kNeedMore,  // a header's beginning: read more
  kParsed,    // `header` is filled
  kAbsent,    // the bytes are not a PROXY header (a request, say)
  kInvalid,   // a PROXY header, malformed or too long; `error` says how
};

ProxyParse ParseProxyHeader(std::string_view bytes, ProxyHeader& header, std::string& error);

}  // namespace switchyard::server

#endif  // SWITCHYARD_DATAPLANE_SERVER_PROXY_PROTOCOL_H_
