// Fuzz target: the PROXY protocol parser (dataplane/server/proxy_protocol) fed the way
// Http1Connection feeds it: everything read so far, growing one read at a time.
//
// Invariants checked (beyond "no crash, no sanitizer report"):
//  - a parsed header never claims more bytes than it was given, nor more than the
//    version's limit;
//  - a verdict on a prefix is final: once parsed, absent or invalid, every longer input
//    gets the same verdict (and, parsed, the same header); kNeedMore only ever comes
//    before one of those;
//  - a source address is an address literal.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/server/proxy_protocol.h"
#include "tools/fuzz/fuzz_check.h"

namespace switchyard::server {
namespace {

bool IsAddress(const std::string& text) {
  unsigned char binary[16];
  return ::inet_pton(AF_INET, text.c_str(), binary) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), binary) == 1;
}

}  // namespace
}  // namespace switchyard::server

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using switchyard::server::kMaxProxyV1Bytes;
  using switchyard::server::kMaxProxyV2Bytes;
  using switchyard::server::ParseProxyHeader;
  using switchyard::server::ProxyHeader;
  using switchyard::server::ProxyParse;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  bool decided = false;
  ProxyParse verdict = ProxyParse::kNeedMore;
  ProxyHeader first;
  for (size_t n = 1; n <= input.size(); ++n) {
    ProxyHeader header;
    std::string error;
    const ProxyParse parse = ParseProxyHeader(input.substr(0, n), header, error);
    if (decided) {
      FUZZ_CHECK(parse == verdict);
      if (parse == ProxyParse::kParsed) {
        FUZZ_CHECK(header.length == first.length);
        FUZZ_CHECK(header.source_address == first.source_address);
        FUZZ_CHECK(header.source_port == first.source_port);
      }
      continue;
    }
    if (parse == ProxyParse::kNeedMore) continue;
    decided = true;
    verdict = parse;
    first = header;
    if (parse == ProxyParse::kInvalid) FUZZ_CHECK(!error.empty());
    if (parse == ProxyParse::kParsed) {
      FUZZ_CHECK(header.length > 0 && header.length <= n);
      FUZZ_CHECK(header.length <= (input[0] == 'P' ? kMaxProxyV1Bytes : kMaxProxyV2Bytes));
      FUZZ_CHECK(header.source_address.empty() ||
                 switchyard::server::IsAddress(header.source_address));
    }
  }
  return 0;
}
