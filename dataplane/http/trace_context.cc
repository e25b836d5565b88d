#include "dataplane/http/trace_context.h"

#include <algorithm>
#include <cstdint>

namespace switchyard::http {
namespace {

constexpr std::string_view kTraceParent = "traceparent";
constexpr std::string_view kTraceState = "tracestate";
constexpr size_t kVersion00Length = 55;

bool LowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool AllZero(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

// Writes `value` as `digits` lowercase hex digits at `out`.
void WriteHex(uint64_t value, int digits, char* out) {
  constexpr char kDigits[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i, value >>= 4) out[i] = kDigits[value & 0xf];
}

}  // namespace

bool ParseTraceParent(std::string_view value, TraceParent& out) {
  if (value.size() < kVersion00Length || value[2] != '-' || value[35] != '-' || value[52] != '-') {
    return false;
  }
  out.version = value.substr(0, 2);
  out.trace_id = value.substr(3, 32);
  out.parent_id = value.substr(36, 16);
  out.flags = value.substr(53, 2);
  if (!LowerHex(out.version) || out.version == "ff" || !LowerHex(out.trace_id) ||
      !LowerHex(out.parent_id) || !LowerHex(out.flags) || AllZero(out.trace_id) ||
      AllZero(out.parent_id)) {
    return false;
  }
  if (out.version == "00") return value.size() == kVersion00Length;
  // A later version: what follows the known fields starts with '-'.
  return value.size() == kVersion00Length || value[kVersion00Length] == '-';
}

bool ContinueOrStartTrace(HeaderMap& headers, std::mt19937_64& random, std::string& trace_id) {
  const std::string* value = nullptr;
  size_t count = 0;
  for (const HeaderField& field : headers) {
    if (field.name == kTraceParent) {
      value = &field.value;
      ++count;
    }
  }
  TraceParent parsed;
  // Two traceparent fields are as invalid as a malformed one.
  if (count == 1 && ParseTraceParent(*value, parsed)) {
    trace_id.assign(parsed.trace_id);
    return false;
  }
  uint64_t high = 0;
  uint64_t low = 0;
  uint64_t parent = 0;
  do {
    high = random();
    low = random();
  } while (high == 0 && low == 0);
  do {
    parent = random();
  } while (parent == 0);
  // Built in place: a warm request allocates nothing (phase_alloc_test).
  char header[kVersion00Length] = {'0', '0', '-'};
  WriteHex(high, 16, header + 3);
  WriteHex(low, 16, header + 19);
  header[35] = '-';
  WriteHex(parent, 16, header + 36);
  header[52] = '-';
  header[53] = '0';
  header[54] = '0';
  trace_id.assign(header + 3, 32);
  headers.Set(kTraceParent, std::string_view(header, sizeof(header)));
  headers.Remove(kTraceState);
  return true;
}

}  // namespace switchyard::http
