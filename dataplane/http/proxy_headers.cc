#include "dataplane/http/proxy_headers.h"

#include <string>
#include <vector>

#include "common/ascii.h"

namespace switchyard::http {
namespace {

// Calls `fn` with each trimmed, non-empty element of a comma-separated list.
template <typename Fn>
void ForEachListElement(std::string_view list, Fn fn) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) fn(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

bool IsHopByHopName(std::string_view lower_name) {
  // http2-settings belongs to an `Upgrade: h2c` (RFC 7540 3.2), which is never performed:
  // passed on, it could let a client speak HTTP/2 to the backend past the proxy.
  static constexpr std::string_view kNames[] = {
      "connection",     "keep-alive",    "te", "trailer", "upgrade", "transfer-encoding",
      "content-length", "http2-settings"};
  for (std::string_view n : kNames) {
    if (lower_name == n) return true;
  }
  return lower_name.size() > 6 && lower_name.substr(0, 6) == "proxy-";
}

// Headers a Connection field may not nominate for removal. RFC 9110 section 7.6.1 lets a
// sender name any field as hop-by-hop, but these carry what the proxy itself relies on or
// vouches for to the next hop, so honouring the nomination would let a client (or an
// upstream, on the way back) break routing or erase the forwarding record:
//  - host: routing and the upstream request need it (HTTP/1.1 requires one);
//  - x-forwarded-*, forwarded, x-real-ip: the client addresses a trusted front proxy
//    recorded; a client must not erase the record of itself;
//  - x-request-id: the id the proxy keeps or generates for tracing and local replies;
//  - via: the proxy appends to the chain rather than starting a new one.
// Content-Length, Transfer-Encoding and TE are not listed: they are hop-by-hop already
// (IsHopByHopName) and the serializer writes the next hop's framing itself, so naming them
// changes nothing; RFC 9110 section 10.1.4 even requires a sender of TE to nominate it.
bool IsProtectedFromNomination(std::string_view lower_name) {
  static constexpr std::string_view kNames[] = {"host", "forwarded", "x-real-ip", "x-request-id",
                                                "via"};
  for (std::string_view n : kNames) {
    if (lower_name == n) return true;
  }
  return lower_name.starts_with("x-forwarded-");
}

void AppendVia(HeaderMap& headers, std::string_view via) {
  if (via.empty()) return;
  std::string value;
  if (const std::string* existing = headers.Get("via")) {
    value = *existing;
    value += ", ";
  }
  value += "1.1 ";
  value += via;
  headers.Set("via", value);
}

}  // namespace

void RemoveHopByHopHeaders(HeaderMap& headers) {
  // Headers named by Connection are hop-by-hop too; collect them before removing anything.
  std::vector<std::string> named;
  for (const HeaderField& field : headers) {
    if (field.name != "connection") continue;
    ForEachListElement(field.value, [&named](std::string_view item) {
      // "keep-alive" and "close", by far the most common, name nothing to remove beyond
      // what is hop-by-hop anyway; skipping them keeps this allocation-free.
      if (EqualsIgnoreCase(item, "keep-alive") || EqualsIgnoreCase(item, "close")) return;
      std::string lower(item);
      LowerInPlace(lower);
      if (IsProtectedFromNomination(lower)) return;
      named.push_back(std::move(lower));
    });
  }
  headers.RemoveIf([&named](const HeaderField& field) {
    if (IsHopByHopName(field.name)) return true;
    for (const std::string& n : named) {
      if (field.name == n) return true;
    }
    return false;
  });
}

void RemoveForbiddenTrailers(HeaderMap& trailers) {
  trailers.RemoveIf([](const HeaderField& field) {
    const std::string_view name = field.name;
    return IsHopByHopName(name) || name.starts_with(':') || name == "host" ||
           name == "content-encoding" || name == "content-type" || name == "content-range";
  });
}

bool ClientWantsClose(const HeaderMap& headers, int version) {
  bool close = false;
  bool keep_alive = false;
  for (const HeaderField& field : headers) {
    if (field.name != "connection") continue;
    ForEachListElement(field.value, [&](std::string_view item) {
      close = close || EqualsIgnoreCase(item, "close");
      keep_alive = keep_alive || EqualsIgnoreCase(item, "keep-alive");
    });
  }
  return close || (version < 11 && !keep_alive);
}

bool WantsWebSocketUpgrade(const HeaderMap& headers, std::string_view method, int version) {
  if (method != "GET" || version < 11) return false;
  bool upgrade_token = false;
  bool websocket = false;
  for (const HeaderField& field : headers) {
    if (field.name == "connection") {
      ForEachListElement(field.value, [&](std::string_view item) {
        upgrade_token = upgrade_token || EqualsIgnoreCase(item, "upgrade");
      });
    } else if (field.name == "upgrade") {
      // A list of protocol[/version] tokens: "websocket", "WebSocket/13".
      ForEachListElement(field.value, [&](std::string_view item) {
        const std::string_view name = item.substr(0, item.find('/'));
        websocket = websocket || EqualsIgnoreCase(name, "websocket");
      });
    }
  }
  return upgrade_token && websocket;
}

void PrepareUpstreamRequestHeaders(HeaderMap& headers, const ForwardingInfo& info) {
  RemoveHopByHopHeaders(headers);
  // Several incoming X-Forwarded-For fields are one list: joined into the first, in place
  // (a warm header map then allocates nothing), and the client appended.
  if (std::string* forwarded_for = headers.GetMutable("x-forwarded-for")) {
    bool first = true;
    headers.RemoveIf([&](const HeaderField& field) {
      if (field.name != "x-forwarded-for") return false;
      if (first) {
        first = false;
        return false;
      }
      forwarded_for->append(", ").append(field.value);
      return true;
    });
    forwarded_for->append(", ").append(info.client_ip);
  } else {
    headers.Add("x-forwarded-for", info.client_ip);
  }
  headers.Set("x-forwarded-proto", info.scheme);
  if (const std::string* host = headers.Get("host")) {
    const std::string value = *host;  // Set may move the field `host` points to
    headers.Set("x-forwarded-host", value);
  }
  AppendVia(headers, info.via);
}

void PrepareDownstreamResponseHeaders(HeaderMap& headers, std::string_view via) {
  RemoveHopByHopHeaders(headers);
  AppendVia(headers, via);
}

}  // namespace switchyard::http
