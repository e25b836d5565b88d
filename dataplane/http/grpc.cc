#include "dataplane/http/grpc.h"

#include <array>
#include <cctype>
#include <cstdint>

#include "dataplane/http/percent_encode.h"

namespace switchyard::http {
namespace {

// gRPC's status codes (grpc/status.h), the ones local replies use.
enum GrpcCode : int {
  kUnknown = 2,
  kDeadlineExceeded = 4,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kUnauthenticated = 16,
};

constexpr int64_t kMaxTimeoutCount = 99'999'999;  // 8 digits

}  // namespace

bool IsGrpcRequest(const HeaderMap& headers) {
  const std::string* type = headers.Get("content-type");
  constexpr std::string_view kGrpc = "application/grpc";
  if (type == nullptr || type->size() < kGrpc.size()) return false;
  for (size_t i = 0; i < kGrpc.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>((*type)[i])) != kGrpc[i]) return false;
  }
  return type->size() == kGrpc.size() || (*type)[kGrpc.size()] == '+' ||
         (*type)[kGrpc.size()] == ';';
}

int GrpcStatusFor(int http_status, std::string_view error) {
  if (error.ends_with("timeout") || error == "deadline_exceeded") return kDeadlineExceeded;
  switch (http_status) {
    case 400:
    case 500:
      return kInternal;
    case 401:
      return kUnauthenticated;
    case 403:
      return kPermissionDenied;
    case 404:
      return kUnimplemented;
    case 408:
    case 504:
      return kDeadlineExceeded;
    case 413:
    case 414:
    case 429:
    case 431:
      return kResourceExhausted;
    case 421:  // the client should retry on another connection
    case 502:
    case 503:
      return kUnavailable;
    default:
      return kUnknown;
  }
}

std::string PercentEncodeGrpcMessage(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  AppendPercentEncoded(message, {}, out);
  return out;
}

std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(std::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  int64_t count = 0;
  for (const char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    count = count * 10 + (c - '0');
  }
  using std::chrono::nanoseconds;
  switch (value.back()) {
    case 'H':
      return std::chrono::duration_cast<nanoseconds>(std::chrono::hours(count));
    case 'M':
      return std::chrono::duration_cast<nanoseconds>(std::chrono::minutes(count));
    case 'S':
      return std::chrono::duration_cast<nanoseconds>(std::chrono::seconds(count));
    case 'm':
      return std::chrono::duration_cast<nanoseconds>(std::chrono::milliseconds(count));
    case 'u':
      return std::chrono::duration_cast<nanoseconds>(std::chrono::microseconds(count));
    case 'n':
      return nanoseconds(count);
    default:
      return std::nullopt;
  }
}

std::string FormatGrpcTimeout(std::chrono::nanoseconds timeout) {
  struct Unit {
    int64_t nanos;
    char symbol;
  };
  static constexpr std::array<Unit, 6> kUnits = {{{1, 'n'},
                                                  {1'000, 'u'},
                                                  {1'000'000, 'm'},
                                                  {1'000'000'000, 'S'},
                                                  {60'000'000'000, 'M'},
                                                  {3'600'000'000'000, 'H'}}};
  const int64_t nanos = std::max<int64_t>(timeout.count(), 0);
  for (const Unit& unit : kUnits) {
    const int64_t count = nanos / unit.nanos;
    if (count <= kMaxTimeoutCount) return std::to_string(count) + unit.symbol;
  }
  return std::to_string(kMaxTimeoutCount) + "H";
}

}  // namespace switchyard::http
