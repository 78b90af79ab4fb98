// DescriptorChain::append: the ring-format-independent checks (ordering,
// total size, mapping) and the readable/writable split, without a ring.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "virtio/descriptor_chain.hpp"
#include "virtio/guest_memory.hpp"

namespace {

using virtio::ChainError;
using virtio::DescriptorChain;
using virtio::MemoryError;

class DescriptorChainTest : public ::testing::Test {
 protected:
  // Two gpa-adjacent regions whose host mappings are not adjacent.
  static constexpr uint64_t kLow = 0x10000, kHigh = 0x11000, kSize = 0x1000, kEnd = kHigh + kSize;
  static constexpr uint64_t kMax = DescriptorChain::kMaxChainBytes;

  void SetUp() override {
    ASSERT_EQ(mem.add({kLow, kSize, 0x100000, low.data()}), MemoryError::kNone);
    ASSERT_EQ(mem.add({kHigh, kSize, 0x200000, high.data()}), MemoryError::kNone);
    chain.reset(7);
  }

  std::vector<uint8_t> low = std::vector<uint8_t>(kSize);
  std::vector<uint8_t> high = std::vector<uint8_t>(kSize);
  virtio::GuestMemory mem;
  DescriptorChain chain;
};

TEST_F(DescriptorChainTest, ResetSetsHeadAndEmpties) {
  ASSERT_EQ(chain.append(mem, kLow, 16, false), ChainError::kNone);
  ASSERT_EQ(chain.append(mem, kLow + 16, 16, true), ChainError::kNone);
  chain.reset(3);
  EXPECT_EQ(chain.head(), 3);
  EXPECT_TRUE(chain.readable().empty());
  EXPECT_TRUE(chain.writable().empty());
  EXPECT_EQ(chain.readable_bytes(), 0u);
  EXPECT_EQ(chain.writable_bytes(), 0u);
  // A writable buffer before reset does not make readable ones illegal after.
  EXPECT_EQ(chain.append(mem, kLow, 4, false), ChainError::kNone);
}

TEST_F(DescriptorChainTest, ReadableThenWritableAreSplit) {
  ASSERT_EQ(chain.append(mem, kLow, 10, false), ChainError::kNone);
  ASSERT_EQ(chain.append(mem, kLow + 100, 20, false), ChainError::kNone);
  ASSERT_EQ(chain.append(mem, kHigh, 30, true), ChainError::kNone);
  ASSERT_EQ(chain.readable().size(), 2u);
  ASSERT_EQ(chain.writable().size(), 1u);
  EXPECT_EQ(chain.readable()[0].data, low.data());
  EXPECT_EQ(chain.readable()[0].len, 10u);
  EXPECT_EQ(chain.readable()[1].data, low.data() + 100);
  EXPECT_EQ(chain.readable()[1].len, 20u);
  EXPECT_EQ(chain.writable()[0].data, high.data());
  EXPECT_EQ(chain.writable()[0].len, 30u);
  EXPECT_EQ(chain.readable_bytes(), 30u);
  EXPECT_EQ(chain.writable_bytes(), 30u);
}

TEST_F(DescriptorChainTest, BufferAcrossRegionsBecomesTwoSegments) {
  ASSERT_EQ(chain.append(mem, kHigh - 6, 10, false), ChainError::kNone);
  ASSERT_EQ(chain.append(mem, kHigh - 3, 8, true), ChainError::kNone);
  ASSERT_EQ(chain.readable().size(), 2u);
  EXPECT_EQ(chain.readable()[0].data, low.data() + kSize - 6);
  EXPECT_EQ(chain.readable()[0].len, 6u);
  EXPECT_EQ(chain.readable()[1].data, high.data());
  EXPECT_EQ(chain.readable()[1].len, 4u);
  ASSERT_EQ(chain.writable().size(), 2u);
  EXPECT_EQ(chain.writable()[0].len, 3u);
  EXPECT_EQ(chain.writable()[1].len, 5u);
  EXPECT_EQ(chain.readable_bytes(), 10u);
  EXPECT_EQ(chain.writable_bytes(), 8u);
}

TEST_F(DescriptorChainTest, ZeroLengthBufferAddsNothing) {
  // Not even its address is checked: there is nothing to access.
  EXPECT_EQ(chain.append(mem, 0, 0, false), ChainError::kNone);
  EXPECT_EQ(chain.append(mem, kEnd + 0x1000, 0, true), ChainError::kNone);
  EXPECT_TRUE(chain.readable().empty());
  EXPECT_TRUE(chain.writable().empty());
}

TEST_F(DescriptorChainTest, ReadableAfterWritableIsRefused) {
  ASSERT_EQ(chain.append(mem, kLow, 8, false), ChainError::kNone);
  ASSERT_EQ(chain.append(mem, kLow + 8, 8, true), ChainError::kNone);
  EXPECT_EQ(chain.append(mem, kLow + 16, 8, false), ChainError::kReadableAfterWritable);
  EXPECT_EQ(chain.readable_bytes(), 8u);
  EXPECT_EQ(chain.readable().size(), 1u);
}

TEST_F(DescriptorChainTest, BufferOutsideMemoryIsRefused) {
  EXPECT_EQ(chain.append(mem, kLow - 1, 2, false), ChainError::kAddressOutOfMemory);
  EXPECT_EQ(chain.append(mem, kEnd - 1, 2, false), ChainError::kAddressOutOfMemory);
  EXPECT_EQ(chain.append(mem, kEnd, 1, true), ChainError::kAddressOutOfMemory);
  EXPECT_EQ(chain.append(mem, 0, 1, true), ChainError::kAddressOutOfMemory);
  EXPECT_EQ(chain.readable_bytes() + chain.writable_bytes(), 0u);
}

TEST_F(DescriptorChainTest, BufferWrappingPastTopOfAddressSpaceIsRefused) {
  const uint64_t top = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(chain.append(mem, top - 7, 16, false), ChainError::kAddressOutOfMemory);
  EXPECT_EQ(chain.append(mem, top, 2, true), ChainError::kAddressOutOfMemory);
}

TEST_F(DescriptorChainTest, MaximalLengthIsTooLarge) {
  EXPECT_EQ(chain.append(mem, kLow, std::numeric_limits<uint32_t>::max(), false), ChainError::kTooLarge);
  EXPECT_EQ(chain.append(mem, kLow, std::numeric_limits<uint32_t>::max(), true), ChainError::kTooLarge);
}

TEST_F(DescriptorChainTest, TotalSizeLimitIsInclusive) {
  // The size check comes before the mapping check, so an unmapped buffer of
  // exactly the remaining budget fails on mapping, one byte more on size.
  ASSERT_EQ(chain.append(mem, kLow, 100, false), ChainError::kNone);
  ASSERT_EQ(chain.append(mem, kHigh, 28, true), ChainError::kNone);
  const auto left = static_cast<uint32_t>(kMax - 128);
  EXPECT_EQ(chain.append(mem, 0x80000000, left, true), ChainError::kAddressOutOfMemory);
  EXPECT_EQ(chain.append(mem, 0x80000000, left + 1, true), ChainError::kTooLarge);
  EXPECT_EQ(chain.append(mem, kHigh, static_cast<uint32_t>(kMax), true), ChainError::kTooLarge);
}

TEST_F(DescriptorChainTest, ReuseAfterResetDropsOldSegments) {
  for (uint16_t head = 0; head < 3; ++head) {
    chain.reset(head);
    ASSERT_EQ(chain.append(mem, kLow + head, 1, false), ChainError::kNone);
    ASSERT_EQ(chain.append(mem, kHigh + head, 2, true), ChainError::kNone);
    ASSERT_EQ(chain.readable().size(), 1u);
    ASSERT_EQ(chain.writable().size(), 1u);
    EXPECT_EQ(chain.readable()[0].data, low.data() + head);
    EXPECT_EQ(chain.writable()[0].data, high.data() + head);
  }
}

TEST_F(DescriptorChainTest, ManySegmentsBeyondTheReservedCapacity) {
  for (uint64_t i = 0; i < 200; ++i) ASSERT_EQ(chain.append(mem, kLow + i, 1, false), ChainError::kNone);
  for (uint64_t i = 0; i < 200; ++i) ASSERT_EQ(chain.append(mem, kHigh + i, 1, true), ChainError::kNone);
  ASSERT_EQ(chain.readable().size(), 200u);
  ASSERT_EQ(chain.writable().size(), 200u);
  EXPECT_EQ(chain.readable()[199].data, low.data() + 199);
  EXPECT_EQ(chain.writable()[199].data, high.data() + 199);
}

TEST(ChainErrorTest, ErrorsHaveDistinctDescriptions) {
  std::set<std::string> seen;
  for (int e = 0; e <= static_cast<int>(ChainError::kTooLarge); ++e) {
    const std::string s = virtio::to_string(static_cast<ChainError>(e));
    EXPECT_NE(s, "unknown chain error");
    EXPECT_TRUE(seen.insert(s).second) << s;
  }
}

}  // namespace
