#include "controlplane/discovery/discovery_service.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace switchyard::controlplane {
namespace {

// Ends a call it cannot serve right away, without touching any shared state.
class RefusingReactor final : public grpc::ServerGenericBidiReactor {
 public:
  explicit RefusingReactor(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

absl::StatusOr<std::string> DiscoveryService::CertifiedNode(
    const grpc::GenericCallbackServerContext& ctx) const {
  std::optional<PeerCertificate> cert = VerifiedPeerCertificate(ctx.auth_context().get());
  if (!cert.has_value()) {
    return absl::UnauthenticatedError(
        "discovery streams need a proxy client certificate (see docs/security.md)");
  }
  absl::StatusOr<std::string> node = options_.proxy_identity->Apply(*cert);
  if (!node.ok() && node.status().code() == absl::StatusCode::kNotFound) {
    return absl::PermissionDeniedError(
        absl::StrCat("this client certificate (CN '", cert->common_name,
                     "') is not a proxy's: ", node.status().message()));
  }
  return node;
}

grpc::ServerGenericBidiReactor* DiscoveryService::CreateReactor(
    grpc::GenericCallbackServerContext* ctx) {
  if (ctx->method() != kStreamSnapshotsMethod) {
    return new RefusingReactor(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                            absl::StrCat("unknown method ", ctx->method())));
  }
  std::optional<std::string> certified_node_id;
  if (options_.proxy_identity.has_value()) {
    absl::StatusOr<std::string> node = CertifiedNode(*ctx);
    if (!node.ok()) {
      LogWarning("refusing discovery stream from %s: %s", ctx->peer().c_str(),
                 std::string(node.status().message()).c_str());
      return new RefusingReactor(grpc::Status(static_cast<grpc::StatusCode>(node.status().code()),
                                              std::string(node.status().message())));
    }
    certified_node_id = std::move(*node);
  }
  if (++counters_.active_streams > options_.max_streams) {
    --counters_.active_streams;
    LogWarning("refusing discovery stream from %s: %lld streams already open", ctx->peer().c_str(),
               static_cast<long long>(options_.max_streams));
    return new RefusingReactor(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     absl::StrCat("this control plane serves at most ", options_.max_streams,
                                  " proxies; try another replica or raise --max_streams")));
  }
  ++counters_.streams_opened;
  auto stream = std::make_shared<internal::DiscoveryStream>(
      next_stream_id_++, ctx->peer(), std::move(certified_node_id), options_.max_request_bytes,
      options_.max_error_bytes, hub_, registry_, rejections_, counters_, streams_);
  stream->Start();
  return stream.get();
}

}  // namespace switchyard::controlplane
