#include "vhost/transport/client_connector.hpp"

#include <errno.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "vhost/sys/log.hpp"
#include "vhost/transport/listener.hpp"

namespace vhost {

ClientConnector::ClientConnector(EventLoop& loop, std::string path, ConnectHandler on_connected)
    : loop_(loop),
      path_(std::move(path)),
      on_connected_(std::move(on_connected)),
      timer_(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) {
  if (!timer_) throw std::runtime_error("timerfd_create failed");
  timer_watch_ = loop_.watch(timer_.get(), [this] {
    uint64_t expirations;
    if (::read(timer_.get(), &expirations, sizeof expirations) > 0) connect_now();
  });
}

void ClientConnector::arm(std::chrono::milliseconds delay) {
  itimerspec its{};
  its.it_value.tv_sec = delay.count() / 1000;
  its.it_value.tv_nsec = (delay.count() % 1000) * 1000000;
  ::timerfd_settime(timer_.get(), 0, &its, nullptr);
}

void ClientConnector::connect_now() {
  sockaddr_un addr;
  if (!make_unix_address(path_, addr)) {
    VN_LOG(kError, "client socket path too long: %s", path_.c_str());
    return;
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    VN_LOG(kInfo, "connected to frontend at %s", path_.c_str());
    backoff_ = kInitialBackoff;
    logged_waiting_ = false;
    on_connected_(std::move(fd));
    return;
  }
  if (!logged_waiting_) {
    VN_LOG(kInfo, "waiting for frontend at %s (%s)", path_.c_str(), strerror(errno));
    logged_waiting_ = true;
  }
  arm(backoff_);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

void ClientConnector::reconnect_later() { arm(kInitialBackoff); }

}  // namespace vhost
