// Session-ticket keys for TLS resumption, held in memory only and rotated: a client that
// resumes skips the certificate signature and key exchange of a full handshake.
//
// Tickets are stateless: the server encrypts the session into the ticket
// (AES-256-CBC + HMAC-SHA256, the RFC 5077 layout OpenSSL uses) and keeps no session
// cache. A new key encrypts tickets every rotation_interval (1 hour by default); the
// previous `previous_keys` (2) still decrypt, so a ticket is accepted for at most
// (previous_keys + 1) intervals and one made with an older key is renewed when used.
// Keys come from RAND_bytes and never touch the disk, so a restart invalidates every
// ticket (clients fall back to a full handshake) and a leaked disk leaks no past sessions.
//
// One object serves the whole process (Process()) and is installed on every SSL_CTX, so
// resumption survives a configuration swap: a ticket issued under one CertificateSet is
// accepted by the next. Rotation is lazy: checked against the clock whenever a ticket is
// made or opened, so there is no timer thread.
//
// Thread-safe: many worker threads run handshakes at once.
#ifndef SWITCHYARD_DATAPLANE_TLS_TICKET_KEYS_H_
#define SWITCHYARD_DATAPLANE_TLS_TICKET_KEYS_H_

#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/sync/mutex.h"

namespace switchyard::tls {

class TicketKeys {
 public:
  struct Options {
    // How long one key encrypts new tickets.
    absl::Duration rotation_interval = absl::Hours(1);
    // How many keys before the current one still decrypt.
    int previous_keys = 2;
    // The time source; null: absl::Now. Tests pass a fake clock.
    std::function<absl::Time()> clock;
  };

  // The process-wide keys (default Options), created on first use and never destroyed,
  // so that no SSL_CTX can outlive them.
  static TicketKeys& Process();

  explicit TicketKeys(Options options);
  TicketKeys(const TicketKeys&) = delete;
  TicketKeys& operator=(const TicketKeys&) = delete;
  ~TicketKeys();

  // Makes `ctx` encrypt and decrypt its tickets with these keys and sets its session
  // lifetime to what the keys honour. This object must outlive `ctx` (and every SSL
  // made from it).
  void InstallOn(SSL_CTX* ctx);

  // Starts a new current key now; the oldest beyond previous_keys is forgotten.
  void Rotate();

  // Keys held (current + previous), for tests and the admin page.
  size_t size() const;

  // How long a ticket stays usable at most.
  absl::Duration ticket_lifetime() const {
    return options_.rotation_interval * (options_.previous_keys + 1);
  }

 private:
  struct Key {
    std::array<unsigned char, 16> name;
    std::array<unsigned char, 32> aes_key;
    std::array<unsigned char, 32> hmac_key;
    absl::Time created;
  };

  // OpenSSL's SSL_CTX_set_tlsext_ticket_key_evp_cb callback.
  static int TicketCallback(SSL* ssl, unsigned char* key_name, unsigned char* iv,
                            EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt);

  absl::Time Now() const;
  // Rotates as often as the clock says is due.
  void RotateIfDue(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddKey(absl::Time created) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The key that encrypts new tickets now.
  Key CurrentKey();
  // The key named `name`: 1 the current key, 2 an older one (renew the ticket), 0 none.
  int FindKey(const unsigned char* name, Key* out);

  const Options options_;
  mutable sync::Mutex mu_;
  std::deque<Key> keys_ ABSL_GUARDED_BY(mu_);  // newest first
};

}  // namespace switchyard::tls

#endif  // SWITCHYARD_DATAPLANE_TLS_TICKET_KEYS_H_
