// A VersionStore that times every call of another one and reports the duration, so the
// control plane can export store latency without the stores knowing about metrics.
#ifndef SWITCHYARD_CONTROLPLANE_STORE_TIMED_VERSION_STORE_H_
#define SWITCHYARD_CONTROLPLANE_STORE_TIMED_VERSION_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/store/version_store.h"

namespace switchyard::controlplane {

class TimedVersionStore final : public VersionStore {
 public:
  // `observe(operation, duration)` runs after each call, on the caller's thread, with the
  // method's name in snake case ("append", "get", "current_version", "history",
  // "record_rejections", "rejections"); it must be thread-safe.
  using Observer = std::function<void(std::string_view operation, absl::Duration duration)>;
  TimedVersionStore(std::unique_ptr<VersionStore> store, Observer observe)
      : store_(std::move(store)), observe_(std::move(observe)) {}

  absl::StatusOr<uint64_t> Append(const switchyard::v1::Snapshot& snapshot,
                                  const std::string& author, const std::string& message,
                                  std::optional<uint64_t> expected_version,
                                  uint64_t rolled_back_from) override;
  absl::StatusOr<StoredVersion> Get(uint64_t version) override;
  absl::StatusOr<uint64_t> CurrentVersion() override;
  absl::StatusOr<std::vector<VersionRecord>> History(size_t limit) override;
  absl::Status RecordRejections(const std::vector<Rejection>& rejections) override;
  absl::StatusOr<std::vector<Rejection>> Rejections(const std::string& node_id) override;

 private:
  template <typename Call>
  auto Timed(std::string_view operation, Call call) {
    const absl::Time start = absl::Now();
    auto result = call();
    observe_(operation, absl::Now() - start);
    return result;
  }

  const std::unique_ptr<VersionStore> store_;
  const Observer observe_;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_STORE_TIMED_VERSION_STORE_H_
