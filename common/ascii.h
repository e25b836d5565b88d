// ASCII helpers on std::string_view.
//
// Debian builds abseil with ABSL_OPTION_USE_STD_STRING_VIEW=0, so absl::string_view is a
// distinct type and absl's string functions do not accept std::string_view. The code base
// uses std::string_view in its own interfaces; these cover what it needs on them.
#ifndef SWITCHYARD_COMMON_ASCII_H_
#define SWITCHYARD_COMMON_ASCII_H_

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace switchyard {

constexpr char AsciiToLower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c; }

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiToLower(a[i]) != AsciiToLower(b[i])) return false;
  }
  return true;
}

inline void LowerInPlace(std::string& s) {
  for (char& c : s) c = AsciiToLower(c);
}

inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_ASCII_H_
