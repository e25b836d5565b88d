// An ordered list of HTTP header fields with case-insensitive lookup.
//
// Names are stored lower-cased (as HTTP/2 requires and as Envoy does), so a name read back
// is always lower case; values are stored as received. Small requests have few headers, so
// a flat vector beats a hash map here.
//
// A map is meant to be reused: clear() keeps the fields' storage, and Add() writes into
// it, so a connection that reuses one map per message allocates nothing once warm.
// Not thread-safe; one message owns one map at a time.
#ifndef SWITCHYARD_DATAPLANE_HTTP_HEADER_MAP_H_
#define SWITCHYARD_DATAPLANE_HTTP_HEADER_MAP_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::http {

struct HeaderField {
  std::string name;  // lower case
  std::string value;
};

class HeaderMap {
 public:
  using const_iterator = std::vector<HeaderField>::const_iterator;

  HeaderMap() = default;
  // Copies only the live fields.
  HeaderMap(const HeaderMap& other) : fields_(other.begin(), other.end()), size_(other.size_) {}
  HeaderMap& operator=(const HeaderMap& other);
  HeaderMap(HeaderMap&&) noexcept = default;
  HeaderMap& operator=(HeaderMap&&) noexcept = default;

  // Appends a field; `name` may be in any case. Repeated names are kept in order.
  void Add(std::string_view name, std::string_view value);
  // Replaces every field named `name` with one field holding `value`.
  void Set(std::string_view name, std::string_view value);
  // Removes every field named `name`; returns how many were removed.
  size_t Remove(std::string_view name);

  // Removes every field for which `pred(const HeaderField&)` is true; keeps the order.
  template <typename Pred>
  size_t RemoveIf(Pred pred) {
    size_t kept = 0;
    for (size_t i = 0; i < size_; ++i) {
      if (pred(static_cast<const HeaderField&>(fields_[i]))) continue;
      // Swap rather than move, so removed fields keep their storage for reuse.
      if (kept != i) std::swap(fields_[kept], fields_[i]);
      ++kept;
    }
    const size_t removed = size_ - kept;
    size_ = kept;
    return removed;
  }

  // The value of the first field named `name`, or nullptr. Invalidated by Add or Set.
  const std::string* Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name) != nullptr; }
  // The same, for changing the value in place (its storage is reused).
  std::string* GetMutable(std::string_view name) {
    return const_cast<std::string*>(static_cast<const HeaderMap*>(this)->Get(name));
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const_iterator begin() const { return fields_.begin(); }
  const_iterator end() const { return fields_.begin() + static_cast<std::ptrdiff_t>(size_); }
  // Forgets every field but keeps their storage.
  void clear() { size_ = 0; }

 private:
  // fields_[0, size_) are live; the rest are spare storage from earlier messages.
  std::vector<HeaderField> fields_;
  size_t size_ = 0;
};

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_HEADER_MAP_H_
