#include "dataplane/upstream/load_balancer.h"

#include <utility>

namespace switchyard::upstream {

SmoothWeightedRoundRobin::SmoothWeightedRoundRobin(std::vector<int64_t> weights)
    : weights_(std::move(weights)), current_(weights_.size(), 0) {
  for (int64_t w : weights_) total_ += w;
}

SmoothWeightedRoundRobin::SmoothWeightedRoundRobin(std::vector<int64_t> weights,
                                                   std::vector<int64_t> current)
    : weights_(std::move(weights)), current_(std::move(current)) {
  current_.resize(weights_.size(), 0);
  for (int64_t w : weights_) total_ += w;
}

size_t SmoothWeightedRoundRobin::Pick() {
  if (weights_.size() == 1) return 0;
  size_t best = 0;
  for (size_t i = 0; i < weights_.size(); ++i) {
    current_[i] += weights_[i];
    if (current_[i] > current_[best]) best = i;
  }
  current_[best] -= total_;
  return best;
}

}  // namespace switchyard::upstream
