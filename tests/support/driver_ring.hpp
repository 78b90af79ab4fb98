// The driver's side of a split virtqueue, for tests: it lays out rings and
// buffers in a block of "guest memory", posts descriptor chains (well-formed
// or deliberately malformed) and reaps used entries — what a guest's virtio
// driver does, without a guest.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "virtio/guest_memory.hpp"
#include "virtio/ring_layout.hpp"
#include "virtio/split_queue.hpp"

namespace testing_support {

// Guest memory for tests: `size` bytes at guest-physical `gpa_base` (and
// frontend address `user_base`), either owned on the heap or borrowed from
// a mapping (a memfd shared with a backend). A bump allocator hands out
// aligned guest addresses.
class TestMemory {
 public:
  TestMemory(uint64_t size, uint64_t gpa_base = 0x100000, uint64_t user_base = 0x7f0000000000);
  TestMemory(uint8_t* mapped, uint64_t size, uint64_t gpa_base, uint64_t user_base);

  uint64_t alloc(uint64_t len, uint64_t align = 64);
  uint8_t* host(uint64_t gpa) { return base_ + (gpa - gpa_base_); }
  uint64_t user_addr(uint64_t gpa) const { return gpa - gpa_base_ + user_base_; }
  uint64_t gpa_base() const { return gpa_base_; }
  uint64_t size() const { return size_; }
  // The backend's view: one region covering the whole block.
  virtio::MemoryRegion region() const { return {gpa_base_, size_, user_base_, base_}; }

  void write(uint64_t gpa, const void* src, size_t len) { std::memcpy(host(gpa), src, len); }
  void read(uint64_t gpa, void* dst, size_t len) { std::memcpy(dst, host(gpa), len); }

 private:
  std::vector<uint8_t> owned_;
  uint8_t* base_;
  uint64_t size_;
  uint64_t gpa_base_;
  uint64_t user_base_;
  uint64_t next_ = 0;
};

struct Buf {
  uint64_t gpa;
  uint32_t len;
  bool writable = false;
};

class DriverRing {
 public:
  DriverRing(TestMemory& mem, uint16_t size);

  uint16_t size() const { return size_; }
  uint64_t desc_gpa() const { return desc_; }
  uint64_t avail_gpa() const { return avail_; }
  uint64_t used_gpa() const { return used_; }
  virtio::SplitRingAddrs host_addrs() { return {mem_.host(desc_), mem_.host(avail_), mem_.host(used_)}; }

  // Writes `bufs` as a NEXT-linked chain into free descriptor slots and makes
  // it available. Returns the head index.
  uint16_t post(const std::vector<Buf>& bufs);
  // Writes an indirect table holding `bufs` and posts a one-descriptor chain
  // pointing at it.
  uint16_t post_indirect(const std::vector<Buf>& bufs);

  // Raw access for malformed rings.
  void set_desc(uint16_t i, const virtio::VirtqDesc& d);
  virtio::VirtqDesc desc(uint16_t i);
  void push_avail(uint16_t head);  // adds head to the avail ring and publishes idx
  void set_avail_idx(uint16_t idx);
  uint16_t avail_idx();
  void set_avail_flags(uint16_t flags);
  void set_used_event(uint16_t v);

  // Used side, as the driver reads it.
  uint16_t used_idx();
  // Presets used->idx, as for a ring resumed mid-stream (SET_VRING_BASE);
  // pop_used() then reaps from this index on.
  void set_used_idx(uint16_t idx);
  uint16_t used_flags();
  uint16_t avail_event();
  std::optional<virtio::VirtqUsedElem> pop_used();

 private:
  uint16_t alloc_desc();

  TestMemory& mem_;
  uint16_t size_;
  uint64_t desc_, avail_, used_;
  uint16_t next_free_ = 0;
  uint16_t last_used_ = 0;
};

}  // namespace testing_support
