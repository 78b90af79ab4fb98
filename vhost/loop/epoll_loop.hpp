// Interrupt-driven loop: sleeps in epoll_wait until a kick, a socket or a
// timer makes an fd readable.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "vhost/loop/event_loop.hpp"
#include "vhost/sys/unique_fd.hpp"

namespace vhost {

class EpollLoop final : public EventLoop {
 public:
  EpollLoop();
  FdWatch watch(int fd, Callback on_readable) override;
  void post(Callback fn) override;
  void run() override;
  void stop() override { stopping_ = true; }
  uint64_t wakeups() const override { return wakeups_; }

 private:
  void unwatch(uint64_t token) override;
  void run_posted();

  // A token is slot | generation << 32, so an event still queued for a
  // watch removed earlier in the same batch finds a stale generation and is
  // ignored instead of calling into freed state.
  struct Slot {
    int fd = -1;
    uint32_t generation = 0;
    // Shared so a callback that unwatches itself stays alive until it returns.
    std::shared_ptr<Callback> cb;
  };
  UniqueFd epfd_;
  std::deque<Slot> slots_;  // deque: watch() from a callback must not move slots
  std::vector<uint32_t> free_slots_;
  std::vector<Callback> posted_;
  bool stopping_ = false;
  uint64_t wakeups_ = 0;
};

}  // namespace vhost
