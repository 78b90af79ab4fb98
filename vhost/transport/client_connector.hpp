// Client mode: the frontend owns the socket (QEMU `server=on`, virtio-user
// `server=1`) and the backend connects, retrying with exponential backoff
// while the frontend is absent and again after it goes away.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "vhost/loop/event_loop.hpp"
#include "vhost/sys/unique_fd.hpp"

namespace vhost {

class ClientConnector {
 public:
  using ConnectHandler = std::function<void(UniqueFd)>;

  ClientConnector(EventLoop& loop, std::string path, ConnectHandler on_connected);

  // Tries now; on failure retries after the current backoff.
  void connect_now();
  // Schedules a connection attempt after the frontend went away.
  void reconnect_later();

  static constexpr std::chrono::milliseconds kInitialBackoff{50};
  static constexpr std::chrono::milliseconds kMaxBackoff{2000};

 private:
  void arm(std::chrono::milliseconds delay);

  EventLoop& loop_;
  std::string path_;
  ConnectHandler on_connected_;
  std::chrono::milliseconds backoff_ = kInitialBackoff;
  UniqueFd timer_;
  FdWatch timer_watch_;
  bool logged_waiting_ = false;
};

}  // namespace vhost
