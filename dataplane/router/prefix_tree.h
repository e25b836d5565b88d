// A radix tree from string prefixes to lists of values (route indexes), for finding every
// stored prefix of a request path in time proportional to the path's length, whatever
// the number of prefixes stored.
//
// Built once, then read-only: concurrent ForEachPrefixOf calls are safe.
#ifndef SWITCHYARD_DATAPLANE_ROUTER_PREFIX_TREE_H_
#define SWITCHYARD_DATAPLANE_ROUTER_PREFIX_TREE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::router {

class PrefixTree {
 public:
  PrefixTree();

  // Stores `value` under `prefix` (which may be empty). Values stored under one prefix
  // are kept in insertion order.
  void Insert(std::string_view prefix, uint32_t value);

  // Calls visit(const std::vector<uint32_t>& values) once for each stored prefix of `key`,
  // shortest prefix first. Allocates nothing.
  template <typename Visitor>
  void ForEachPrefixOf(std::string_view key, Visitor&& visit) const;

  bool empty() const { return nodes_.size() == 1 && nodes_[0].values.empty(); }
  size_t node_count() const { return nodes_.size(); }

 private:
  struct Node {
    // The edge from the parent; never empty except at the root.
    std::string label;
    // children[i] is the node whose label starts with child_first[i]; labels of siblings
    // start with distinct characters, so one memchr finds the only candidate.
    std::string child_first;
    std::vector<uint32_t> children;
    std::vector<uint32_t> values;
  };

  // Nodes by index (not pointers) so that the vector may grow while building.
  std::vector<Node> nodes_;
};

template <typename Visitor>
void PrefixTree::ForEachPrefixOf(std::string_view key, Visitor&& visit) const {
  uint32_t node = 0;
  size_t pos = 0;
  for (;;) {
    const Node& n = nodes_[node];
    if (!n.values.empty()) visit(n.values);
    if (pos == key.size() || n.children.empty()) return;
    const void* hit = std::memchr(n.child_first.data(), key[pos], n.child_first.size());
    if (hit == nullptr) return;
    const uint32_t child = n.children[static_cast<const char*>(hit) - n.child_first.data()];
    const std::string& label = nodes_[child].label;
    if (key.size() - pos < label.size() || key.compare(pos, label.size(), label) != 0) return;
    pos += label.size();
    node = child;
  }
}

}  // namespace switchyard::router

#endif  // SWITCHYARD_DATAPLANE_ROUTER_PREFIX_TREE_H_
