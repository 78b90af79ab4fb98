// One frontend connection: reads requests from the socket as they arrive,
// hands each to the device and writes the reply. The device is created
// with the connection and dies with it.
#pragma once

#include <functional>

#include "vhost/device/device.hpp"
#include "vhost/loop/event_loop.hpp"
#include "vhost/protocol/socket_io.hpp"
#include "vhost/sys/unique_fd.hpp"

namespace vhost {

class Connection {
 public:
  using CloseHandler = std::function<void(const char* why)>;

  // on_close runs (at most once) when the frontend leaves or must be dropped;
  // the owner may destroy the connection from a posted task, not inside it.
  Connection(EventLoop& loop, UniqueFd sock, DeviceObserver& observer, const DeviceConfig& config,
             CloseHandler on_close);

  Device& device() { return device_; }
  const Device& device() const { return device_; }

 private:
  void on_readable();
  void close(const char* why);

  UniqueFd sock_;
  MessageReader reader_;
  Device device_;
  CloseHandler on_close_;
  FdWatch watch_;  // last: unwatched before the rest is torn down
};

}  // namespace vhost
