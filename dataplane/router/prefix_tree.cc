#include "dataplane/router/prefix_tree.h"

#include <algorithm>

namespace switchyard::router {

PrefixTree::PrefixTree() : nodes_(1) {}

void PrefixTree::Insert(std::string_view prefix, uint32_t value) {
  uint32_t node = 0;
  size_t pos = 0;
  for (;;) {
    if (pos == prefix.size()) {
      nodes_[node].values.push_back(value);
      return;
    }
    const std::string_view rest = prefix.substr(pos);
    const size_t slot = nodes_[node].child_first.find(rest[0]);
    if (slot == std::string::npos) {
      // No edge starts with this character: a new leaf holds the rest of the prefix.
      const uint32_t leaf = static_cast<uint32_t>(nodes_.size());
      Node& added = nodes_.emplace_back();
      added.label.assign(rest);
      added.values.push_back(value);
      nodes_[node].child_first.push_back(rest[0]);
      nodes_[node].children.push_back(leaf);
      return;
    }
    const uint32_t child = nodes_[node].children[slot];
    const std::string& label = nodes_[child].label;
    const size_t common =
        std::mismatch(label.begin(), label.end(), rest.begin(), rest.end()).first - label.begin();
    if (common == label.size()) {
      node = child;
      pos += common;
      continue;
    }
    // The prefix leaves the edge part-way: split the edge at the divergence point, with a
    // new middle node that keeps the shared part.
    const uint32_t middle = static_cast<uint32_t>(nodes_.size());
    Node split;
    split.label = label.substr(0, common);
    split.child_first.push_back(label[common]);
    split.children.push_back(child);
    nodes_[child].label.erase(0, common);
    nodes_.push_back(std::move(split));
    nodes_[node].children[slot] = middle;
    node = middle;
    pos += common;
  }
}

}  // namespace switchyard::router
