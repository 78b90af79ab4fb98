// Shared fixture for the SplitQueue tests: one block of test guest memory,
// a driver-side ring in it, and the device-side SplitQueue under test.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "tests/support/driver_ring.hpp"
#include "virtio/descriptor_chain.hpp"
#include "virtio/guest_memory.hpp"
#include "virtio/split_queue.hpp"

namespace unit {

using testing_support::Buf;
using testing_support::DriverRing;
using testing_support::TestMemory;
using Bytes = std::vector<uint8_t>;

// The bytes behind `segs`, concatenated.
Bytes gather(std::span<const virtio::HostSegment> segs);
// `len` bytes of a recognisable pattern; different seeds give different bytes.
Bytes pattern(size_t len, uint8_t seed = 1);
Bytes bytes(std::string_view s);
// A guest buffer in `tm` holding `data`; returns its guest-physical address.
uint64_t put(TestMemory& tm, const Bytes& data);

class RingTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kMemSize = 1 << 20;
  static constexpr uint16_t kDefaultSize = 8;

  RingTest();

  // Replaces the driver ring with a fresh one of `size` entries. Ring memory
  // can be preset (used->idx, avail->idx) before start() builds the queue.
  DriverRing& make_ring(uint16_t size);
  // Builds the queue over the current ring; opts.size 0 means the ring's size.
  virtio::SplitQueue& start(virtio::SplitQueue::Options opts = {});
  virtio::SplitQueue& queue() { return *q_; }
  DriverRing& ring() { return *ring_; }

  // A guest buffer holding `data` / `len` zero bytes; returns its address.
  uint64_t put(const Bytes& data);
  uint64_t space(uint32_t len);

  virtio::PopResult pop() { return q_->pop(chain); }
  // Pops and expects a well-formed chain with this head.
  void expect_chain(uint16_t head);
  // Pops and expects a malformed chain with this head and error.
  void expect_bad_chain(uint16_t head, virtio::ChainError err);
  // Returns `head` to the driver and checks it reaps exactly that entry.
  void complete(uint16_t head, uint32_t len = 0);

  TestMemory tm{kMemSize};
  virtio::GuestMemory mem;
  virtio::DescriptorChain chain;

 private:
  std::optional<DriverRing> ring_;
  std::optional<virtio::SplitQueue> q_;
};

}  // namespace unit
