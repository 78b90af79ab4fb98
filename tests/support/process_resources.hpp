// What the test process holds, for leak checks: the backend runs in-process,
// so every fd it keeps, region it maps and fd it watches shows up here.
#pragma once

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>

namespace testing_support {

// ASan's allocator maps shadow and size-class regions as the process
// allocates, so the total number of mappings only returns to its old value
// without it. Mappings of memfds (guest memory, the backend's and ours) are
// exact either way.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kTotalMappingsExact = false;
#else
inline constexpr bool kTotalMappingsExact = true;
#endif

struct ResourceCounts {
  size_t fds = 0;             // entries of /proc/self/fd
  size_t mappings = 0;        // lines of /proc/self/maps
  size_t guest_mappings = 0;  // of those, mappings of a memfd
  size_t epoll_watches = 0;   // fds registered in every epoll instance we own

  // Equal in everything that is exact in this build (see kTotalMappingsExact).
  bool operator==(const ResourceCounts& o) const {
    return fds == o.fds && guest_mappings == o.guest_mappings && epoll_watches == o.epoll_watches &&
           (!kTotalMappingsExact || mappings == o.mappings);
  }
  std::string describe() const;
};

// For gtest messages.
inline void PrintTo(const ResourceCounts& c, std::ostream* os) { *os << c.describe(); }

ResourceCounts count_resources();

// Polls until the counts equal `want` or `timeout` passes; returns the last
// counts seen. The backend closes a connection's fds one loop turn after it
// notices the close, so a check right after close() would race.
ResourceCounts wait_for_resources(const ResourceCounts& want,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace testing_support
