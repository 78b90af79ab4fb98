// Split virtqueue memory layout (virtio 1.2, section 2.7). Little-endian on
// the wire; the backend only targets little-endian hosts.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace virtio {

static_assert(std::endian::native == std::endian::little,
              "virtio rings are little-endian; a big-endian host needs byte swaps");

inline constexpr uint16_t kMaxQueueSize = 32768;

struct VirtqDesc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
static_assert(sizeof(VirtqDesc) == 16);

namespace desc_flag {
inline constexpr uint16_t kNext = 1;
inline constexpr uint16_t kWrite = 2;
inline constexpr uint16_t kIndirect = 4;
}  // namespace desc_flag

inline constexpr uint16_t kAvailFlagNoInterrupt = 1;
inline constexpr uint16_t kUsedFlagNoNotify = 1;

struct VirtqUsedElem {
  uint32_t id;
  uint32_t len;
};
static_assert(sizeof(VirtqUsedElem) == 8);

// Byte offsets and sizes; the trailing u16 of each ring is the EVENT_IDX field.
namespace split_layout {
constexpr size_t desc_table_bytes(uint32_t n) { return 16ull * n; }
constexpr size_t avail_bytes(uint32_t n) { return 4 + 2ull * n + 2; }
constexpr size_t used_bytes(uint32_t n) { return 4 + 8ull * n + 2; }
inline constexpr size_t kFlagsOffset = 0;
inline constexpr size_t kIdxOffset = 2;
inline constexpr size_t kRingOffset = 4;
constexpr size_t used_event_offset(uint32_t n) { return 4 + 2ull * n; }   // in avail
constexpr size_t avail_event_offset(uint32_t n) { return 4 + 8ull * n; }  // in used
inline constexpr size_t kDescAlign = 16;
inline constexpr size_t kAvailAlign = 2;
inline constexpr size_t kUsedAlign = 4;
}  // namespace split_layout

// True when the event index lies in [old, new): the index has just moved
// past the entry the other side asked to be notified after.
constexpr bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx) {
  return static_cast<uint16_t>(new_idx - event - 1) < static_cast<uint16_t>(new_idx - old_idx);
}

}  // namespace virtio
