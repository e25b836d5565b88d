// Per-request state that a phase keeps for itself (the authenticated consumer, a rate-limit
// decision, a buffered body) without adding a field to RequestContext that every other
// phase would see and every request would carry.
//
// A slot is keyed by its C++ type: `ctx.slots.Emplace<ConsumerIdentity>(...)` in one hook,
// `ctx.slots.Get<ConsumerIdentity>()` in a later one. Values are destroyed when the request
// ends (Clear), but the slot table keeps its storage, so a request that uses no slot
// allocates nothing. Not thread-safe: one request, one worker thread.
#ifndef SWITCHYARD_DATAPLANE_PROXY_PHASE_SLOTS_H_
#define SWITCHYARD_DATAPLANE_PROXY_PHASE_SLOTS_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace switchyard::proxy {

class PhaseSlots {
 public:
  // The value of type T, or nullptr if no phase set one for this request.
  template <typename T>
  T* Get() const {
    const size_t index = IndexOf<T>();
    if (index >= values_.size() || values_[index] == nullptr) return nullptr;
    return &static_cast<Holder<T>*>(values_[index].get())->value;
  }

  // Sets the value of type T (replacing any earlier one) and returns it.
  template <typename T, typename... Args>
  T& Emplace(Args&&... args) {
    const size_t index = IndexOf<T>();
    if (index >= values_.size()) values_.resize(index + 1);
    auto holder = std::make_unique<Holder<T>>(std::forward<Args>(args)...);
    T& value = holder->value;
    values_[index] = std::move(holder);
    return value;
  }

  // Destroys every value; keeps the table's storage.
  void Clear() {
    for (auto& value : values_) value.reset();
  }

 private:
  struct Base {
    virtual ~Base() = default;
  };
  template <typename T>
  struct Holder final : Base {
    template <typename... Args>
    explicit Holder(Args&&... args) : value(std::forward<Args>(args)...) {}
    T value;
  };

  // Each type gets the next index the first time it is used, process-wide.
  static size_t NextIndex() {
    static std::atomic<size_t> next{0};
    return next.fetch_add(1, std::memory_order_relaxed);
  }
  template <typename T>
  static size_t IndexOf() {
    static const size_t index = NextIndex();
    return index;
  }

  std::vector<std::unique_ptr<Base>> values_;
};

}  // namespace switchyard::proxy

#endif  // SWITCHYARD_DATAPLANE_PROXY_PHASE_SLOTS_H_
