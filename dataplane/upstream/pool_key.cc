#include "dataplane/upstream/pool_key.h"

namespace switchyard::upstream {
namespace {

// Length-prefixed, so no value can forge a separator and collide with another key.
void AppendPart(std::string& out, std::string_view part) {
  out += std::to_string(part.size());
  out += ':';
  out += part;
}

}  // namespace

std::string MakePoolKey(const PoolKeyParts& parts) {
  std::string key;
  switch (parts.protocol) {
    case UpstreamProtocol::kHttp1:
      key = "h1 ";
      break;
    case UpstreamProtocol::kHttp2:
      key = "h2 ";
      break;
  }
  key += parts.address;
  if (parts.tls) {
    key += " tls ";
    AppendPart(key, parts.tls_settings);
  }
  return key;
}

}  // namespace switchyard::upstream
