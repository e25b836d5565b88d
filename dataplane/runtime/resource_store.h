// Per-worker state kept by resource name, outside any snapshot: what later features must
// keep across config swaps for a route or cluster that remains (statistics, fetched
// signing keys, ...). The worker calls Retain after every swap, which drops the entries
// of resources the new snapshot no longer has. Not thread-safe: one worker thread.
#ifndef SWITCHYARD_DATAPLANE_RUNTIME_RESOURCE_STORE_H_
#define SWITCHYARD_DATAPLANE_RUNTIME_RESOURCE_STORE_H_

#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"

namespace switchyard::runtime {

enum class ResourceKind { kCluster, kRoute };

// A route's name in the store: "virtual_host/route" (route names are unique per virtual
// host only).
std::string RouteResourceName(std::string_view virtual_host, std::string_view route);

class ResourceStore {
 public:
  // The entry of type T for the resource, created with T's default constructor when
  // absent. Several features may keep entries for one resource: each type is its own.
  template <typename T>
  T& GetOrCreate(ResourceKind kind, std::string_view name) {
    auto [it, inserted] = entries_.try_emplace(Key{kind, std::string(name), typeid(T)});
    if (inserted) it->second = std::make_unique<Holder<T>>();
    return static_cast<Holder<T>*>(it->second.get())->value;
  }
  // The entry, or nullptr.
  template <typename T>
  T* Find(ResourceKind kind, std::string_view name) {
    auto it = entries_.find(Key{kind, std::string(name), typeid(T)});
    return it == entries_.end() ? nullptr : &static_cast<Holder<T>*>(it->second.get())->value;
  }

  // Drops every entry whose resource `exists(kind, name)` denies.
  void Retain(absl::FunctionRef<bool(ResourceKind, std::string_view)> exists);

  size_t size() const { return entries_.size(); }

 private:
  struct Key {
    ResourceKind kind;
    std::string name;
    std::type_index type;
    bool operator==(const Key& other) const {
      return kind == other.kind && type == other.type && name == other.name;
    }
    template <typename H>
    friend H AbslHashValue(H h, const Key& key) {
      return H::combine(std::move(h), key.kind, key.name, key.type.hash_code());
    }
  };
  struct Base {
    virtual ~Base() = default;
  };
  template <typename T>
  struct Holder final : Base {
    T value;
  };

  absl::flat_hash_map<Key, std::unique_ptr<Base>> entries_;
};

}  // namespace switchyard::runtime

#endif  // SWITCHYARD_DATAPLANE_RUNTIME_RESOURCE_STORE_H_
