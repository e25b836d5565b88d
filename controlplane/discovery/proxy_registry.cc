#include "controlplane/discovery/proxy_registry.h"

#include <algorithm>

#include "google/protobuf/util/time_util.h"

namespace switchyard::controlplane {
namespace {

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

}  // namespace

ProxyRegistry::ProxyRegistry(Options options) : options_(std::move(options)) {}

void ProxyRegistry::Connected(const switchyard::v1::Node& node, uint64_t running_version) {
  const absl::Time now = Now();
  sync::MutexLock lock(&mu_);
  Entry& e = nodes_[node.id()];
  if (e.streams == 0) {
    if (!e.status.node_id().empty()) --disconnected_;  // a known proxy came back
    e.connected_since = now;
  }
  ++e.streams;
  e.last_seen = now;
  e.status.set_node_id(node.id());
  e.status.set_group(node.group());
  *e.status.mutable_labels() = node.labels();
  e.status.set_build_version(node.build_version());
  e.status.set_running_version(running_version);
  PruneLocked(now);
}

void ProxyRegistry::Disconnected(const std::string& node_id) {
  const absl::Time now = Now();
  sync::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end() || it->second.streams == 0) return;
  it->second.last_seen = now;
  if (--it->second.streams == 0) ++disconnected_;
  PruneLocked(now);
}

void ProxyRegistry::Acked(const std::string& node_id, uint64_t version) {
  sync::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return;
  it->second.status.set_running_version(version);
}

void ProxyRegistry::Nacked(const std::string& node_id, uint64_t rejected_version,
                           uint64_t running_version, const std::string& error) {
  const absl::Time now = Now();
  sync::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return;
  Entry& e = it->second;
  e.status.set_running_version(running_version);
  e.status.set_last_rejected_version(rejected_version);
  e.status.set_last_rejected_error(error);
  // Rejected again (a second control plane offered it before it knew): now the newest.
  std::erase_if(e.rejected,
                [&](const RejectedVersion& r) { return r.version == rejected_version; });
  e.rejected.push_back({rejected_version, now});
  while (e.rejected.size() > std::max<size_t>(options_.max_rejections, 1)) e.rejected.pop_front();
}

void ProxyRegistry::RestoreRejections(const std::string& node_id,
                                      const std::vector<Rejection>& stored) {
  sync::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return;
  Entry& e = it->second;
  for (const Rejection& r : stored) {
    auto known = std::find_if(e.rejected.begin(), e.rejected.end(),
                              [&](const RejectedVersion& k) { return k.version == r.version; });
    if (known != e.rejected.end()) {
      if (known->at >= r.time) continue;  // what is known here is as new: keep its error
      e.rejected.erase(known);
    }
    // Kept in time order, so the newest is last whichever side it came from.
    auto at = std::upper_bound(e.rejected.begin(), e.rejected.end(), r.time,
                               [](absl::Time t, const RejectedVersion& k) { return t < k.at; });
    if (at == e.rejected.end()) {
      e.status.set_last_rejected_version(r.version);
      e.status.set_last_rejected_error(r.error);
    }
    e.rejected.insert(at, {r.version, r.time});
  }
  while (e.rejected.size() > std::max<size_t>(options_.max_rejections, 1)) e.rejected.pop_front();
}

bool ProxyRegistry::HasRejected(const std::string& node_id, uint64_t version) const {
  sync::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return false;
  const auto& rejected = it->second.rejected;
  return std::any_of(rejected.begin(), rejected.end(),
                     [&](const RejectedVersion& r) { return r.version == version; });
}

std::vector<switchyard::v1::ProxyStatus> ProxyRegistry::List() {
  const absl::Time now = Now();
  sync::MutexLock lock(&mu_);
  last_prune_ = absl::InfinitePast();  // an exact answer: expire what is due
  PruneLocked(now);
  std::vector<switchyard::v1::ProxyStatus> out;
  out.reserve(nodes_.size());
  for (const auto& [id, e] : nodes_) {
    switchyard::v1::ProxyStatus s = e.status;
    s.set_connected(e.streams > 0);
    *s.mutable_connected_since() = ToProto(e.connected_since);
    *s.mutable_last_seen() = ToProto(e.streams > 0 ? now : e.last_seen);
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.node_id() < b.node_id(); });
  return out;
}

void ProxyRegistry::PruneLocked(absl::Time now) {
  // A full scan; done at most once a minute unless over the limit, so thousands of
  // proxies reconnecting at once do not make it quadratic.
  const bool over_limit = disconnected_ > options_.max_disconnected;
  if (!over_limit && now - last_prune_ < absl::Minutes(1)) return;
  last_prune_ = now;
  const absl::Time cutoff = now - options_.retention;
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    auto current = it++;
    if (current->second.streams == 0 && current->second.last_seen < cutoff) {
      nodes_.erase(current);
      --disconnected_;
    }
  }
  while (disconnected_ > options_.max_disconnected) {
    auto oldest = nodes_.end();
    for (auto it = nodes_.begin(); it != nodes_.end(); ++it) {
      if (it->second.streams == 0 &&
          (oldest == nodes_.end() || it->second.last_seen < oldest->second.last_seen)) {
        oldest = it;
      }
    }
    if (oldest == nodes_.end()) break;
    nodes_.erase(oldest);
    --disconnected_;
  }
}

}  // namespace switchyard::controlplane
