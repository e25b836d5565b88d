#include "common/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace switchyard {
namespace {

std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};

}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel& level) {
  if (text == "debug") {
    level = LogLevel::kDebug;
  } else if (text == "info") {
    level = LogLevel::kInfo;
  } else if (text == "warning") {
    level = LogLevel::kWarning;
  } else if (text == "error") {
    level = LogLevel::kError;
  } else {
    return false;
  }
  return true;
}

void SetLogLevel(LogLevel level) { min_level.store(static_cast<int>(level)); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= min_level.load(); }

void LogAt(LogLevel level, const char* format, ...) {
  if (!LogEnabled(level)) return;
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc;
  gmtime_r(&now.tv_sec, &utc);
  char line[2048];
  int n = std::snprintf(line, sizeof(line),
                        "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %c switchyard: ", utc.tm_year + 1900,
                        utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                        now.tv_nsec / 1000000, "DIWE"[static_cast<int>(level)]);
  va_list args;
  va_start(args, format);
  const int m = std::vsnprintf(line + n, sizeof(line) - n - 1, format, args);
  va_end(args);
  n += m < 0 ? 0 : (m >= static_cast<int>(sizeof(line)) - n - 1 ? sizeof(line) - n - 2 : m);
  line[n++] = '\n';
  // One write per line so lines from different threads do not interleave.
  std::fwrite(line, 1, n, stderr);
}

}  // namespace switchyard
