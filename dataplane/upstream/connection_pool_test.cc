#include "dataplane/upstream/connection_pool.h"

#include <memory>
#include <utility>

#include "boost/asio/io_context.hpp"
#include "boost/asio/write.hpp"
#include "gtest/gtest.h"

namespace switchyard::upstream {
namespace {

using std::chrono::seconds;

class ConnectionPoolTest : public ::testing::Test {
 protected:
  // A connected socket pair, so connections look like real idle upstream connections.
  std::shared_ptr<UpstreamConnection> Connected(uint32_t max_streams = 1) {
    auto connection = std::make_shared<UpstreamConnection>(io_.get_executor(), max_streams);
    io::Acceptor acceptor(io_.get_executor(), {boost::asio::ip::make_address("127.0.0.1"), 0});
    connection->socket.connect(acceptor.local_endpoint());
    peers_.push_back(std::make_unique<io::Socket>(acceptor.accept()));
    return connection;
  }

  boost::asio::io_context io_;
  std::vector<std::unique_ptr<io::Socket>> peers_;
  time::MonotonicTime now_{seconds(1000)};
};

TEST_F(ConnectionPoolTest, ReusesReleasedConnectionsMostRecentFirst) {
  ConnectionPool pool(seconds(30));
  auto first = Connected();
  auto second = Connected();
  UpstreamConnection* second_raw = second.get();
  pool.Release("k", std::move(first), true, 1024, now_);
  pool.Release("k", std::move(second), true, 1024, now_);
  EXPECT_EQ(pool.idle_count(), 2u);
  auto taken = pool.Acquire("k", now_, /*verify_open=*/true);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken.get(), second_raw);
  EXPECT_TRUE(taken->reused);
  EXPECT_EQ(pool.Acquire("other", now_, true), nullptr);
}

TEST_F(ConnectionPoolTest, KeepsWhatTrafficNeedsUpToTheLimit) {
  ConnectionPool pool(seconds(30));
  for (int i = 0; i < 5; ++i) pool.Release("k", Connected(), true, 3, now_);
  EXPECT_EQ(pool.idle_count(), 3u);
  pool.Release("k", Connected(), /*reusable=*/false, 1024, now_);
  EXPECT_EQ(pool.idle_count(), 3u);
}

TEST_F(ConnectionPoolTest, SweepClosesExpiredAndForgetsEmptyKeys) {
  ConnectionPool pool(seconds(30));
  auto old_connection = Connected();
  std::weak_ptr<UpstreamConnection> watch = old_connection;
  pool.Release("old", std::move(old_connection), true, 1024, now_);
  pool.Release("fresh", Connected(), true, 1024, now_ + seconds(20));
  pool.Sweep(now_ + seconds(31));
  EXPECT_EQ(pool.idle_count(), 1u);
  EXPECT_EQ(pool.key_count(), 1u);
  EXPECT_TRUE(watch.expired());
}

TEST_F(ConnectionPoolTest, RetainOnlyClosesIdleConnectionsOfRemovedEndpoints) {
  ConnectionPool pool(seconds(30));
  pool.Release("removed", Connected(), true, 1024, now_);
  pool.Release("kept", Connected(), true, 1024, now_);
  pool.RetainOnly([](std::string_view key) { return key == "kept"; });
  EXPECT_EQ(pool.key_count(), 1u);
  EXPECT_EQ(pool.Acquire("removed", now_, true), nullptr);
  EXPECT_NE(pool.Acquire("kept", now_, true), nullptr);
  // The peer of the removed connection sees it closed (no CLOSE_WAIT left behind).
  char byte;
  boost::system::error_code ec;
  peers_[0]->read_some(boost::asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, boost::asio::error::eof);
}

TEST_F(ConnectionPoolTest, DropsIdleConnectionsThePeerClosed) {
  ConnectionPool pool(seconds(30));
  pool.Release("k", Connected(), true, 1024, now_);
  peers_[0]->close();
  EXPECT_EQ(pool.Acquire("k", now_, /*verify_open=*/true), nullptr);
}

// A transport that receives bytes while idle (a TLS session ticket) decides itself.
class TicketTolerant final : public UpstreamConnection {
 public:
  using UpstreamConnection::UpstreamConnection;
  bool IdleLooksUsable() override { return true; }
};

TEST_F(ConnectionPoolTest, TransportDecidesWhatIdleBytesMean) {
  ConnectionPool pool(seconds(30));
  auto plain = Connected();
  auto tolerant = std::make_shared<TicketTolerant>(io_.get_executor());
  tolerant->socket = std::move(Connected()->socket);
  pool.Release("plain", std::move(plain), true, 1024, now_);
  pool.Release("tls", std::move(tolerant), true, 1024, now_);
  for (auto& peer : peers_) boost::asio::write(*peer, boost::asio::buffer("x", 1));
  EXPECT_EQ(pool.Acquire("plain", now_, true), nullptr);
  EXPECT_NE(pool.Acquire("tls", now_, true), nullptr);
}

TEST_F(ConnectionPoolTest, MultiplexedConnectionsAreSharedUpToTheirStreams) {
  ConnectionPool pool(seconds(30));
  auto h2 = Connected(/*max_streams=*/2);
  UpstreamConnection* raw = h2.get();
  pool.AddMultiplexed("k", h2);  // the caller's stream counts
  auto second = pool.Acquire("k", now_, false);
  EXPECT_EQ(second.get(), raw);
  EXPECT_EQ(raw->active_streams(), 2u);
  EXPECT_EQ(pool.Acquire("k", now_, false), nullptr);  // full
  pool.Release("k", second, true, 1024, now_);
  EXPECT_EQ(pool.Acquire("k", now_, false).get(), raw);
  // Not reusable any more: handed out no more, closed when its last stream ends.
  pool.Release("k", h2, /*reusable=*/false, 1024, now_);
  EXPECT_EQ(pool.Acquire("k", now_, false), nullptr);
  EXPECT_TRUE(raw->socket.is_open());
  pool.Release("k", h2, false, 1024, now_);
  EXPECT_FALSE(raw->socket.is_open());
}

// A multiplexed connection that can be told it is going away (an HTTP/2 GOAWAY).
class GoingAwayConnection : public UpstreamConnection {
 public:
  using UpstreamConnection::UpstreamConnection;
  bool AcceptsNewStreams() const override { return !going_away; }
  void LowerLimit(uint32_t streams) { set_max_streams(streams); }
  bool going_away = false;
};

TEST_F(ConnectionPoolTest, AGoingAwayConnectionTakesNoStreamAndClosesWhenIdle) {
  ConnectionPool pool(seconds(30));
  auto connection = std::make_shared<GoingAwayConnection>(io_.get_executor(), 10);
  GoingAwayConnection* raw = connection.get();
  connection->socket.open(boost::asio::ip::tcp::v4());
  pool.AddMultiplexed("k", connection);
  EXPECT_EQ(pool.Acquire("k", now_, false).get(), raw);  // a second stream
  raw->going_away = true;
  EXPECT_EQ(pool.Acquire("k", now_, false), nullptr);
  // Its streams finish; the last one's release closes it, and the key is empty.
  pool.Release("k", connection, /*reusable=*/true, 0, now_);
  EXPECT_TRUE(raw->socket.is_open());
  pool.Release("k", connection, /*reusable=*/true, 0, now_);
  EXPECT_FALSE(raw->socket.is_open());
  EXPECT_EQ(pool.Acquire("k", now_, false), nullptr);
}

TEST_F(ConnectionPoolTest, APeerLimitBelowTwoKeepsTheConnectionMultiplexed) {
  ConnectionPool pool(seconds(30));
  auto connection = std::make_shared<GoingAwayConnection>(io_.get_executor(), 100);
  connection->socket.open(boost::asio::ip::tcp::v4());
  pool.AddMultiplexed("k", connection);
  connection->LowerLimit(1);  // SETTINGS_MAX_CONCURRENT_STREAMS = 1
  EXPECT_TRUE(connection->multiplexed());
  EXPECT_EQ(pool.Acquire("k", now_, false), nullptr);  // its one stream is taken
  pool.Release("k", connection, /*reusable=*/true, 0, now_);
  EXPECT_EQ(pool.Acquire("k", now_, false), connection);
  EXPECT_EQ(pool.idle_count(), 0u);  // never among the exclusive idle ones
}

}  // namespace
}  // namespace switchyard::upstream
