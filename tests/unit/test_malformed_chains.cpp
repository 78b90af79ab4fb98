// SplitQueue against malformed rings. A bad chain must come back as
// kBadChain with the precise error and its head, so it can be completed and
// the queue keeps working; an inconsistent ring must come back as kBroken,
// with a reason, for good.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "tests/unit/ring_fixture.hpp"
#include "virtio/ring_layout.hpp"

namespace unit {
namespace {

using virtio::ChainError;
using virtio::PopStatus;
using virtio::VirtqDesc;
namespace flag = virtio::desc_flag;

constexpr uint16_t kNext = flag::kNext;
constexpr uint16_t kWrite = flag::kWrite;
constexpr uint16_t kIndirect = flag::kIndirect;

class MalformedChainTest : public RingTest {
 protected:
  void SetUp() override {
    start({.indirect = true});
    buf_ = put(pattern(256));
  }

  // A readable descriptor over valid memory.
  VirtqDesc good(uint16_t flags = 0, uint16_t next = 0, uint32_t len = 8) { return {buf_, len, flags, next}; }

  // Writes an indirect table into guest memory; returns its address.
  uint64_t table(const std::vector<VirtqDesc>& descs) {
    const uint64_t gpa = tm.alloc(16 * descs.size(), 16);
    tm.write(gpa, descs.data(), 16 * descs.size());
    return gpa;
  }

  // Makes `descs` (written at slots 0..n-1) available with head 0, expects
  // the error, completes the chain, then checks a good chain still passes.
  void expect_rejected(const std::vector<VirtqDesc>& descs, ChainError err) {
    for (size_t i = 0; i < descs.size(); ++i) ring().set_desc(static_cast<uint16_t>(i), descs[i]);
    ring().push_avail(0);
    expect_bad_chain(0, err);
    complete(0);
    ring().set_desc(0, good());
    ring().push_avail(0);
    expect_chain(0);
    EXPECT_EQ(pop().status, PopStatus::kEmpty);
  }

  uint64_t buf_ = 0;
};

TEST_F(MalformedChainTest, SelfLoop) { expect_rejected({good(kNext, 0)}, ChainError::kTooLong); }

TEST_F(MalformedChainTest, NextPointingBack) {
  expect_rejected({good(kNext, 1), good(kNext, 2), good(kNext, 1)}, ChainError::kTooLong);
}

TEST_F(MalformedChainTest, LoopThroughTheWholeTable) {
  std::vector<VirtqDesc> descs;
  for (uint16_t i = 0; i < kDefaultSize; ++i) descs.push_back(good(kNext, (i + 1) % kDefaultSize));
  expect_rejected(descs, ChainError::kTooLong);
}

TEST_F(MalformedChainTest, LoopOfWritableZeroLengthDescriptors) {
  // Costs nothing in bytes, so only the descriptor count can stop it.
  expect_rejected({good(kNext | kWrite, 1, 0), good(kNext | kWrite, 0, 0)}, ChainError::kTooLong);
}

TEST_F(MalformedChainTest, NextOutOfRange) {
  expect_rejected({good(kNext, kDefaultSize)}, ChainError::kNextOutOfRange);
  expect_rejected({good(kNext, 1), good(kNext, 0xffff)}, ChainError::kNextOutOfRange);
}

TEST_F(MalformedChainTest, BufferOutsideMemory) {
  const uint64_t end = tm.gpa_base() + tm.size();
  expect_rejected({{end, 1, 0, 0}}, ChainError::kAddressOutOfMemory);
  expect_rejected({{end - 4, 8, kWrite, 0}}, ChainError::kAddressOutOfMemory);
  expect_rejected({{tm.gpa_base() - 1, 4, 0, 0}}, ChainError::kAddressOutOfMemory);
  expect_rejected({good(kNext, 1), {0, 4, 0, 0}}, ChainError::kAddressOutOfMemory);
}

TEST_F(MalformedChainTest, BufferWrappingPast2To64) {
  const uint64_t top = std::numeric_limits<uint64_t>::max();
  expect_rejected({{top - 7, 16, 0, 0}}, ChainError::kAddressOutOfMemory);
  expect_rejected({good(kNext, 1), {top, 2, kWrite, 0}}, ChainError::kAddressOutOfMemory);
}

TEST_F(MalformedChainTest, MaximalLength) {
  expect_rejected({{buf_, 0xffffffff, 0, 0}}, ChainError::kTooLarge);
  expect_rejected({good(kNext, 1), {buf_, 0xffffffff, kWrite, 0}}, ChainError::kTooLarge);
}

TEST_F(MalformedChainTest, ReadableAfterWritable) {
  expect_rejected({good(kNext, 1), good(kNext | kWrite, 2), good()}, ChainError::kReadableAfterWritable);
}

TEST_F(MalformedChainTest, TotalChainTooLarge) {
  // Sixteen 1 MiB buffers (all over the same memory) make exactly the limit;
  // one more byte is too much.
  static_assert(virtio::DescriptorChain::kMaxChainBytes == 16 * kMemSize);
  make_ring(32);
  start();
  const uint64_t all = tm.gpa_base();
  const auto mib = static_cast<uint32_t>(kMemSize);
  for (uint16_t i = 0; i < 15; ++i) ring().set_desc(i, {all, mib, kNext, static_cast<uint16_t>(i + 1)});
  ring().set_desc(15, {all, mib, 0, 0});
  ring().push_avail(0);
  expect_chain(0);
  EXPECT_EQ(chain.readable_bytes(), virtio::DescriptorChain::kMaxChainBytes);
  ring().set_desc(15, {all, mib, kNext, 16});
  ring().set_desc(16, good(0, 0, 1));
  ring().push_avail(0);
  expect_bad_chain(0, ChainError::kTooLarge);
}

// --- indirect tables ----------------------------------------------------------

TEST_F(MalformedChainTest, IndirectInsideIndirect) {
  const uint64_t inner = table({good()});
  const uint64_t outer = table({good(kNext, 1), {inner, 16, kIndirect, 0}});
  expect_rejected({{outer, 32, kIndirect, 0}}, ChainError::kNestedIndirect);
}

TEST_F(MalformedChainTest, IndirectTogetherWithNext) {
  const uint64_t t = table({good()});
  expect_rejected({{t, 16, kIndirect | kNext, 1}, good()}, ChainError::kIndirectWithNext);
}

TEST_F(MalformedChainTest, IndirectTableOfBadLength) {
  const uint64_t t = table({good(kNext, 1), good()});
  for (uint32_t len : {0u, 1u, 15u, 17u, 24u, 31u}) {
    SCOPED_TRACE(len);
    expect_rejected({{t, len, kIndirect, 0}}, ChainError::kIndirectBadLength);
  }
  // More entries than any queue may have.
  expect_rejected({{t, 16 * (virtio::kMaxQueueSize + 1), kIndirect, 0}}, ChainError::kIndirectBadLength);
  expect_rejected({{t, 0xfffffff0, kIndirect, 0}}, ChainError::kIndirectBadLength);
}

TEST_F(MalformedChainTest, IndirectTableOutsideMemory) {
  const uint64_t end = tm.gpa_base() + tm.size();
  expect_rejected({{end, 16, kIndirect, 0}}, ChainError::kIndirectOutOfMemory);
  expect_rejected({{end - 16, 32, kIndirect, 0}}, ChainError::kIndirectOutOfMemory);
  expect_rejected({{std::numeric_limits<uint64_t>::max() - 15, 32, kIndirect, 0}}, ChainError::kIndirectOutOfMemory);
}

TEST_F(MalformedChainTest, LoopInsideIndirectTable) {
  const uint64_t t = table({good(kNext, 1), good(kNext, 2), good(kNext, 0)});
  expect_rejected({{t, 48, kIndirect, 0}}, ChainError::kTooLong);
}

TEST_F(MalformedChainTest, NextOutOfRangeInsideIndirectTable) {
  // In range for the queue, not for the table.
  const uint64_t t = table({good(kNext, 1), good(kNext, 2)});
  expect_rejected({{t, 32, kIndirect, 0}}, ChainError::kNextOutOfRange);
}

TEST_F(MalformedChainTest, BadBuffersInsideIndirectTable) {
  const uint64_t end = tm.gpa_base() + tm.size();
  uint64_t t = table({good(kNext, 1), {end, 4, 0, 0}});
  expect_rejected({{t, 32, kIndirect, 0}}, ChainError::kAddressOutOfMemory);
  t = table({good(kNext | kWrite, 1), good()});
  expect_rejected({{t, 32, kIndirect, 0}}, ChainError::kReadableAfterWritable);
  t = table({{buf_, 0xffffffff, kWrite, 0}});
  expect_rejected({{t, 16, kIndirect, 0}}, ChainError::kTooLarge);
}

TEST_F(MalformedChainTest, IndirectWithoutTheFeature) {
  make_ring(kDefaultSize);
  start({.indirect = false});
  expect_rejected({{table({good()}), 16, kIndirect, 0}}, ChainError::kIndirectNotNegotiated);
}

// --- broken rings ---------------------------------------------------------------

using BrokenRingTest = MalformedChainTest;

TEST_F(BrokenRingTest, AvailIndexMovingByExactlyTheQueueSizeIsFine) {
  for (uint16_t i = 0; i < kDefaultSize; ++i) ring().post({{buf_, 1}});
  for (uint16_t i = 0; i < kDefaultSize; ++i) ASSERT_EQ(pop().status, PopStatus::kChain);
  EXPECT_EQ(pop().status, PopStatus::kEmpty);
}

TEST_F(BrokenRingTest, AvailIndexJumpingTooFarBreaksTheQueueForGood) {
  ring().set_desc(0, good());
  ring().set_avail_idx(kDefaultSize + 1);
  EXPECT_EQ(pop().status, PopStatus::kBroken);
  ASSERT_NE(queue().broken_reason(), nullptr);
  // Even once the driver puts a sane index back.
  ring().set_avail_idx(1);
  EXPECT_EQ(pop().status, PopStatus::kBroken);
  EXPECT_EQ(queue().next_avail(), 0);
}

TEST_F(BrokenRingTest, AvailIndexGoingBackwardsBreaksTheQueue) {
  ring().post({{buf_, 1}});
  ring().post({{buf_, 1}});
  ASSERT_EQ(pop().status, PopStatus::kChain);
  ASSERT_EQ(pop().status, PopStatus::kChain);
  ring().set_avail_idx(1);
  EXPECT_EQ(pop().status, PopStatus::kBroken);
  EXPECT_NE(queue().broken_reason(), nullptr);
}

TEST_F(BrokenRingTest, AvailIndexJumpSeenByEnableNotificationsBreaksTheQueue) {
  // The index read when re-enabling kicks must be checked like any other:
  // otherwise pop() walks stale avail slots as if they were new.
  for (uint16_t i = 0; i < kDefaultSize; ++i) ring().set_desc(i, good());
  ring().set_avail_idx(1000);
  EXPECT_TRUE(queue().enable_notifications());
  EXPECT_EQ(pop().status, PopStatus::kBroken);
  EXPECT_NE(queue().broken_reason(), nullptr);
}

TEST_F(BrokenRingTest, HeadBeyondTheQueueBreaksTheQueue) {
  ring().set_desc(0, good());
  ring().push_avail(kDefaultSize);
  EXPECT_EQ(pop().status, PopStatus::kBroken);
  ASSERT_NE(queue().broken_reason(), nullptr);
  ring().push_avail(0);
  EXPECT_EQ(pop().status, PopStatus::kBroken);
}

TEST_F(BrokenRingTest, ChainsBeforeTheBadEntryAreStillDelivered) {
  const uint16_t head = ring().post({{buf_, 4}});
  ring().push_avail(0xffff);
  expect_chain(head);
  EXPECT_EQ(pop().status, PopStatus::kBroken);
  // Already-popped chains can still be completed.
  complete(head, 4);
}

}  // namespace
}  // namespace unit
