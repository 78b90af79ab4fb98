// Where frames go (--mode). A forwarder sees each frame from a port's TX
// ring and delivers it to zero or more ports; the port batches the used
// ring updates and interrupts, and calls flush() once per batch.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "vhost/net/frame.hpp"

namespace vhost {

class Port;

class Forwarder {
 public:
  virtual ~Forwarder() = default;

  void add_port(Port& port) { ports_.push_back(&port); }
  virtual void forward(Port& from, const Frame& frame) = 0;
  // The port's frontend left: forget anything learnt about it.
  virtual void port_down(Port&) {}
  // Publishes every port's delivered frames (one interrupt each at most).
  void flush();

 protected:
  std::vector<Port*> ports_;
};

// sink: count and drop. loopback: back to the sender, MACs swapped.
// switch: L2 learning switch. nullptr for an unknown name.
std::unique_ptr<Forwarder> make_forwarder(std::string_view mode);

}  // namespace vhost
