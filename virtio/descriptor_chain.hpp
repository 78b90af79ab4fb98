// A descriptor chain resolved into host memory: the device-readable
// segments followed by the device-writable ones. Ring formats (split now,
// packed later) differ only in how they find the descriptors; they all fill
// a DescriptorChain through append(), which owns the checks that do not
// depend on the ring format.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "virtio/guest_memory.hpp"

namespace virtio {

enum class ChainError {
  kNone = 0,
  kNextOutOfRange,
  kTooLong,  // more descriptors than the queue (or indirect table) holds: a loop
  kIndirectNotNegotiated,
  kNestedIndirect,
  kIndirectWithNext,
  kIndirectBadLength,
  kIndirectOutOfMemory,
  kAddressOutOfMemory,
  kReadableAfterWritable,
  kTooLarge,  // total length over kMaxChainBytes
};

const char* to_string(ChainError e);

class DescriptorChain {
 public:
  // Far above any frame (64 KiB GSO + headers), far below where u32
  // arithmetic on lengths could overflow.
  static constexpr uint64_t kMaxChainBytes = 1ull << 24;

  DescriptorChain() { segments_.reserve(64); }

  void reset(uint16_t head) {
    head_ = head;
    segments_.clear();
    readable_count_ = 0;
    readable_bytes_ = writable_bytes_ = 0;
  }

  // Adds one guest buffer; splits it if it spans adjacent regions.
  ChainError append(const GuestMemory& mem, uint64_t gpa, uint32_t len, bool writable);

  uint16_t head() const { return head_; }
  std::span<const HostSegment> readable() const { return {segments_.data(), readable_count_}; }
  std::span<const HostSegment> writable() const {
    return std::span<const HostSegment>(segments_).subspan(readable_count_);
  }
  uint64_t readable_bytes() const { return readable_bytes_; }
  uint64_t writable_bytes() const { return writable_bytes_; }

 private:
  uint16_t head_ = 0;
  std::vector<HostSegment> segments_;  // reused across chains: no allocation per packet
  size_t readable_count_ = 0;
  uint64_t readable_bytes_ = 0;
  uint64_t writable_bytes_ = 0;
};

}  // namespace virtio
