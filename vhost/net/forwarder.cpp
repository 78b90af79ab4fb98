#include "vhost/net/forwarder.hpp"

#include <algorithm>

#include "vhost/net/l2_switch.hpp"
#include "vhost/net/port.hpp"

namespace vhost {

void Forwarder::flush() {
  for (Port* p : ports_) p->flush_rx();
}

namespace {

// The port already counted the frame as received; dropping it is all there is.
class SinkForwarder final : public Forwarder {
 public:
  void forward(Port&, const Frame&) override {}
};

class LoopbackForwarder final : public Forwarder {
 public:
  void forward(Port& from, const Frame& f) override {
    std::array<uint8_t, 2 * virtio::kMacSize> swapped;
    std::copy(f.src(), f.src() + virtio::kMacSize, swapped.begin());
    std::copy(f.dst(), f.dst() + virtio::kMacSize, swapped.begin() + virtio::kMacSize);
    from.deliver(f, swapped.data());
  }
};

}  // namespace

std::unique_ptr<Forwarder> make_forwarder(std::string_view mode) {
  if (mode == "sink") return std::make_unique<SinkForwarder>();
  if (mode == "loopback") return std::make_unique<LoopbackForwarder>();
  if (mode == "switch") return std::make_unique<L2Switch>();
  return nullptr;
}

}  // namespace vhost
