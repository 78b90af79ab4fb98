// virtio-net header layout and size, and the feature-bit helpers it uses.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "virtio/features.hpp"
#include "virtio/net_header.hpp"

namespace {

using virtio::bit;
using virtio::net_header_size;
using virtio::NetHeader;
namespace feature = virtio::feature;

static_assert(sizeof(NetHeader) == 12);
static_assert(offsetof(NetHeader, flags) == 0);
static_assert(offsetof(NetHeader, gso_type) == 1);
static_assert(offsetof(NetHeader, hdr_len) == 2);
static_assert(offsetof(NetHeader, gso_size) == 4);
static_assert(offsetof(NetHeader, csum_start) == 6);
static_assert(offsetof(NetHeader, csum_offset) == 8);
static_assert(offsetof(NetHeader, num_buffers) == 10);
static_assert(virtio::kLegacyNetHeaderSize == offsetof(NetHeader, num_buffers));

TEST(NetHeaderTest, SizeDependsOnVersion1AndMergeableBuffers) {
  EXPECT_EQ(net_header_size(0), 10u);
  EXPECT_EQ(net_header_size(bit(feature::kVersion1)), 12u);
  EXPECT_EQ(net_header_size(bit(feature::kNetMrgRxbuf)), 12u);
  EXPECT_EQ(net_header_size(bit(feature::kVersion1) | bit(feature::kNetMrgRxbuf)), 12u);
}

TEST(NetHeaderTest, OtherFeaturesDoNotChangeTheSize) {
  const uint64_t others = bit(feature::kRingIndirectDesc) | bit(feature::kRingEventIdx) | bit(feature::kNetMac) |
                          bit(feature::kNetMq) | bit(feature::kAnyLayout) | bit(feature::kRingPacked);
  EXPECT_EQ(net_header_size(others), 10u);
  EXPECT_EQ(net_header_size(others | bit(feature::kVersion1)), 12u);
  EXPECT_EQ(net_header_size(~bit(feature::kVersion1) & ~bit(feature::kNetMrgRxbuf)), 10u);
}

TEST(NetHeaderTest, NumBuffersIsLittleEndianAtOffset10) {
  NetHeader h{};
  h.num_buffers = 0x0203;
  uint8_t raw[sizeof h];
  std::memcpy(raw, &h, sizeof h);
  EXPECT_EQ(raw[10], 0x03);
  EXPECT_EQ(raw[11], 0x02);
}

TEST(FeatureBitsTest, BitAndHas) {
  EXPECT_EQ(bit(0), 1u);
  EXPECT_EQ(bit(feature::kVersion1), uint64_t{1} << 32);
  EXPECT_EQ(bit(63), uint64_t{1} << 63);
  const uint64_t f = bit(feature::kVersion1) | bit(feature::kRingEventIdx);
  EXPECT_TRUE(virtio::has(f, feature::kVersion1));
  EXPECT_TRUE(virtio::has(f, feature::kRingEventIdx));
  EXPECT_FALSE(virtio::has(f, feature::kRingIndirectDesc));
  EXPECT_FALSE(virtio::has(f, 0));
  // The spec's bit numbers.
  EXPECT_EQ(feature::kNetMrgRxbuf, 15u);
  EXPECT_EQ(feature::kRingIndirectDesc, 28u);
  EXPECT_EQ(feature::kRingEventIdx, 29u);
  EXPECT_EQ(feature::kVersion1, 32u);
}

}  // namespace
