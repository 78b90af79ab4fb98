// A learning Ethernet switch between all ports: source MACs are learnt per
// port; unicast to a known MAC goes to that port only; broadcast,
// multicast and unknown destinations are flooded to every other port.
#pragma once

#include <unordered_map>

#include "vhost/net/forwarder.hpp"

namespace vhost {

class L2Switch final : public Forwarder {
 public:
  void forward(Port& from, const Frame& frame) override;
  void port_down(Port& port) override;
  // The port a MAC was learnt on, or nullptr.
  Port* lookup(const uint8_t* mac) const;

 private:
  std::unordered_map<uint64_t, Port*> table_;
};

}  // namespace vhost
