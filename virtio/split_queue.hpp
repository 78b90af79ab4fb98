// The device side of a split virtqueue in guest memory.
//
// Everything the driver writes is untrusted: each index, descriptor and
// length is copied out of guest memory once and checked before use. The
// driver-shared fields are accessed through atomic_ref so the compiler can
// neither tear nor re-read them, and with the orderings the spec requires:
// acquire on avail->idx, release on used->idx, and a full fence between
// publishing an index and reading the driver's suppression fields.
#pragma once

#include <cstdint>

#include "virtio/descriptor_chain.hpp"
#include "virtio/device_queue.hpp"
#include "virtio/guest_memory.hpp"
#include "virtio/ring_layout.hpp"

namespace virtio {

struct SplitRingAddrs {
  uint8_t* desc = nullptr;
  uint8_t* avail = nullptr;
  uint8_t* used = nullptr;
};

class SplitQueue {
 public:
  struct Options {
    uint16_t size = 0;  // a power of two, 1..32768
    bool event_idx = false;
    bool indirect = false;
    uint16_t next_avail = 0;  // from SET_VRING_BASE
  };

  // Returns false when `size` is not a power of two in range or an address
  // is misaligned; the queue is then unusable.
  static bool valid_layout(const SplitRingAddrs& addrs, uint16_t size);

  SplitQueue(const GuestMemory& mem, const SplitRingAddrs& addrs, const Options& opts);

  uint16_t size() const { return size_; }
  // The index GET_VRING_BASE reports: the next avail entry to process.
  uint16_t next_avail() const { return next_avail_; }
  const char* broken_reason() const { return broken_reason_; }

  PopResult pop(DescriptorChain& chain);
  // Puts back the last `n` popped chains (an RX frame that did not fit).
  void unpop(uint16_t n) { next_avail_ = static_cast<uint16_t>(next_avail_ - n); }

  // Writes a used entry; the driver sees it only after publish_used().
  void add_used(uint16_t head, uint32_t len);
  bool has_unpublished() const { return used_idx_ != published_used_; }
  // Makes every added entry visible with one used->idx store. Returns true
  // when the driver asked to be interrupted for them.
  bool publish_used();

  // Kick suppression. enable_notifications() returns true if entries
  // arrived while kicks were off: the caller must process them rather than
  // sleep, or the wakeup is lost.
  void disable_notifications();
  bool enable_notifications();

 private:
  bool refresh_avail_idx();
  bool walk(uint16_t head, DescriptorChain& chain, ChainError& err) const;
  bool walk_indirect(uint64_t gpa, uint32_t len, DescriptorChain& chain, ChainError& err) const;
  bool fail(const char* reason);

  const GuestMemory& mem_;
  const VirtqDesc* desc_;
  uint8_t* avail_;
  uint8_t* used_;
  uint16_t size_;
  bool event_idx_;
  bool indirect_;
  uint16_t next_avail_;
  uint16_t shadow_avail_idx_;  // last avail->idx read: saves a shared-line read per pop
  uint16_t used_idx_;          // entries added, published or not
  uint16_t published_used_;    // used->idx as last stored
  bool published_once_ = false;
  const char* broken_reason_ = nullptr;
};

static_assert(DeviceQueue<SplitQueue>);

}  // namespace virtio
