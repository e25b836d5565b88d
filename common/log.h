// Minimal leveled logging to stderr, one line per call, safe from any thread.
// (Debian's abseil 20220623 predates absl/log.) Lines look like
// "2026-11-26T07:01:02.345Z W switchyard: message".
#ifndef SWITCHYARD_COMMON_LOG_H_
#define SWITCHYARD_COMMON_LOG_H_

#include <string_view>

namespace switchyard {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Messages below `level` are dropped. Default kInfo.
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

// Parses "debug", "info", "warning" or "error" (a --log_level flag); false otherwise.
bool ParseLogLevel(std::string_view text, LogLevel& level);

void LogAt(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

#define LogDebug(...) ::switchyard::LogAt(::switchyard::LogLevel::kDebug, __VA_ARGS__)
#define LogInfo(...) ::switchyard::LogAt(::switchyard::LogLevel::kInfo, __VA_ARGS__)
#define LogWarning(...) ::switchyard::LogAt(::switchyard::LogLevel::kWarning, __VA_ARGS__)
#define LogError(...) ::switchyard::LogAt(::switchyard::LogLevel::kError, __VA_ARGS__)

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_LOG_H_
