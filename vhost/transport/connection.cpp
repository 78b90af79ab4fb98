#include "vhost/transport/connection.hpp"

#include "vhost/sys/log.hpp"

namespace vhost {

namespace {
// Requests handled per wakeup before yielding to other fds: a frontend that
// floods requests cannot starve the data path of the other ports.
constexpr int kRequestsPerWakeup = 64;
}  // namespace

Connection::Connection(EventLoop& loop, UniqueFd sock, DeviceObserver& observer, const DeviceConfig& config,
                       CloseHandler on_close)
    : sock_(std::move(sock)), device_(loop, observer, config), on_close_(std::move(on_close)) {
  watch_ = loop.watch(sock_.get(), [this] { on_readable(); });
}

void Connection::close(const char* why) {
  watch_.reset();
  if (on_close_) std::exchange(on_close_, nullptr)(why);
}

void Connection::on_readable() {
  for (int i = 0; i < kRequestsPerWakeup; ++i) {
    Message msg;
    switch (reader_.read(sock_.get(), msg)) {
      case ReadStatus::kWouldBlock: return;
      case ReadStatus::kClosed: return close(reader_.error());
      case ReadStatus::kError: return close(reader_.error());
      case ReadStatus::kMessage: break;
    }
    VN_LOG(kDebug, "request %s (%u), size %u, %zu fds", request_name(msg.hdr.request), msg.hdr.request,
           msg.hdr.size, msg.fds.size());
    Message reply;
    bool send_reply = false;
    if (!device_.handle(msg, reply, send_reply)) return close("protocol error; dropping the frontend");
    if (send_reply && !send_message(sock_.get(), reply)) return close("cannot send reply");
  }
}

}  // namespace vhost
