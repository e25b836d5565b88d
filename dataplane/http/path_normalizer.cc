#include "dataplane/http/path_normalizer.h"

#include <cstring>

namespace switchyard::http {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 section 2.3: escapes of these are equivalent to the characters
// themselves.
bool IsUnreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// True if `path` (which starts with '/') has anything the slow path would
// change or refuse: an escape, a "." or ".." segment, or, when merging, an
// empty segment. One scan, no writes: this is what nearly every request costs.
bool NeedsWork(std::string_view path, bool merge_slashes) {
  const size_t n = path.size();
  for (size_t i = 0; i < n; ++i) {
    const char c = path[i];
    if (c == '%') return true;
    if (c != '/' || i + 1 == n) continue;
    const char next = path[i + 1];
    if (next == '/' && merge_slashes) return true;
    if (next != '.') continue;
    size_t after = i + 2;                          // just past "/." ...
    if (after < n && path[after] == '.') ++after;  // ... or past "/.."
    if (after == n || path[after] == '/') return true;
  }
  return false;
}

// Writes `path` into `out` with escapes resolved as the header describes.
PathResult DecodeEscapes(std::string_view path, EscapedSlashes escaped_slashes, std::string& out) {
  out.clear();  // keeps the capacity of earlier requests
  out.reserve(path.size());
  const size_t n = path.size();
  for (size_t i = 0; i < n; ++i) {
    const char c = path[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= n) return PathResult::kBadEscape;
    const int high = HexValue(path[i + 1]);
    const int low = HexValue(path[i + 2]);
    if (high < 0 || low < 0) return PathResult::kBadEscape;
    i += 2;
    const auto decoded = static_cast<unsigned char>(high * 16 + low);
    const bool slash = decoded == '/' || decoded == '\\';
    if (IsUnreserved(decoded) || (slash && escaped_slashes == EscapedSlashes::kDecode)) {
      out.push_back(static_cast<char>(decoded));
      continue;
    }
    if (slash && escaped_slashes == EscapedSlashes::kReject) return PathResult::kEscapedSlash;
    out.push_back('%');
    out.push_back(kUpperHex[high]);
    out.push_back(kUpperHex[low]);
  }
  return PathResult::kNormalized;
}

// RFC 3986 section 5.2.4 on `s` in place, with two changes: a ".." with no
// segment left to remove is an error, and with `merge_slashes` empty segments
// (other than a trailing one) are dropped as they are read. `s` starts with
// '/'.
//
// The output is a run of "/segment" pieces written at the front of `s`; it
// never grows faster than the input is read, so writing over the bytes already
// read is safe.
PathResult RemoveDotSegments(std::string& s, bool merge_slashes) {
  const size_t n = s.size();
  size_t written = 0;
  size_t read = 0;  // always at a '/'
  while (read < n) {
    const size_t start = read + 1;
    size_t end = s.find('/', start);
    if (end == std::string::npos) end = n;
    const size_t length = end - start;
    const bool last = end == n;
    const bool dot = length == 1 && s[start] == '.';
    const bool dot_dot = length == 2 && s[start] == '.' && s[start + 1] == '.';
    if (dot_dot) {
      if (written == 0) return PathResult::kAboveRoot;
      written = s.rfind('/', written - 1);  // drop the last piece
    }
    if (dot || dot_dot) {
      // "/a/." and "/a/b/.." name the directory "/a/": keep the trailing slash.
      if (last) s[written++] = '/';
    } else if (!(length == 0 && merge_slashes && !last)) {
      s[written++] = '/';
      std::memmove(s.data() + written, s.data() + start, length);
      written += length;
    }
    read = end;
  }
  if (written == 0) s[written++] = '/';  // every segment was removed: the root
  s.resize(written);
  return PathResult::kNormalized;
}

}  // namespace

std::string_view PathResultName(PathResult result) {
  switch (result) {
    case PathResult::kUnchanged:
      return "unchanged";
    case PathResult::kNormalized:
      return "normalized";
    case PathResult::kNotAbsolute:
      return "not_absolute";
    case PathResult::kBadEscape:
      return "bad_escape";
    case PathResult::kEscapedSlash:
      return "escaped_slash";
    case PathResult::kAboveRoot:
      return "above_root";
  }
  return "unknown";
}

PathResult NormalizePath(std::string_view path, const PathNormalizationOptions& options,
                         std::string& out) {
  if (path.empty() || path.front() != '/') return PathResult::kNotAbsolute;
  if (!NeedsWork(path, options.merge_slashes)) return PathResult::kUnchanged;
  PathResult result = DecodeEscapes(path, options.escaped_slashes, out);
  if (result != PathResult::kNormalized) return result;
  result = RemoveDotSegments(out, options.merge_slashes);
  if (result != PathResult::kNormalized) return result;
  return out == path ? PathResult::kUnchanged : PathResult::kNormalized;
}

}  // namespace switchyard::http
