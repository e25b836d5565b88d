#include "dataplane/http/header_map.h"

#include "common/ascii.h"

namespace switchyard::http {

HeaderMap& HeaderMap::operator=(const HeaderMap& other) {
  if (this != &other) {
    clear();
    for (const HeaderField& field : other) Add(field.name, field.value);
  }
  return *this;
}

void HeaderMap::Add(std::string_view name, std::string_view value) {
  if (size_ == fields_.size()) {
    // Typical requests carry a dozen fields plus the ones the proxy adds.
    if (fields_.capacity() == 0) fields_.reserve(16);
    fields_.emplace_back();
  }
  HeaderField& field = fields_[size_++];
  field.name.assign(name);
  LowerInPlace(field.name);
  field.value.assign(value);
}

void HeaderMap::Set(std::string_view name, std::string_view value) {
  Remove(name);
  Add(name, value);
}

size_t HeaderMap::Remove(std::string_view name) {
  return RemoveIf([name](const HeaderField& f) { return EqualsIgnoreCase(f.name, name); });
}

const std::string* HeaderMap::Get(std::string_view name) const {
  for (const HeaderField& field : *this) {
    if (EqualsIgnoreCase(field.name, name)) return &field.value;
  }
  return nullptr;
}

}  // namespace switchyard::http
