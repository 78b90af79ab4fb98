// The backend under test, in-process: an EpollLoop with one forwarder and
// `ports` Ports, run by a thread of its own. The test thread is the
// frontend; it hands sockets to the ports and reads counters only through
// run_in_loop(), which executes on the loop thread (EpollLoop and Port are
// not thread-safe), or after stop() has joined the thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "vhost/device/device.hpp"
#include "vhost/loop/epoll_loop.hpp"
#include "vhost/net/forwarder.hpp"
#include "vhost/net/port.hpp"
#include "vhost/sys/unique_fd.hpp"

namespace testing_support {

class TestBackend {
 public:
  // mode: "loopback", "sink" or "switch". Port i gets MAC 02:76:6e:00:00:<i+1>.
  explicit TestBackend(std::string_view mode, size_t ports = 1, uint16_t queue_pairs = 1);
  ~TestBackend();
  TestBackend(const TestBackend&) = delete;
  TestBackend& operator=(const TestBackend&) = delete;

  // A fresh socketpair: the backend end is attached to `port` (as the
  // listener would on accept), the frontend end is returned.
  vhost::UniqueFd connect(size_t port = 0);

  // Runs fn on the loop thread and waits for it (directly once stopped).
  void run_in_loop(const std::function<void()>& fn);
  // Returns once everything the loop had queued when called has run,
  // including the teardown of connections that were closed by then.
  void settle();

  vhost::PortStats stats(size_t port = 0);
  std::vector<vhost::QueueStats> queue_stats(size_t port = 0);
  bool connected(size_t port = 0);
  uint64_t loop_wakeups();
  // Polls until `port` has no frontend and its connection is torn down.
  bool wait_detached(size_t port = 0, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  const vhost::DeviceConfig& config(size_t port = 0) const { return configs_.at(port); }
  size_t port_count() const { return ports_.size(); }
  // Stops the loop and joins its thread; idempotent.
  void stop();

 private:
  void on_wake();

  std::vector<vhost::DeviceConfig> configs_;
  vhost::EpollLoop loop_;
  std::unique_ptr<vhost::Forwarder> forwarder_;
  std::vector<std::unique_ptr<vhost::Port>> ports_;
  vhost::UniqueFd wake_fd_;  // eventfd: the one thread-safe way into the loop
  vhost::FdWatch wake_watch_;
  std::mutex mu_;
  std::vector<std::function<void()>> tasks_;  // guarded by mu_
  bool stop_requested_ = false;               // guarded by mu_
  std::thread thread_;
};

}  // namespace testing_support
