#include "tests/support/process_resources.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <thread>
#include <vector>

namespace testing_support {

namespace {

std::vector<int> open_fds() {
  std::vector<int> fds;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return fds;
  const int own = ::dirfd(d);
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const int fd = std::atoi(e->d_name);
    if (fd != own) fds.push_back(fd);
  }
  ::closedir(d);
  return fds;
}

bool is_epoll(int fd) {
  char path[64], target[64];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(path, target, sizeof target - 1);
  if (n < 0) return false;
  target[n] = '\0';
  return std::string(target) == "anon_inode:[eventpoll]";
}

// /proc/self/fdinfo/N of an epoll fd lists one "tfd:" line per watched fd.
size_t epoll_watches(int epfd) {
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(epfd));
  size_t n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("tfd:", 0) == 0) ++n;
  return n;
}

}  // namespace

std::string ResourceCounts::describe() const {
  return std::to_string(fds) + " fds, " + std::to_string(mappings) + " mappings (" + std::to_string(guest_mappings) +
         " of memfds), " + std::to_string(epoll_watches) + " epoll watches";
}

ResourceCounts count_resources() {
  ResourceCounts c;
  const std::vector<int> fds = open_fds();
  c.fds = fds.size();
  for (int fd : fds)
    if (is_epoll(fd)) c.epoll_watches += epoll_watches(fd);
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    ++c.mappings;
    if (line.find(" /memfd:") != std::string::npos) ++c.guest_mappings;
  }
  return c;
}

ResourceCounts wait_for_resources(const ResourceCounts& want, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  ResourceCounts now = count_resources();
  while (!(now == want) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    now = count_resources();
  }
  return now;
}

}  // namespace testing_support
