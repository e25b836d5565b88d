#include "dataplane/router/request_matcher.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ascii.h"

namespace switchyard::router {

absl::StatusOr<RequestMatcher> RequestMatcher::Build(const v1::RouteMatch& match) {
  RequestMatcher out;
  out.methods_.assign(match.methods().begin(), match.methods().end());
  for (int i = 0; i < match.headers_size(); ++i) {
    const v1::HeaderMatcher& config = match.headers(i);
    Header& header = out.headers_.emplace_back();
    header.name = config.name();
    LowerInPlace(header.name);
    header.kind = config.match_case();
    header.invert = config.invert();
    switch (config.match_case()) {
      case v1::HeaderMatcher::kExact:
        header.value = config.exact();
        break;
      case v1::HeaderMatcher::kPrefix:
        header.value = config.prefix();
        break;
      case v1::HeaderMatcher::kRegex: {
        RE2::Options options;
        options.set_log_errors(false);
        header.regex = std::make_unique<RE2>(config.regex(), options);
        if (!header.regex->ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("headers[", i, "].regex: invalid RE2: ", header.regex->error()));
        }
        break;
      }
      case v1::HeaderMatcher::kPresent:
        header.present = config.present();
        break;
      case v1::HeaderMatcher::MATCH_NOT_SET:
        return absl::InvalidArgumentError(absl::StrCat("headers[", i, "]: no match set"));
    }
  }
  return out;
}

bool RequestMatcher::Matches(std::string_view method, const http::HeaderMap* headers) const {
  if (!methods_.empty()) {
    bool found = false;
    for (const std::string& m : methods_) {
      if (m == method) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  for (const Header& header : headers_) {
    if (!HeaderMatches(header, headers)) return false;
  }
  return true;
}

bool RequestMatcher::HeaderMatches(const Header& matcher, const http::HeaderMap* headers) {
  const std::string* first = nullptr;
  size_t count = 0;
  if (headers != nullptr) {
    for (const http::HeaderField& field : *headers) {
      if (field.name != matcher.name) continue;
      if (first == nullptr) first = &field.value;
      ++count;
    }
  }

  bool matched = false;
  if (matcher.kind == v1::HeaderMatcher::kPresent) {
    matched = (first != nullptr) == matcher.present;
  } else if (first != nullptr) {
    std::string combined;
    std::string_view value = *first;
    if (count > 1) {
      bool first_part = true;
      for (const http::HeaderField& field : *headers) {
        if (field.name != matcher.name) continue;
        if (!first_part) combined.push_back(',');
        first_part = false;
        combined.append(field.value);
      }
      value = combined;
    }
    switch (matcher.kind) {
      case v1::HeaderMatcher::kExact:
        matched = value == matcher.value;
        break;
      case v1::HeaderMatcher::kPrefix:
        matched = value.starts_with(matcher.value);
        break;
      case v1::HeaderMatcher::kRegex:
        matched = RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *matcher.regex);
        break;
      default:
        break;
    }
  }
  return matched != matcher.invert;
}

}  // namespace switchyard::router
