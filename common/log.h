// Leveled logging to stderr, one line per call, safe from any thread. (Debian's abseil
// 20220623 predates absl/log.) Both programs log in one of two formats (--log_format):
//   text  2026-11-26T07:01:02.345Z W switchyard-proxy: message
//   json
//   {"time":"2026-11-26T07:01:02.345Z","level":"warning","program":"switchyard-proxy","message":"..."}
#ifndef SWITCHYARD_COMMON_LOG_H_
#define SWITCHYARD_COMMON_LOG_H_

#include <ctime>
#include <string>
#include <string_view>

namespace switchyard {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Messages below `level` are dropped. Default kInfo.
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

// Parses "debug", "info", "warning" or "error" (a --log_level flag); false otherwise.
bool ParseLogLevel(std::string_view text, LogLevel& level);

enum class LogFormat { kText, kJson };

// Parses "text" or "json" (a --log_format flag); false otherwise.
bool ParseLogFormat(std::string_view text, LogFormat& format);

// Sets level, format and the program name in every line from the --log_level and
// --log_format flags. False with `error` naming the flag when one is not understood.
bool ConfigureLogging(std::string_view level, std::string_view format, std::string_view program,
                      std::string& error);

// One line in `format`, newline included (exposed for tests).
std::string FormatLogLine(LogFormat format, LogLevel level, const timespec& time,
                          std::string_view program, std::string_view message);

void LogAt(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

#define LogDebug(...) ::switchyard::LogAt(::switchyard::LogLevel::kDebug, __VA_ARGS__)
#define LogInfo(...) ::switchyard::LogAt(::switchyard::LogLevel::kInfo, __VA_ARGS__)
#define LogWarning(...) ::switchyard::LogAt(::switchyard::LogLevel::kWarning, __VA_ARGS__)
#define LogError(...) ::switchyard::LogAt(::switchyard::LogLevel::kError, __VA_ARGS__)

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_LOG_H_
