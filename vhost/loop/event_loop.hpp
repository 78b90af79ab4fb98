// The notification loop interface. One thread runs it and services every
// port: listening and connection sockets, kick eventfds, the stats timer and
// the signalfd all arrive as readable fds. Alternatives to epoll (io_uring,
// busy-poll) implement the same interface, so the data path does not fork.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

namespace vhost {

class EventLoop;

// Keeps an fd watched for as long as it lives; destroying it (even from
// inside the fd's own callback) unregisters the fd.
class FdWatch {
 public:
  FdWatch() = default;
  FdWatch(EventLoop* loop, uint64_t token) : loop_(loop), token_(token) {}
  FdWatch(FdWatch&& o) noexcept : loop_(std::exchange(o.loop_, nullptr)), token_(o.token_) {}
  FdWatch& operator=(FdWatch&& o) noexcept;
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;
  ~FdWatch() { reset(); }
  void reset();
  bool active() const { return loop_ != nullptr; }

 private:
  EventLoop* loop_ = nullptr;
  uint64_t token_ = 0;
};

class EventLoop {
 public:
  using Callback = std::function<void()>;
  virtual ~EventLoop() = default;

  // Calls on_readable whenever fd is readable (level-triggered). Returns an
  // inactive watch if the fd cannot be watched (e.g. a regular file).
  [[nodiscard]] virtual FdWatch watch(int fd, Callback on_readable) = 0;
  // Runs fn once, after the events currently being dispatched; the loop
  // does not sleep while posted work is pending.
  virtual void post(Callback fn) = 0;
  // Dispatches until stop().
  virtual void run() = 0;
  virtual void stop() = 0;
  // How many times the loop woke up with work to do.
  virtual uint64_t wakeups() const = 0;

 protected:
  friend class FdWatch;
  virtual void unwatch(uint64_t token) = 0;
};

inline FdWatch& FdWatch::operator=(FdWatch&& o) noexcept {
  if (this != &o) {
    reset();
    loop_ = std::exchange(o.loop_, nullptr);
    token_ = o.token_;
  }
  return *this;
}

inline void FdWatch::reset() {
  if (loop_ != nullptr) std::exchange(loop_, nullptr)->unwatch(token_);
}

}  // namespace vhost
