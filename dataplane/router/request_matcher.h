// The method and header conditions of one route (RouteMatch.methods and .headers),
// checked after the path has selected the route as a candidate.
//
// Header semantics, following snapshot.proto:
// - names compare case-insensitively;
// - a header sent more than once is matched as its combined value, the field values
//   joined with "," in order (RFC 9110, section 5.3), so a repeated header cannot smuggle
//   a matching value past a rule by sending it second;
// - exact/prefix/regex reject when the header is absent; `invert` flips the outcome of
//   every kind, so an inverted exact matcher accepts a request without the header.
//
// Immutable once built; Matches is safe to call from many threads. It allocates only for
// a header that is present more than once and named by a matcher.
#ifndef SWITCHYARD_DATAPLANE_ROUTER_REQUEST_MATCHER_H_
#define SWITCHYARD_DATAPLANE_ROUTER_REQUEST_MATCHER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/http/header_map.h"
#include "re2/re2.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::router {

class RequestMatcher {
 public:
  // Compiles `match`'s methods and header matchers (not its path). INVALID_ARGUMENT, with
  // a message starting with the field ("headers[1].regex: ..."), for a header matcher
  // that has no match set or a regex that does not compile.
  static absl::StatusOr<RequestMatcher> Build(const v1::RouteMatch& match);

  // True when the method is one of the route's methods (or it lists none) and every
  // header matcher accepts. `headers` may be null (no headers).
  bool Matches(std::string_view method, const http::HeaderMap* headers) const;

  // No conditions at all: every request whose path fits is accepted.
  bool accepts_all() const { return methods_.empty() && headers_.empty(); }

 private:
  struct Header {
    std::string name;  // lower case, as HeaderMap stores names
    v1::HeaderMatcher::MatchCase kind;
    std::string value;  // exact or prefix
    std::unique_ptr<RE2> regex;
    bool present = false;
    bool invert = false;
  };

  static bool HeaderMatches(const Header& matcher, const http::HeaderMap* headers);

  std::vector<std::string> methods_;
  std::vector<Header> headers_;
};

}  // namespace switchyard::router

#endif  // SWITCHYARD_DATAPLANE_ROUTER_REQUEST_MATCHER_H_
