// Normalization of a request path before it is routed and forwarded.
//
// A proxy that routes on the raw path and forwards it raw lets `/public/../admin` match a
// route for `/public/` and reach whatever the backend serves at `/admin`. Normalizing once,
// routing on the result and forwarding the same result means the proxy and the backend
// agree on which resource is meant.
//
// What NormalizePath does, in this order:
//  1. Percent-escapes: an escape of an unreserved character (ALPHA DIGIT - . _ ~) is
//     decoded, so `%2e%2e` is `..`; every other escape keeps its encoding with the hex in
//     upper case (`%c3%a9` -> `%C3%A9`). A '%' not followed by two hex digits is an error.
//     Escaped slashes (`%2F`, `%5C`, either case) follow `escaped_slashes`: kKeep leaves
//     them encoded (upper-cased), kReject makes the path an error, kDecode turns them into
//     '/' and '\' before step 2, so `..%2f` is a dot segment and cannot climb unseen.
//  2. Dot segments are removed as RFC 3986 section 5.2.4 says (`/a/./b` -> `/a/b`,
//     `/a/b/..` -> `/a/`), except that a `..` with nothing left to remove is an error
//     rather than being dropped: a request that tries to climb above the root is refused,
//     not quietly served from the root. Only '/' separates segments (RFC 3986); a raw or
//     decoded '\' is an ordinary character here.
//  3. With merge_slashes, empty segments are dropped first (`//a///b` -> `/a/b`), so a `..`
//     after `//` removes the segment before the slashes, as it does for nginx.
//
// The input is the path of an origin-form request target: everything before '?' (the
// caller splits off the query, which is neither normalized nor inspected). It must start
// with '/'; asterisk-form (`*`) and absolute-form targets are the caller's to handle.
// Bytes other than '%' and '/' are passed through untouched; the HTTP/1 parser has already
// refused targets with spaces or control characters.
//
// A pure function of its arguments, with no state and no exceptions: safe to fuzz.
#ifndef SWITCHYARD_DATAPLANE_HTTP_PATH_NORMALIZER_H_
#define SWITCHYARD_DATAPLANE_HTTP_PATH_NORMALIZER_H_

#include <string>
#include <string_view>

namespace switchyard::http {

// What to do with `%2F` and `%5C` (any case) in a path. Envoy offers the same choices.
enum class EscapedSlashes {
  kKeep,    // forward them encoded (hex upper-cased); routing sees them as ordinary text
  kReject,  // the path is an error (400): a backend that decodes them could climb out of
            // the prefix the route matched
  kDecode,  // decode to '/' and '\' before dot-segment removal
};

struct PathNormalizationOptions {
  bool merge_slashes = false;
  EscapedSlashes escaped_slashes = EscapedSlashes::kReject;
};

enum class PathResult {
  kUnchanged,     // already normal: route and forward the input as it is
  kNormalized,    // `out` holds the normal form, which differs from the input
  kNotAbsolute,   // error: empty, or does not start with '/'
  kBadEscape,     // error: '%' not followed by two hex digits
  kEscapedSlash,  // error: %2F or %5C under EscapedSlashes::kReject
  kAboveRoot,     // error: a ".." segment would climb above the root
};

// True for kUnchanged and kNormalized; every other result should be answered with 400.
constexpr bool PathAccepted(PathResult result) {
  return result == PathResult::kUnchanged || result == PathResult::kNormalized;
}

// A short, stable name for logs and tests ("unchanged", "above_root", ...).
std::string_view PathResultName(PathResult result);

// Normalizes `path` as described at the top of this file.
//
// `out` is a caller-owned buffer meant to be reused across requests: on kNormalized it
// holds the result (its capacity is reused, so a warm buffer allocates nothing). On any
// other result its contents are unspecified. The common case, a path with no '%', no "."
// or ".." segment and (with merge_slashes) no "//", is recognised in one scan, returns
// kUnchanged, and neither reads, writes nor allocates `out`. A path with escapes that are
// already normal (say `/a%20b`) also returns kUnchanged, after using `out` as scratch.
PathResult NormalizePath(std::string_view path, const PathNormalizationOptions& options,
                         std::string& out);

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_PATH_NORMALIZER_H_
