#include "virtio/descriptor_chain.hpp"

namespace virtio {

const char* to_string(ChainError e) {
  switch (e) {
    case ChainError::kNone: return "ok";
    case ChainError::kNextOutOfRange: return "next index beyond the descriptor table";
    case ChainError::kTooLong: return "chain longer than its table (descriptor loop)";
    case ChainError::kIndirectNotNegotiated: return "indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC";
    case ChainError::kNestedIndirect: return "indirect descriptor inside an indirect table";
    case ChainError::kIndirectWithNext: return "descriptor with both INDIRECT and NEXT";
    case ChainError::kIndirectBadLength: return "indirect table length not a non-zero multiple of 16";
    case ChainError::kIndirectOutOfMemory: return "indirect table outside guest memory";
    case ChainError::kAddressOutOfMemory: return "buffer outside guest memory";
    case ChainError::kReadableAfterWritable: return "device-readable buffer after a writable one";
    case ChainError::kTooLarge: return "chain longer than the backend accepts";
  }
  return "unknown chain error";
}

ChainError DescriptorChain::append(const GuestMemory& mem, uint64_t gpa, uint32_t len, bool writable) {
  if (!writable && writable_bytes_ != 0) return ChainError::kReadableAfterWritable;
  uint64_t& total = writable ? writable_bytes_ : readable_bytes_;
  if (readable_bytes_ + writable_bytes_ + len > kMaxChainBytes) return ChainError::kTooLarge;
  if (len == 0) return ChainError::kNone;
  bool mapped = mem.for_each_segment(gpa, len, [&](HostSegment s) {
    segments_.push_back(s);
    if (!writable) ++readable_count_;
  });
  if (!mapped) return ChainError::kAddressOutOfMemory;
  total += len;
  return ChainError::kNone;
}

}  // namespace virtio
