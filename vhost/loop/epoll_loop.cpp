#include "vhost/loop/epoll_loop.hpp"

#include <errno.h>
#include <sys/epoll.h>

#include <cstring>
#include <stdexcept>

#include "vhost/sys/log.hpp"

namespace vhost {

EpollLoop::EpollLoop() : epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epfd_) throw std::runtime_error("epoll_create1 failed");
}

FdWatch EpollLoop::watch(int fd, Callback on_readable) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  const uint64_t token = slot | (uint64_t{s.generation} << 32);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = token;
  if (::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    VN_LOG(kWarn, "cannot watch fd %d: %s", fd, strerror(errno));
    free_slots_.push_back(slot);
    return {};
  }
  s.fd = fd;
  s.cb = std::make_shared<Callback>(std::move(on_readable));
  return FdWatch(this, token);
}

void EpollLoop::unwatch(uint64_t token) {
  const auto slot = static_cast<uint32_t>(token);
  Slot& s = slots_[slot];
  ::epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, s.fd, nullptr);
  s.fd = -1;
  s.cb.reset();
  ++s.generation;
  free_slots_.push_back(slot);
}

void EpollLoop::post(Callback fn) { posted_.push_back(std::move(fn)); }

void EpollLoop::run_posted() {
  std::vector<Callback> work;
  work.swap(posted_);
  for (Callback& fn : work) fn();
}

void EpollLoop::run() {
  stopping_ = false;
  epoll_event events[64];
  while (!stopping_) {
    const int timeout = posted_.empty() ? -1 : 0;
    const int n = ::epoll_wait(epfd_.get(), events, 64, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("epoll_wait failed");
    }
    if (n > 0) ++wakeups_;
    for (int i = 0; i < n; ++i) {
      const uint64_t token = events[i].data.u64;
      const auto slot = static_cast<uint32_t>(token);
      if (slots_[slot].generation != static_cast<uint32_t>(token >> 32) || slots_[slot].fd < 0) continue;
      std::shared_ptr<Callback> cb = slots_[slot].cb;
      (*cb)();
    }
    run_posted();
  }
}

}  // namespace vhost
