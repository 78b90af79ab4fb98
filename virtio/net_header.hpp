// virtio-net per-packet header (virtio 1.2, section 5.1.6).
#pragma once

#include <cstddef>
#include <cstdint>

#include "virtio/features.hpp"

namespace virtio {

struct NetHeader {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
  uint16_t num_buffers;  // only with VERSION_1 or MRG_RXBUF
};
static_assert(sizeof(NetHeader) == 12);

inline constexpr size_t kLegacyNetHeaderSize = 10;
inline constexpr size_t kEthHeaderSize = 14;
inline constexpr size_t kMacSize = 6;

// The header carries num_buffers (12 bytes) for modern devices and for
// legacy ones that negotiated mergeable buffers; otherwise it is 10 bytes.
constexpr size_t net_header_size(uint64_t features) {
  return has(features, feature::kVersion1) || has(features, feature::kNetMrgRxbuf) ? sizeof(NetHeader)
                                                                                     : kLegacyNetHeaderSize;
}

}  // namespace virtio
