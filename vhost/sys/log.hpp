// Minimal leveled logging to stderr. Protocol errors from a frontend are
// ordinary events and are logged, never thrown through the event loop.
#pragma once

#include <cstdarg>

namespace vhost {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

void set_log_level(LogLevel level);
void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define VN_LOG(level, ...) ::vhost::log(::vhost::LogLevel::level, __VA_ARGS__)

}  // namespace vhost
