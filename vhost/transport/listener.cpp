#include "vhost/transport/listener.hpp"

#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstring>

#include "vhost/sys/log.hpp"

namespace vhost {

bool make_unix_address(const std::string& path, sockaddr_un& addr) {
  addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

namespace {

// Whether something is accepting on the socket at path.
bool socket_in_use(const sockaddr_un& addr) {
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return probe && ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

std::unique_ptr<Listener> Listener::open(EventLoop& loop, const std::string& path, AcceptHandler on_accept,
                                         std::string& error) {
  sockaddr_un addr;
  if (!make_unix_address(path, addr)) {
    error = "socket path empty or too long: " + path;
    return nullptr;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      error = path + " exists and is not a socket; refusing to replace it";
      return nullptr;
    }
    if (socket_in_use(addr)) {
      error = path + " is in use by another process";
      return nullptr;
    }
    ::unlink(path.c_str());
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    error = std::string("socket: ") + strerror(errno);
    return nullptr;
  }
  // The umask makes bind() create the file 0600: no window where another
  // user could connect and map guest memory.
  const mode_t old = ::umask(0177);
  const int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0 || ::listen(fd.get(), 16) != 0) {
    error = "bind/listen on " + path + ": " + strerror(errno);
    return nullptr;
  }
  std::unique_ptr<Listener> l(new Listener(path, std::move(fd), std::move(on_accept)));
  l->watch_ = loop.watch(l->fd_.get(), [raw = l.get()] { raw->on_readable(); });
  VN_LOG(kInfo, "listening on %s", path.c_str());
  return l;
}

Listener::~Listener() {
  watch_.reset();
  ::unlink(path_.c_str());
}

void Listener::on_readable() {
  while (true) {
    UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!conn) {
      if (errno != EAGAIN && errno != EINTR) VN_LOG(kWarn, "accept on %s: %s", path_.c_str(), strerror(errno));
      return;
    }
    on_accept_(std::move(conn));
  }
}

}  // namespace vhost
