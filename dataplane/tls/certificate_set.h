// The certificates a proxy serves to TLS clients, compiled from a snapshot's
// `certificates:` (switchyard.v1.Certificate; docs/tls.md) into one OpenSSL server
// context (SSL_CTX) per certificate. Built off the request path when a snapshot is
// compiled (runtime::RuntimeConfig) or a certificate file changes, then immutable and
// shared by every worker through a shared_ptr<const CertificateSet>.
//
// Every context has the same settings: TLS 1.2 and 1.3 only; Mozilla's "intermediate"
// profile (TLS 1.2: ECDHE with AES-GCM or CHACHA20-POLY1305 only; TLS 1.3: OpenSSL's
// default suites; groups X25519, P-256, P-384; the client's cipher preference; no
// renegotiation); ALPN choosing "h2" over "http/1.1" (a client offering neither gets no
// ALPN, which means HTTP/1.1); no server-side session cache, stateless session tickets
// with the process-wide TicketKeys instead; SSL_MODE_RELEASE_BUFFERS,
// ENABLE_PARTIAL_WRITE and ACCEPT_MOVING_WRITE_BUFFER for the non-blocking I/O layer.
//
// SNI picks the certificate as soon as the ClientHello arrives (before any session is
// considered for resumption), with the precedence of virtual hosts
// (dataplane/router/domain_index.h): an exact domain (case-insensitive, trailing dot
// ignored) first, then the longest matching "*.suffix" (at least one label before the
// suffix: "*.example.com" covers "a.example.com" and "a.b.example.com", not
// "example.com"), then "*". A handshake without SNI, or whose name no certificate covers,
// gets the default certificate (the one marked default_certificate, else the first).
//
// A certificate with client_certificates OPTIONAL or REQUIRED asks clients for a
// certificate that chains to its CA certificates (ca_pem, or ca_file read with the other
// files) and fails a handshake whose certificate does not verify (or, when REQUIRED, that
// has none). Choosing a certificate carries its context's verify mode over to the
// connection (SSL_set_SSL_CTX alone does not). Such a context has its own session id
// context, derived from its name, mode and CA certificates, so a session made elsewhere
// (without a client certificate, or under another CA) is never resumed on it.
//
// A new set serves new handshakes only: an SSL made by NewSsl holds its set until
// SSL_free, so open connections keep theirs across a swap.
//
// Thread-safe once built: NewSsl, Chosen, Find and AnyCovers may run on any thread.
#ifndef SWITCHYARD_DATAPLANE_TLS_CERTIFICATE_SET_H_
#define SWITCHYARD_DATAPLANE_TLS_CERTIFICATE_SET_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dataplane/router/domain_index.h"
#include "dataplane/tls/key_material.h"
#include "dataplane/tls/ticket_keys.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "switchyard/config/certificate_pem.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::tls {

// One certificate of a set, loaded.
struct ServedCertificate {
  std::string name;
  // As configured.
  std::vector<std::string> domains;
  // The leaf's validity period, for the expiry metric.
  absl::Time not_before;
  absl::Time not_after;
  bool is_default = false;
  // The server context holding this chain and key.
  SslCtxPtr ctx;
  // The leaf, to recognise the same certificate in the next set.
  config::X509Ptr leaf;
  // `domains`, for Covers.
  router::DomainIndex index;
  // Client certificates asked for on this certificate's connections (docs/tls.md,
  // "Client certificates"), and whether their verified identity goes upstream.
  v1::ClientCertificates::Mode client_mode = v1::ClientCertificates::OFF;
  bool forward_client_identity = false;

  // Whether one of `domains` covers `host` (a host name without port; any case), by
  // itself: an exact domain, a "*.suffix" wildcard, or "*".
  bool Covers(std::string_view host) const;
};

class CertificateSet : public std::enable_shared_from_this<CertificateSet> {
 public:
  struct BuildOptions {
    // The set being replaced. A certificate with the same name and the same leaf there was
    // accepted already, so it is not refused for being outside its validity period: a
    // certificate that expires must not block every later change (its expiry shows in the
    // metric instead). Null: every certificate must be valid at `now`.
    const CertificateSet* previous = nullptr;
    // Every certificate was served before (the snapshot cache a proxy boots from after a
    // restart): none is refused for its validity period either.
    bool served_before = false;
    // The inline certificates' validity periods were judged already, by the control
    // plane's validation (which lets through those applied before they expired): only
    // certificates from files are judged here.
    bool inline_dates_judged = false;
    // When validity is judged; InfinitePast means absl::Now().
    absl::Time now = absl::InfinitePast();
    // The ticket keys installed on every context; null: TicketKeys::Process(). They must
    // outlive the set and every SSL made from it.
    TicketKeys* ticket_keys = nullptr;
  };

  // Loads every certificate: inline PEM, or cert_file/key_file read now (at most
  // config::kMaxCertificatePemBytes each). The input should have passed validation
  // (config::ValidationErrors), which explains problems better; this checks again what
  // loading needs. INVALID_ARGUMENT listing every problem ("; "-joined), each naming the
  // field: "certificates[api].cert_file: cannot read /etc/tls/api.pem: No such file or
  // directory", "certificates[api].key_file: does not match the certificate's public key
  // (cert_file /etc/tls/api.pem)", "certificates[api].cert_pem: the certificate expired
  // at ...". An empty list builds an empty set.
  static absl::StatusOr<std::shared_ptr<const CertificateSet>> Build(
      const google::protobuf::RepeatedPtrField<v1::Certificate>& certificates,
      const BuildOptions& options);
  static absl::StatusOr<std::shared_ptr<const CertificateSet>> Build(
      const google::protobuf::RepeatedPtrField<v1::Certificate>& certificates) {
    return Build(certificates, BuildOptions{});
  }

  CertificateSet(const CertificateSet&) = delete;
  CertificateSet& operator=(const CertificateSet&) = delete;
  ~CertificateSet();

  bool empty() const { return certificates_.empty(); }

  // A new server-side SSL for one accepted connection (the caller owns it and frees it
  // with SSL_free), starting on the default certificate; the SNI callback may switch it
  // during the handshake. It holds a reference to this set until freed, so the caller
  // need not keep the set alive. Null when empty() or OpenSSL is out of memory.
  SSL* NewSsl() const;

  // The certificate the handshake of `ssl` chose (the default until SNI switched it), or
  // null for an SSL not made by NewSsl. Valid while `ssl` lives.
  static const ServedCertificate* Chosen(const SSL* ssl);

  // The certificate for server name `host` (SNI; any case, no port), the default when no
  // certificate covers it. Null only when empty().
  const ServedCertificate* Find(std::string_view host) const;

  // Whether some certificate covers `host` (a host without port), the default aside: for
  // telling whether a request's Host matches the certificate its connection got.
  bool AnyCovers(std::string_view host) const;

  // In snapshot order, for the expiry metric.
  const std::vector<std::unique_ptr<ServedCertificate>>& certificates() const {
    return certificates_;
  }
  const ServedCertificate* default_certificate() const { return default_; }

 private:
  CertificateSet() = default;

  // The index of the certificate covering lower-cased `host`, or -1.
  // The index of the certificate covering `host`, or -1.
  int FindIndex(std::string_view host) const;
  // The host_name of the ClientHello's server_name extension, or empty when there is none
  // or it is malformed. Only inside ClientHelloCallback.
  static std::string_view ServerName(SSL* ssl);
  // Picks the certificate for the ClientHello's SNI.
  static int ClientHelloCallback(SSL* ssl, int* alert, void* arg);
  static int ServerNameCallback(SSL* ssl, int* alert, void* arg);

  std::vector<std::unique_ptr<ServedCertificate>> certificates_;
  const ServedCertificate* default_ = nullptr;
  // Every certificate's domains, to its index.
  router::DomainIndex domains_;
};

}  // namespace switchyard::tls

#endif  // SWITCHYARD_DATAPLANE_TLS_CERTIFICATE_SET_H_
