// AdminServer::Handle's routing: readiness and liveness with their reasons, POST /drain
// and the token rule. (The socket side is covered by tests/integration:admin_port_test.)
#include "common/admin/admin_server.h"

#include <string>

#include "common/sha256.h"
#include "gtest/gtest.h"

namespace switchyard::admin {
namespace {

TEST(AdminServerTest, ReadyAndLiveAnswer503WithTheReason) {
  std::string not_ready = "no snapshot yet";
  std::string not_live;
  const AdminServer server(
      {.not_ready_reason = [&] { return not_ready; }, .not_live_reason = [&] { return not_live; }});
  AdminServer::Reply reply = server.Handle("GET", "/ready", "");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body, "not ready: no snapshot yet\n");
  EXPECT_EQ(server.Handle("GET", "/live", "").status, 200);

  not_ready = "";
  not_live = "worker 1 has not turned for 12 s";
  EXPECT_EQ(server.Handle("GET", "/ready?verbose", "").status, 200);
  reply = server.Handle("GET", "/live", "");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body, "not live: worker 1 has not turned for 12 s\n");
}

TEST(AdminServerTest, UnsetReadinessAndLivenessMeanYes) {
  const AdminServer server({});
  EXPECT_EQ(server.Handle("GET", "/ready", "").status, 200);
  EXPECT_EQ(server.Handle("GET", "/live", "").status, 200);
  EXPECT_EQ(server.Handle("GET", "/healthz", "").status, 200);
  // No drain handler: the path does not exist.
  EXPECT_EQ(server.Handle("POST", "/drain", "").status, 405);
  EXPECT_EQ(server.Handle("GET", "/drain", "").status, 404);
}

TEST(AdminServerTest, DrainNeedsPostAndTheToken) {
  int drains = 0;
  const std::string token = "syt_secret";
  const AdminServer server({.drain = [&] { ++drains; }, .token_sha256 = Sha256Hex(token)});
  EXPECT_EQ(server.Handle("GET", "/drain", "Bearer " + token).status, 405);
  EXPECT_EQ(server.Handle("POST", "/drain", "").status, 401);
  EXPECT_EQ(server.Handle("POST", "/drain", "Bearer wrong").status, 401);
  EXPECT_EQ(drains, 0);
  EXPECT_EQ(server.Handle("POST", "/drain", "Bearer " + token).status, 202);
  EXPECT_EQ(drains, 1);
  // Probes stay open without the token; the rest does not.
  EXPECT_EQ(server.Handle("GET", "/live", "").status, 200);
  EXPECT_EQ(server.Handle("GET", "/stats", "").status, 401);
  // Other writes are refused.
  EXPECT_EQ(server.Handle("POST", "/ready", "Bearer " + token).status, 405);
}

TEST(AdminServerTest, UnknownPathsListWhatExists) {
  const AdminServer server({.metrics_text = [] { return std::string(); }, .drain = [] {}});
  const AdminServer::Reply reply = server.Handle("GET", "/nope", "");
  EXPECT_EQ(reply.status, 404);
  EXPECT_NE(reply.body.find("/metrics"), std::string::npos);
  EXPECT_NE(reply.body.find("POST /drain"), std::string::npos);
  EXPECT_EQ(reply.body.find("/config_dump"), std::string::npos);
}

}  // namespace
}  // namespace switchyard::admin
