#include "dataplane/upstream/connection_pool.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace switchyard::upstream {

bool UpstreamConnection::IdleLooksUsable() {
  if (tls != nullptr) return tls->IdleLooksUsable();
  char byte;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

ConnectionPool::~ConnectionPool() {
  for (auto& [key, per_key] : keys_) {
    for (auto& connection : per_key.idle) Close(*connection);
    // A shared connection's reader and writer hold it: closing ends them.
    for (auto& connection : per_key.multiplexed) Close(*connection);
  }
}

void ConnectionPool::Close(UpstreamConnection& connection) {
  if (connection.tls != nullptr) connection.tls->Close();  // close_notify, if it fits now
  boost::system::error_code ignored;
  connection.socket.close(ignored);
}

std::shared_ptr<UpstreamConnection> ConnectionPool::Acquire(std::string_view key,
                                                            time::MonotonicTime now,
                                                            bool verify_open) {
  auto it = keys_.find(absl::string_view(key.data(), key.size()));
  if (it == keys_.end()) return nullptr;
  PerKey& per_key = it->second;
  auto& multiplexed = per_key.multiplexed;
  for (size_t i = 0; i < multiplexed.size();) {
    const std::shared_ptr<UpstreamConnection>& connection = multiplexed[i];
    if (!connection->AcceptsNewStreams()) {
      // Going away: its open streams finish; once none is left it is closed.
      if (connection->active_streams_ == 0) {
        Close(*connection);
        multiplexed.erase(multiplexed.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
    } else if (connection->active_streams_ < connection->max_streams_) {
      ++connection->active_streams_;
      connection->reused = true;
      return connection;
    }
    ++i;
  }
  auto& idle = per_key.idle;
  while (!idle.empty()) {
    std::shared_ptr<UpstreamConnection> connection = std::move(idle.back());
    idle.pop_back();
    if (now - connection->idle_since_ <= max_idle_time_ &&
        (!verify_open || connection->IdleLooksUsable())) {
      connection->reused = true;
      connection->active_streams_ = 1;
      return connection;
    }
    Close(*connection);
  }
  return nullptr;
}

void ConnectionPool::AddMultiplexed(std::string_view key,
                                    std::shared_ptr<UpstreamConnection> connection) {
  connection->active_streams_ = 1;
  keys_[absl::string_view(key.data(), key.size())].multiplexed.push_back(std::move(connection));
}

void ConnectionPool::Release(std::string_view key, std::shared_ptr<UpstreamConnection> connection,
                             bool reusable, uint32_t max_idle, time::MonotonicTime now) {
  if (connection->active_streams_ > 0) --connection->active_streams_;
  connection->idle_since_ = now;
  if (connection->multiplexed()) {
    if (reusable && connection->AcceptsNewStreams()) return;  // still in the pool's list
    auto it = keys_.find(absl::string_view(key.data(), key.size()));
    if (it != keys_.end()) std::erase(it->second.multiplexed, connection);
    if (connection->active_streams_ == 0) Close(*connection);
    return;
  }
  if (!reusable) {
    Close(*connection);
    return;
  }
  auto& idle = keys_[absl::string_view(key.data(), key.size())].idle;
  if (idle.size() >= max_idle) {
    Close(*connection);
    return;
  }
  idle.push_back(std::move(connection));
}

void ConnectionPool::Sweep(time::MonotonicTime now) {
  for (auto it = keys_.begin(); it != keys_.end();) {
    PerKey& per_key = it->second;
    // Oldest first: the back of `idle` is the most recently released.
    auto& idle = per_key.idle;
    size_t expired = 0;
    while (expired < idle.size() && now - idle[expired]->idle_since_ > max_idle_time_) {
      Close(*idle[expired]);
      ++expired;
    }
    idle.erase(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(expired));
    std::erase_if(per_key.multiplexed, [&](const std::shared_ptr<UpstreamConnection>& c) {
      if (c->active_streams_ > 0 || now - c->idle_since_ <= max_idle_time_) return false;
      Close(*c);
      return true;
    });
    if (idle.empty() && per_key.multiplexed.empty()) {
      keys_.erase(it++);
    } else {
      ++it;
    }
  }
}

void ConnectionPool::RetainOnly(absl::FunctionRef<bool(std::string_view)> keep) {
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (keep(it->first)) {
      ++it;
      continue;
    }
    for (auto& connection : it->second.idle) Close(*connection);
    for (auto& connection : it->second.multiplexed) {
      if (connection->active_streams_ == 0) Close(*connection);
    }
    keys_.erase(it++);
  }
}

size_t ConnectionPool::idle_count() const {
  size_t n = 0;
  for (const auto& [key, per_key] : keys_) n += per_key.idle.size();
  return n;
}

}  // namespace switchyard::upstream
