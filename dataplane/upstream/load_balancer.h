// Smooth weighted round robin (the scheme nginx uses): over any window of sum(weights)
// picks, each endpoint is chosen exactly weight times, and picks of one endpoint are
// spread out rather than bunched. State is per worker; not thread-safe.
#ifndef SWITCHYARD_DATAPLANE_UPSTREAM_LOAD_BALANCER_H_
#define SWITCHYARD_DATAPLANE_UPSTREAM_LOAD_BALANCER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace switchyard::upstream {

class SmoothWeightedRoundRobin {
 public:
  // `weights` must be non-empty and positive.
  explicit SmoothWeightedRoundRobin(std::vector<int64_t> weights);
  // Resumes from an earlier position: `current` holds each endpoint's running value (see
  // current()), same size as `weights`; 0 for a new endpoint.
  SmoothWeightedRoundRobin(std::vector<int64_t> weights, std::vector<int64_t> current);

  // The index of the next endpoint.
  size_t Pick();

  // The running value of each endpoint: with the weights, the whole position.
  const std::vector<int64_t>& current() const { return current_; }
  size_t size() const { return weights_.size(); }

 private:
  std::vector<int64_t> weights_;
  std::vector<int64_t> current_;
  int64_t total_ = 0;
};

}  // namespace switchyard::upstream

#endif  // SWITCHYARD_DATAPLANE_UPSTREAM_LOAD_BALANCER_H_
