#include "dataplane/http/header_map.h"

#include "common/ascii.h"

namespace switchyard::http {

void HeaderMap::Add(std::string_view name, std::string_view value) {
  HeaderField& field = fields_.emplace_back();
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
  for (const HeaderField& field : fields_) {
    if (EqualsIgnoreCase(field.name, name)) return &field.value;
  }
  return nullptr;
}

}  // namespace switchyard::http
