#include "dataplane/upstream/connection_pool.h"

#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace switchyard::upstream {
namespace {

// An idle HTTP/1.1 connection must have nothing to read: a zero-byte read means the peer
// closed it, and bytes mean the peer broke the protocol. One non-blocking peek.
bool LooksOpen(UpstreamConnection& connection) {
  char byte;
  const ssize_t n = ::recv(connection.socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::unique_ptr<UpstreamConnection> ConnectionPool::Take(const std::string& key,
                                                         std::chrono::steady_clock::time_point now,
                                                         bool verify_open) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& stack = it->second;
  while (!stack.empty()) {
    std::unique_ptr<UpstreamConnection> connection = std::move(stack.back());
    stack.pop_back();
    if (now - connection->idle_since <= max_idle_time_ &&
        (!verify_open || LooksOpen(*connection))) {
      connection->reused = true;
      return connection;
    }
    boost::system::error_code ignored;
    connection->socket.close(ignored);
  }
  return nullptr;
}

void ConnectionPool::Release(const std::string& key, std::unique_ptr<UpstreamConnection> connection,
                             uint32_t max_idle, std::chrono::steady_clock::time_point now) {
  auto& stack = idle_[key];
  if (stack.size() >= max_idle) {
    boost::system::error_code ignored;
    connection->socket.close(ignored);
    return;
  }
  connection->idle_since = now;
  stack.push_back(std::move(connection));
}

size_t ConnectionPool::idle_count() const {
  size_t n = 0;
  for (const auto& [key, stack] : idle_) n += stack.size();
  return n;
}

}  // namespace switchyard::upstream
