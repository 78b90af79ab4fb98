// A frame in flight: still in the sending guest's TX buffers. Forwarding
// decides where it goes from its MACs; delivery copies it once, straight
// into the receiving guest's RX buffers.
#pragma once

#include <array>
#include <cstdint>

#include "virtio/descriptor_chain.hpp"
#include "virtio/net_header.hpp"

namespace vhost {

struct Frame {
  const virtio::DescriptorChain& chain;  // the TX chain: net header, then the frame
  uint32_t header_len;                   // virtio-net header bytes to skip
  uint32_t len;                          // frame bytes after the header
  uint16_t queue_pair;                   // the pair it arrived on
  std::array<uint8_t, 2 * virtio::kMacSize> macs;  // destination, then source

  const uint8_t* dst() const { return macs.data(); }
  const uint8_t* src() const { return macs.data() + virtio::kMacSize; }
};

}  // namespace vhost
