#include "dataplane/tls/ticket_keys.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "dataplane/tls/certificate_set.h"
#include "dataplane/tls/testing/memory_handshake.h"
#include "dataplane/tls/testing/test_certificates.h"
#include "gtest/gtest.h"

namespace switchyard::tls {
namespace {

using testing::Handshake;
using testing::HandshakeResult;

class TicketKeysTest : public ::testing::Test {
 protected:
  TicketKeysTest()
      : keys_({.clock = [this] {
          std::lock_guard<std::mutex> lock(clock_mu_);
          return now_;
        }}) {
    const testing::TestCertificate cert = testing::SelfSignedFor({"api.test"});
    v1::Certificate* c = certificates_.Add();
    c->set_name("api");
    c->add_domains("api.test");
    c->set_cert_pem(cert.cert_pem);
    c->set_key_pem(cert.key_pem);
  }

  std::shared_ptr<const CertificateSet> NewSet() {
    auto set = CertificateSet::Build(certificates_, {.ticket_keys = &keys_});
    EXPECT_TRUE(set.ok()) << set.status();
    return set.ok() ? *set : nullptr;
  }

  void Advance(absl::Duration d) {
    std::lock_guard<std::mutex> lock(clock_mu_);
    now_ += d;
  }

  // A full handshake's session, with its ticket.
  std::unique_ptr<SSL_SESSION, testing::SslSessionFree> NewSession(int max_version = 0) {
    HandshakeResult first = Handshake(NewSet()->NewSsl(), {.max_version = max_version});
    EXPECT_TRUE(first.ok) << first.server_error;
    EXPECT_FALSE(first.resumed);
    return std::move(first.session);
  }

  bool Resumes(SSL_SESSION* session, int max_version = 0) {
    HandshakeResult again =
        Handshake(NewSet()->NewSsl(), {.max_version = max_version, .session = session});
    EXPECT_TRUE(again.ok) << again.server_error;  // a refused ticket means a full handshake
    return again.ok && again.resumed;
  }

  std::mutex clock_mu_;
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  TicketKeys keys_;
  google::protobuf::RepeatedPtrField<v1::Certificate> certificates_;
};

TEST_F(TicketKeysTest, ResumptionSurvivesANewCertificateSet) {
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    auto session = NewSession(version);
    ASSERT_NE(session, nullptr);
    // Resumes() builds a set of its own: new SSL_CTXs, the same keys.
    EXPECT_TRUE(Resumes(session.get(), version)) << "version " << version;
  }
}

TEST_F(TicketKeysTest, AnotherProcessKeysDoNotDecrypt) {
  auto session = NewSession();
  // A set with other keys (as after a restart) cannot open the ticket: full handshake.
  TicketKeys other({});
  auto set = CertificateSet::Build(certificates_, {.ticket_keys = &other});
  ASSERT_TRUE(set.ok());
  HandshakeResult again = Handshake((*set)->NewSsl(), {.session = session.get()});
  ASSERT_TRUE(again.ok) << again.server_error;
  EXPECT_FALSE(again.resumed);
}

TEST_F(TicketKeysTest, TwoPreviousKeysStillDecryptAThirdRotationRetiresIt) {
  auto session = NewSession();
  keys_.Rotate();
  keys_.Rotate();
  EXPECT_EQ(keys_.size(), 3u);
  EXPECT_TRUE(Resumes(session.get()));
  keys_.Rotate();
  EXPECT_EQ(keys_.size(), 3u);
  EXPECT_FALSE(Resumes(session.get()));
}

TEST_F(TicketKeysTest, TheClockRotatesHourly) {
  auto session = NewSession();
  EXPECT_EQ(keys_.size(), 1u);
  Advance(absl::Minutes(59));
  EXPECT_TRUE(Resumes(session.get()));
  EXPECT_EQ(keys_.size(), 1u);
  Advance(absl::Minutes(2));
  EXPECT_TRUE(Resumes(session.get()));  // now under a previous key
  EXPECT_EQ(keys_.size(), 2u);
  // Hours without a handshake: the old key is gone at once, not one rotation per use.
  Advance(absl::Hours(5));
  EXPECT_FALSE(Resumes(session.get()));
  EXPECT_EQ(keys_.size(), 3u);
  EXPECT_EQ(keys_.ticket_lifetime(), absl::Hours(3));
}

TEST_F(TicketKeysTest, ConcurrentHandshakesWhileRotating) {
  auto session = NewSession();
  auto set = NewSet();
  std::atomic<bool> stop{false};
  std::atomic<int> handshakes{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 15; ++i) {
        // A fresh full handshake, then its resumption: both ticket paths run.
        HandshakeResult full = Handshake(set->NewSsl(), {});
        if (!full.ok) continue;
        // Resumed or not (the rotator may have retired the key already), it must succeed.
        HandshakeResult resumed = Handshake(set->NewSsl(), {.session = full.session.get()});
        if (resumed.ok) handshakes.fetch_add(1);
      }
    });
  }
  std::thread rotator([&] {
    while (!stop.load()) {
      keys_.Rotate();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  for (std::thread& t : threads) t.join();
  stop = true;
  rotator.join();
  EXPECT_EQ(handshakes.load(), 60);
}

}  // namespace
}  // namespace switchyard::tls
