#include "dataplane/http/websocket.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>

#include "absl/strings/escaping.h"

namespace switchyard::http {
namespace {

constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

}  // namespace

std::string NewWebSocketKey() {
  std::array<unsigned char, 16> nonce{};
  // The nonce only has to differ between handshakes (it proves the upstream read this
  // one); should the generator fail, a zero nonce is still a valid key.
  RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(nonce.data()), nonce.size()));
}

std::string WebSocketAccept(std::string_view key) {
  std::string input(key);
  input.append(kAcceptGuid);
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace switchyard::http
