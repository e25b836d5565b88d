#include "dataplane/tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/time/clock.h"
#include "common/log.h"

namespace switchyard::tls {
namespace {

// Where each SSL_CTX keeps its TicketKeys*, for the callback.
int CtxIndex() {
  static const int kIndex = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return kIndex;
}

void Cleanse(std::array<unsigned char, 32>& bytes) { OPENSSL_cleanse(bytes.data(), bytes.size()); }

// AES-256-CBC, fetched once: EVP_aes_256_cbc() is looked up by name in the provider store
// at every EVP_EncryptInit_ex (OpenSSL 3's implicit fetch), and a handshake makes a ticket.
const EVP_CIPHER* TicketCipher() {
  static const EVP_CIPHER* const kCipher = [] {
    const EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
    return fetched != nullptr ? fetched : EVP_aes_256_cbc();
  }();
  return kCipher;
}

}  // namespace

TicketKeys& TicketKeys::Process() {
  // Leaked on purpose: SSL_CTXs freed during static destruction may still point here.
  static TicketKeys* const kKeys = new TicketKeys(Options{});
  return *kKeys;
}

TicketKeys::TicketKeys(Options options) : options_(std::move(options)) {
  sync::MutexLock lock(&mu_);
  AddKey(Now());
}

TicketKeys::~TicketKeys() {
  sync::MutexLock lock(&mu_);
  for (Key& key : keys_) {
    Cleanse(key.aes_key);
    Cleanse(key.hmac_key);
  }
}

absl::Time TicketKeys::Now() const { return options_.clock ? options_.clock() : absl::Now(); }

void TicketKeys::AddKey(absl::Time created) {
  Key key;
  key.created = created;
  if (RAND_bytes(key.name.data(), key.name.size()) != 1 ||
      RAND_bytes(key.aes_key.data(), key.aes_key.size()) != 1 ||
      RAND_bytes(key.hmac_key.data(), key.hmac_key.size()) != 1) {
    // A predictable key would let anyone forge sessions; without a random source the
    // process cannot serve TLS safely at all.
    LogError("RAND_bytes failed: cannot make a session-ticket key");
    std::abort();
  }
  keys_.push_front(key);
  while (keys_.size() > static_cast<size_t>(options_.previous_keys) + 1) {
    Cleanse(keys_.back().aes_key);
    Cleanse(keys_.back().hmac_key);
    keys_.pop_back();
  }
}

void TicketKeys::RotateIfDue(absl::Time now) {
  const absl::Duration age = now - keys_.front().created;
  if (age < options_.rotation_interval) return;
  // Keys for the intervals that passed without a handshake are made too (and never used
  // to encrypt), so that a ticket is never honoured longer than ticket_lifetime().
  absl::Duration remainder;
  const int64_t due = std::min<int64_t>(
      absl::IDivDuration(age, options_.rotation_interval, &remainder), options_.previous_keys + 1);
  for (int64_t i = 0; i < due; ++i) AddKey(now);
}

void TicketKeys::Rotate() {
  sync::MutexLock lock(&mu_);
  AddKey(Now());
}

size_t TicketKeys::size() const {
  sync::MutexLock lock(&mu_);
  return keys_.size();
}

TicketKeys::Key TicketKeys::CurrentKey() {
  const absl::Time now = Now();
  sync::MutexLock lock(&mu_);
  RotateIfDue(now);
  return keys_.front();
}

int TicketKeys::FindKey(const unsigned char* name, Key* out) {
  const absl::Time now = Now();
  sync::MutexLock lock(&mu_);
  RotateIfDue(now);
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (std::memcmp(keys_[i].name.data(), name, keys_[i].name.size()) == 0) {
      *out = keys_[i];
      return i == 0 ? 1 : 2;
    }
  }
  return 0;
}

void TicketKeys::InstallOn(SSL_CTX* ctx) {
  SSL_CTX_set_ex_data(ctx, CtxIndex(), this);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &TicketKeys::TicketCallback);
  SSL_CTX_set_timeout(ctx, absl::ToInt64Seconds(ticket_lifetime()));
}

int TicketKeys::TicketCallback(SSL* ssl, unsigned char* key_name, unsigned char* iv,
                               EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt) {
  // OpenSSL calls this on the session context, which may differ from the SSL's current
  // context after SNI switched it; every context of a set carries the same keys.
  auto* self = static_cast<TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), CtxIndex()));
  if (self == nullptr) return 0;  // no keys: no ticket, or a full handshake
  Key key;
  int result = 1;
  if (encrypt) {
    key = self->CurrentKey();
    if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(TicketCipher())) != 1) return -1;
    std::memcpy(key_name, key.name.data(), key.name.size());
    if (EVP_EncryptInit_ex(cipher, TicketCipher(), nullptr, key.aes_key.data(), iv) != 1) {
      result = -1;
    }
  } else {
    result = self->FindKey(key_name, &key);
    if (result == 0) return 0;  // unknown or retired key: a full handshake
    if (EVP_DecryptInit_ex(cipher, TicketCipher(), nullptr, key.aes_key.data(), iv) != 1) {
      result = -1;
    }
  }
  if (result != -1) {
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmac_key.data(),
                                          key.hmac_key.size()),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_CTX_set_params(mac, params) != 1) result = -1;
  }
  Cleanse(key.aes_key);
  Cleanse(key.hmac_key);
  return result;
}

}  // namespace switchyard::tls
