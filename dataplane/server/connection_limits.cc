#include "dataplane/server/connection_limits.h"

#include <functional>
#include <utility>

namespace switchyard::server {

ConnectionLimits::Shard& ConnectionLimits::ShardOf(std::string_view client_ip) {
  return shards_[std::hash<std::string_view>()(client_ip) % shards_.size()];
}

ConnectionLimits::Verdict ConnectionLimits::Admit(std::string_view client_ip) {
  // Accepting is not the request path; one shared counter here is fine.
  if (max_total_ > 0) {
    size_t open = open_.load(std::memory_order_relaxed);
    do {
      if (open >= max_total_) return Verdict::kGlobalLimit;
    } while (!open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed));
  } else {
    open_.fetch_add(1, std::memory_order_relaxed);
  }
  if (max_per_ip_ > 0) {
    Shard& shard = ShardOf(client_ip);
    std::string key(client_ip);
    sync::MutexLock lock(&shard.mu);
    const auto it = shard.open.find(key);
    if (it != shard.open.end() && it->second >= max_per_ip_) {
      open_.fetch_sub(1, std::memory_order_relaxed);
      return Verdict::kPerIpLimit;
    }
    if (it == shard.open.end()) {
      shard.open.emplace(std::move(key), 1);
    } else {
      ++it->second;
    }
  }
  return Verdict::kAdmitted;
}

void ConnectionLimits::Release(std::string_view client_ip) {
  open_.fetch_sub(1, std::memory_order_relaxed);
  if (max_per_ip_ == 0) return;
  Shard& shard = ShardOf(client_ip);
  const std::string key(client_ip);
  sync::MutexLock lock(&shard.mu);
  const auto it = shard.open.find(key);
  if (it == shard.open.end()) return;
  if (--it->second == 0) shard.open.erase(it);
}

size_t ConnectionLimits::tracked_addresses() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    sync::MutexLock lock(&shard.mu);
    total += shard.open.size();
  }
  return total;
}

}  // namespace switchyard::server
