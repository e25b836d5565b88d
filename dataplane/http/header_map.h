// An ordered list of HTTP header fields with case-insensitive lookup.
//
// Names are stored lower-cased (as HTTP/2 requires and as Envoy does), so a name read back
// is always lower case; values are stored as received. Small requests have few headers, so
// a flat vector beats a hash map here. Not thread-safe; one request owns one map.
#ifndef SWITCHYARD_DATAPLANE_HTTP_HEADER_MAP_H_
#define SWITCHYARD_DATAPLANE_HTTP_HEADER_MAP_H_

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::http {

struct HeaderField {
  std::string name;  // lower case
  std::string value;
};

class HeaderMap {
 public:
  using const_iterator = std::vector<HeaderField>::const_iterator;

  // Appends a field; `name` may be in any case. Repeated names are kept in order.
  void Add(std::string_view name, std::string_view value);
  // Replaces every field named `name` with one field holding `value`.
  void Set(std::string_view name, std::string_view value);
  // Removes every field named `name`; returns how many were removed.
  size_t Remove(std::string_view name);

  // Removes every field for which `pred(const HeaderField&)` is true; keeps the order.
  template <typename Pred>
  size_t RemoveIf(Pred pred) {
    const auto first = std::remove_if(fields_.begin(), fields_.end(), pred);
    const size_t removed = static_cast<size_t>(fields_.end() - first);
    fields_.erase(first, fields_.end());
    return removed;
  }

  // The value of the first field named `name`, or nullptr.
  const std::string* Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name) != nullptr; }

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  const_iterator begin() const { return fields_.begin(); }
  const_iterator end() const { return fields_.end(); }
  void clear() { fields_.clear(); }

 private:
  std::vector<HeaderField> fields_;
};

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_HEADER_MAP_H_
