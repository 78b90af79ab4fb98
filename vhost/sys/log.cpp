#include "vhost/sys/log.hpp"

#include <cstdio>

namespace vhost {

namespace {
LogLevel g_level = LogLevel::kInfo;
const char* const kNames[] = {"error", "warn", "info", "debug"};
}  // namespace

void set_log_level(LogLevel level) { g_level = level; }

void log(LogLevel level, const char* fmt, ...) {
  if (level > g_level) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "vhost-notify: %s: %s\n", kNames[static_cast<int>(level)], line);
}

}  // namespace vhost
