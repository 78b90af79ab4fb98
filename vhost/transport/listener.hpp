// Server mode: a listening UNIX socket that frontends (QEMU, virtio-user)
// connect to. The socket file is created mode 0600 and removed on exit; an
// existing path is replaced only if it is a stale socket.
#pragma once

#include <sys/un.h>

#include <functional>
#include <memory>
#include <string>

#include "vhost/loop/event_loop.hpp"
#include "vhost/sys/unique_fd.hpp"

namespace vhost {

class Listener {
 public:
  using AcceptHandler = std::function<void(UniqueFd)>;

  static std::unique_ptr<Listener> open(EventLoop& loop, const std::string& path, AcceptHandler on_accept,
                                        std::string& error);
  ~Listener();

 private:
  Listener(std::string path, UniqueFd fd, AcceptHandler on_accept)
      : path_(std::move(path)), fd_(std::move(fd)), on_accept_(std::move(on_accept)) {}
  void on_readable();

  std::string path_;
  UniqueFd fd_;
  AcceptHandler on_accept_;
  FdWatch watch_;
};

// Fills a sockaddr_un; false if the path does not fit.
bool make_unix_address(const std::string& path, sockaddr_un& addr);

}  // namespace vhost
