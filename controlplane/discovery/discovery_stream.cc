#include "controlplane/discovery/discovery_stream.h"

#include <cinttypes>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/secure_random.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "switchyard/v1/discovery_status.h"

namespace switchyard::controlplane::internal {
namespace {

// `text` cut to at most `max_bytes` (plus a marker) on a character boundary: it is valid
// UTF-8 (it came in a proto3 string), and must stay so to go out in ProxyStatus.
std::string CutUtf8(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // text[end] is the first byte left out; a continuation byte there means the character
  // it belongs to would be split.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + " [cut]";
}

}  // namespace

bool StreamSet::Add(const std::shared_ptr<DiscoveryStream>& stream) {
  sync::MutexLock lock(&mu_);
  if (closed_) return false;
  streams_[stream.get()] = stream;
  return true;
}

void StreamSet::Remove(const DiscoveryStream* stream) {
  sync::MutexLock lock(&mu_);
  streams_.erase(stream);
}

void StreamSet::CloseAll(const grpc::Status& status) {
  std::vector<std::shared_ptr<DiscoveryStream>> live;
  {
    sync::MutexLock lock(&mu_);
    closed_ = true;
    for (const auto& [key, weak] : streams_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (const auto& s : live) s->Close(status);
}

DiscoveryStream::DiscoveryStream(uint64_t id, std::string peer,
                                 std::optional<std::string> certified_node_id,
                                 size_t max_request_bytes, size_t max_error_bytes, SnapshotHub& hub,
                                 ProxyRegistry& registry, RejectionRecorder& rejections,
                                 DiscoveryCounters& counters, StreamSet& streams)
    : id_(id),
      peer_(std::move(peer)),
      certified_node_id_(std::move(certified_node_id)),
      max_request_bytes_(max_request_bytes),
      max_error_bytes_(max_error_bytes),
      hub_(hub),
      registry_(registry),
      rejections_(rejections),
      counters_(counters),
      streams_(streams) {}

void DiscoveryStream::Start() {
  {
    sync::MutexLock lock(&mu_);
    self_ = shared_from_this();
  }
  if (!streams_.Add(shared_from_this())) {
    Close(grpc::Status(grpc::StatusCode::UNAVAILABLE, v1::kControlPlaneGoingAway));
    return;
  }
  hub_.Subscribe(shared_from_this());
  StartRead(&read_buffer_);
}

void DiscoveryStream::OnReadDone(bool ok) {
  if (!ok) {  // the proxy closed its side, or the call was cancelled
    Close(grpc::Status::OK);
    return;
  }
  if (read_buffer_.Length() > max_request_bytes_) {
    Close(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                       absl::StrCat("DiscoveryRequest of ", read_buffer_.Length(),
                                    " bytes is over the limit of ", max_request_bytes_)));
    return;
  }
  switchyard::v1::DiscoveryRequest request;
  // Deserialize empties the buffer, ready for the next read.
  grpc::Status parsed = grpc::SerializationTraits<switchyard::v1::DiscoveryRequest>::Deserialize(
      &read_buffer_, &request);
  if (!parsed.ok()) {
    Close(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                       "cannot parse DiscoveryRequest: " + parsed.error_message()));
    return;
  }
  if (grpc::Status handled = Handle(request); !handled.ok()) {
    Close(std::move(handled));
    return;
  }
  StartRead(&read_buffer_);
  MaybeSend();
}

grpc::Status DiscoveryStream::Handle(const switchyard::v1::DiscoveryRequest& request) {
  sync::MutexLock lock(&mu_);
  if (!have_node_) {
    const switchyard::v1::Node& node = request.node();
    if (node.id().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "the first DiscoveryRequest must carry node.id");
    }
    // A proxy speaks for the node its certificate names and no other: otherwise one
    // proxy's key could read another's configuration or record NACKs against it.
    if (certified_node_id_.has_value() && node.id() != *certified_node_id_) {
      LogWarning("refusing discovery stream from %s: node.id '%s' but its certificate is for '%s'",
                 peer_.c_str(), node.id().c_str(), certified_node_id_->c_str());
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          absl::StrCat("node.id '", node.id(),
                                       "' is not the node of this "
                                       "client certificate ('",
                                       *certified_node_id_, "')"));
    }
    have_node_ = true;
    node_id_ = node.id();
    running_version_ = request.version();
    registry_.Connected(node, running_version_);
    rejections_.Load(node_id_, [self = shared_from_this()] { self->OnRejectionsLoaded(); });
    LogInfo("proxy %s connected from %s (group '%s', build '%s', stream %" PRIu64
            "), running version %" PRIu64,
            node_id_.c_str(), peer_.c_str(), node.group().c_str(), node.build_version().c_str(),
            id_, running_version_);
    return grpc::Status::OK;
  }
  if (!awaiting_reply_ || request.response_nonce() != outstanding_nonce_) {
    // A reply to nothing we are waiting for (a duplicate, or a confused client): it says
    // nothing about the outstanding response.
    LogDebug("proxy %s: ignoring request with unexpected nonce '%s'", node_id_.c_str(),
             request.response_nonce().c_str());
    return grpc::Status::OK;
  }
  awaiting_reply_ = false;
  // What the proxy runs now, whatever the answer: after a NACK it still runs its old one.
  running_version_ = request.version();
  // A NACK is recognised by its error detail alone, never by comparing versions.
  if (request.has_error_detail()) {
    ++counters_.nacks;
    // Bounded: it is kept in memory and in the store, many times over.
    std::string error = CutUtf8(request.error_detail().message(), max_error_bytes_);
    registry_.Nacked(node_id_, outstanding_version_, running_version_, error);
    LogInfo("proxy %s NACKed version %" PRIu64 " (still runs %" PRIu64 "): %s", node_id_.c_str(),
            outstanding_version_, running_version_, error.c_str());
    Rejection rejection;
    rejection.node_id = node_id_;
    rejection.version = outstanding_version_;
    rejection.error = std::move(error);
    rejection.time = absl::Now();
    rejections_.Record(std::move(rejection));
  } else {
    ++counters_.acks;
    registry_.Acked(node_id_, running_version_);
    LogInfo("proxy %s ACKed version %" PRIu64, node_id_.c_str(), running_version_);
  }
  return grpc::Status::OK;
}

void DiscoveryStream::MaybeSend() {
  {
    sync::MutexLock lock(&mu_);
    if (closing_ || !rejections_loaded_ || write_in_flight_ || awaiting_reply_) return;
    std::shared_ptr<const PublishedVersion> current = hub_.Current();
    if (current == nullptr || current->version() == running_version_) return;
    if (registry_.HasRejected(node_id_, current->version())) return;
    const PublishedVersion::Payload payload = current->PayloadFor(running_version_);
    // Unguessable, so that only the stream the response went to can answer it.
    outstanding_nonce_ = SecureRandomHex(16);
    outstanding_version_ = current->version();
    write_buffer_ = MakeResponse(outstanding_version_, outstanding_nonce_, *payload.field);
    write_in_flight_ = true;
    awaiting_reply_ = true;
    ++(payload.is_delta ? counters_.delta_responses : counters_.full_responses);
    if (LogEnabled(LogLevel::kDebug)) {
      const std::string what = payload.is_delta ? absl::StrCat("a delta from ", running_version_)
                                                : std::string("the whole snapshot");
      LogDebug("sending version %" PRIu64 " to proxy %s as %s (nonce %s)", outstanding_version_,
               node_id_.c_str(), what.c_str(), outstanding_nonce_.c_str());
    }
  }
  StartWrite(&write_buffer_);
}

void DiscoveryStream::OnRejectionsLoaded() {
  {
    sync::MutexLock lock(&mu_);
    rejections_loaded_ = true;
  }
  MaybeSend();
}

void DiscoveryStream::OnWriteDone(bool ok) {
  std::optional<grpc::Status> finish;
  {
    sync::MutexLock lock(&mu_);
    write_in_flight_ = false;
    write_buffer_.Clear();  // drop our reference to the shared payload now
    if (!ok && !closing_) {
      // The call is broken (peer gone, or cancelled): end it; the pending read fails too.
      closing_ = true;
      finish_after_write_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed");
    }
    if (closing_ && finish_after_write_.has_value()) {
      finish = std::move(finish_after_write_);
      finish_after_write_.reset();
    }
  }
  if (finish.has_value()) Finish(std::move(*finish));
}

void DiscoveryStream::Close(grpc::Status status) {
  {
    sync::MutexLock lock(&mu_);
    if (closing_) return;
    closing_ = true;
    if (write_in_flight_) {
      finish_after_write_ = std::move(status);
      return;
    }
  }
  Finish(std::move(status));
}

void DiscoveryStream::OnDone() {
  hub_.Unsubscribe(this);
  streams_.Remove(this);
  std::shared_ptr<DiscoveryStream> self;
  {
    sync::MutexLock lock(&mu_);
    if (have_node_) {
      registry_.Disconnected(node_id_);
      LogInfo("proxy %s disconnected (stream %" PRIu64 ", running version %" PRIu64 ")",
              node_id_.c_str(), id_, running_version_);
    }
    self = std::move(self_);
  }
  --counters_.active_streams;
  // `self` may be the last reference: this object is destroyed when it goes.
}

}  // namespace switchyard::controlplane::internal
