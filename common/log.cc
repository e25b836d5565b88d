#include "common/log.h"

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>

#include "common/json_escape.h"

namespace switchyard {
namespace {

std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> line_format{static_cast<int>(LogFormat::kText)};
// Set once at start-up, before threads log.
std::string& ProgramName() {
  static std::string* name = new std::string("switchyard");
  return *name;
}

constexpr const char* kLevelNames[] = {"debug", "info", "warning", "error"};

}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel& level) {
  for (int i = 0; i < 4; ++i) {
    if (text == kLevelNames[i]) {
      level = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

bool ParseLogFormat(std::string_view text, LogFormat& format) {
  if (text == "text") {
    format = LogFormat::kText;
  } else if (text == "json") {
    format = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

bool ConfigureLogging(std::string_view level, std::string_view format, std::string_view program,
                      std::string& error) {
  LogLevel parsed_level;
  if (!ParseLogLevel(level, parsed_level)) {
    error = "--log_level must be debug, info, warning or error, got '" + std::string(level) + "'";
    return false;
  }
  LogFormat parsed_format;
  if (!ParseLogFormat(format, parsed_format)) {
    error = "--log_format must be text or json, got '" + std::string(format) + "'";
    return false;
  }
  SetLogLevel(parsed_level);
  line_format.store(static_cast<int>(parsed_format));
  ProgramName() = std::string(program);
  return true;
}

void SetLogLevel(LogLevel level) { min_level.store(static_cast<int>(level)); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= min_level.load(); }

std::string FormatLogLine(LogFormat format, LogLevel level, const timespec& time,
                          std::string_view program, std::string_view message) {
  tm utc;
  gmtime_r(&time.tv_sec, &utc);
  char stamp[96];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                time.tv_nsec / 1000000);
  std::string line;
  line.reserve(message.size() + 96);
  if (format == LogFormat::kJson) {
    line += "{\"time\":\"";
    line += stamp;
    line += "\",\"level\":\"";
    line += kLevelNames[static_cast<int>(level)];
    line += "\",\"program\":";
    AppendJsonString(program, line);
    line += ",\"message\":";
    AppendJsonString(message, line);
    line += "}\n";
  } else {
    line += stamp;
    line += ' ';
    line += "DIWE"[static_cast<int>(level)];
    line += ' ';
    line += program;
    line += ": ";
    line += message;
    line += '\n';
  }
  return line;
}

void LogAt(LogLevel level, const char* format, ...) {
  if (!LogEnabled(level)) return;
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  char message[2048];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  const size_t length = n < 0 ? 0 : std::min(static_cast<size_t>(n), sizeof(message) - 1);
  const std::string line = FormatLogLine(static_cast<LogFormat>(line_format.load()), level, now,
                                         ProgramName(), std::string_view(message, length));
  // One write per line so lines from different threads do not interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace switchyard
