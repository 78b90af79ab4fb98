// GuestMemory: region table checks, bounds-checked translation in both
// address spaces, splitting ranges across adjacent regions, and the
// last-hit lookup cache.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "virtio/guest_memory.hpp"

namespace {

using virtio::GuestMemory;
using virtio::HostSegment;
using virtio::MemoryError;
using virtio::MemoryRegion;

constexpr uint64_t kTop = std::numeric_limits<uint64_t>::max();

class GuestMemoryTest : public ::testing::Test {
 protected:
  // Real host storage so that every pointer handed out is a valid one.
  uint8_t* host(size_t offset) { return backing_.data() + offset; }

  // A region of `size` bytes at `gpa`, user address `user`, host at `off`.
  MemoryRegion region(uint64_t gpa, uint64_t size, uint64_t user, size_t off = 0) {
    return {gpa, size, user, host(off)};
  }

  std::vector<HostSegment> segments(uint64_t gpa, uint32_t len, bool* ok = nullptr) {
    std::vector<HostSegment> out;
    const bool mapped = mem.for_each_segment(gpa, len, [&](HostSegment s) { out.push_back(s); });
    if (ok != nullptr) *ok = mapped;
    return out;
  }

  GuestMemory mem;

 private:
  std::vector<uint8_t> backing_ = std::vector<uint8_t>(64 * 1024);
};

// --- add / remove -----------------------------------------------------------

TEST_F(GuestMemoryTest, AddRejectsEmptyRegion) {
  EXPECT_EQ(mem.add(region(0x1000, 0, 0x5000)), MemoryError::kEmptyRegion);
  EXPECT_EQ(mem.size(), 0u);
}

TEST_F(GuestMemoryTest, AddRejectsRegionWrappingInGuestPhysicalSpace) {
  EXPECT_EQ(mem.add(region(kTop - 0xfff, 0x2000, 0x5000)), MemoryError::kWrapsAround);
  EXPECT_EQ(mem.add(region(1, kTop, 0x5000)), MemoryError::kWrapsAround);
  EXPECT_EQ(mem.size(), 0u);
}

TEST_F(GuestMemoryTest, AddRejectsRegionWrappingInUserSpace) {
  EXPECT_EQ(mem.add(region(0x1000, 0x2000, kTop - 0xfff)), MemoryError::kWrapsAround);
  EXPECT_EQ(mem.size(), 0u);
}

TEST_F(GuestMemoryTest, AddAcceptsRegionsEndingAtTheTopOfEitherSpace) {
  EXPECT_EQ(mem.add(region(kTop - 0xfff, 0x1000, 0x5000)), MemoryError::kNone);
  EXPECT_EQ(mem.add(region(0x1000, 0x1000, kTop - 0xfff)), MemoryError::kNone);
  EXPECT_EQ(mem.translate_gpa(kTop, 1), host(0xfff));
  EXPECT_EQ(mem.translate_user(kTop - 0xfff, 0x1000), host(0));
}

TEST_F(GuestMemoryTest, AddRejectsOverlapInGuestPhysicalSpace) {
  ASSERT_EQ(mem.add(region(0x10000, 0x1000, 0x100000)), MemoryError::kNone);
  struct Case {
    uint64_t gpa, size;
  };
  // User addresses are kept disjoint so only the gpa overlap can be the reason.
  const Case cases[] = {{0x10000, 0x1000}, {0xf000, 0x1001},  {0x10fff, 0x10},
                        {0x10800, 0x100},  {0xf000, 0x10000}, {0x10000, 1}};
  uint64_t user = 0x900000;
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << std::hex << "gpa 0x" << c.gpa << " size 0x" << c.size);
    EXPECT_EQ(mem.add(region(c.gpa, c.size, user)), MemoryError::kOverlaps);
    user += 0x100000;
  }
  EXPECT_EQ(mem.size(), 1u);
}

TEST_F(GuestMemoryTest, AddRejectsOverlapInUserSpace) {
  ASSERT_EQ(mem.add(region(0x10000, 0x1000, 0x100000)), MemoryError::kNone);
  EXPECT_EQ(mem.add(region(0x90000, 0x1000, 0x100fff)), MemoryError::kOverlaps);
  EXPECT_EQ(mem.add(region(0x90000, 0x1000, 0xff001)), MemoryError::kOverlaps);
  EXPECT_EQ(mem.add(region(0x90000, 0x10, 0x100400)), MemoryError::kOverlaps);
  EXPECT_EQ(mem.size(), 1u);
}

TEST_F(GuestMemoryTest, AdjacentRegionsDoNotOverlap) {
  ASSERT_EQ(mem.add(region(0x10000, 0x1000, 0x100000)), MemoryError::kNone);
  EXPECT_EQ(mem.add(region(0x11000, 0x1000, 0x101000)), MemoryError::kNone);
  EXPECT_EQ(mem.add(region(0xf000, 0x1000, 0xff000)), MemoryError::kNone);
  EXPECT_EQ(mem.size(), 3u);
}

TEST_F(GuestMemoryTest, RegionsAreKeptSortedByGuestPhysicalAddress) {
  for (uint64_t gpa : {0x30000, 0x10000, 0x50000, 0x20000}) ASSERT_EQ(mem.add(region(gpa, 0x100, gpa)), MemoryError::kNone);
  std::vector<uint64_t> order;
  for (const MemoryRegion& r : mem.regions()) order.push_back(r.guest_phys_addr);
  EXPECT_EQ(order, (std::vector<uint64_t>{0x10000, 0x20000, 0x30000, 0x50000}));
}

TEST_F(GuestMemoryTest, AddRefusesMoreThanMaxRegions) {
  GuestMemory small(2);
  ASSERT_EQ(small.add(region(0x1000, 0x100, 0x1000)), MemoryError::kNone);
  ASSERT_EQ(small.add(region(0x2000, 0x100, 0x2000)), MemoryError::kNone);
  EXPECT_EQ(small.add(region(0x3000, 0x100, 0x3000)), MemoryError::kTooManyRegions);
  EXPECT_EQ(small.size(), 2u);
  ASSERT_EQ(small.remove(0x1000, 0x100), MemoryError::kNone);
  EXPECT_EQ(small.add(region(0x3000, 0x100, 0x3000)), MemoryError::kNone);
}

TEST_F(GuestMemoryTest, RemoveNeedsExactStartAndSize) {
  ASSERT_EQ(mem.add(region(0x10000, 0x1000, 0x100000)), MemoryError::kNone);
  EXPECT_EQ(mem.remove(0x10000, 0x800), MemoryError::kNotFound);
  EXPECT_EQ(mem.remove(0x10800, 0x800), MemoryError::kNotFound);
  EXPECT_EQ(mem.remove(0x20000, 0x1000), MemoryError::kNotFound);
  EXPECT_NE(mem.translate_gpa(0x10000, 1), nullptr);
  EXPECT_EQ(mem.remove(0x10000, 0x1000), MemoryError::kNone);
  EXPECT_EQ(mem.size(), 0u);
  EXPECT_EQ(mem.translate_gpa(0x10000, 1), nullptr);
  EXPECT_EQ(mem.translate_user(0x100000, 1), nullptr);
  EXPECT_EQ(mem.remove(0x10000, 0x1000), MemoryError::kNotFound);
}

TEST_F(GuestMemoryTest, ClearDropsEveryRegion) {
  ASSERT_EQ(mem.add(region(0x10000, 0x1000, 0x100000)), MemoryError::kNone);
  ASSERT_NE(mem.translate_gpa(0x10000, 1), nullptr);
  mem.clear();
  EXPECT_EQ(mem.size(), 0u);
  EXPECT_EQ(mem.translate_gpa(0x10000, 1), nullptr);
  EXPECT_EQ(mem.add(region(0x10000, 0x1000, 0x100000)), MemoryError::kNone);
}

TEST_F(GuestMemoryTest, ErrorsHaveDistinctDescriptions) {
  std::set<std::string> seen;
  for (MemoryError e : {MemoryError::kNone, MemoryError::kEmptyRegion, MemoryError::kWrapsAround,
                        MemoryError::kOverlaps, MemoryError::kTooManyRegions, MemoryError::kNotFound})
    EXPECT_TRUE(seen.insert(virtio::to_string(e)).second) << virtio::to_string(e);
}

// --- single-region translation ----------------------------------------------

class TranslateTest : public GuestMemoryTest {
 protected:
  static constexpr uint64_t kGpa = 0x40000, kUser = 0x7f0000000000, kSize = 0x2000;
  void SetUp() override { ASSERT_EQ(mem.add(region(kGpa, kSize, kUser, 0x100)), MemoryError::kNone); }
};

TEST_F(TranslateTest, InsideTheRegion) {
  EXPECT_EQ(mem.translate_gpa(kGpa, 1), host(0x100));
  EXPECT_EQ(mem.translate_gpa(kGpa + 0x123, 0x10), host(0x223));
  EXPECT_EQ(mem.translate_gpa(kGpa, kSize), host(0x100));
  EXPECT_EQ(mem.translate_user(kUser + 0x123, 0x10), host(0x223));
  EXPECT_EQ(mem.translate_user(kUser, kSize), host(0x100));
}

TEST_F(TranslateTest, UpToTheExactEnd) {
  EXPECT_EQ(mem.translate_gpa(kGpa + kSize - 1, 1), host(0x100 + kSize - 1));
  EXPECT_EQ(mem.translate_gpa(kGpa + 0x10, kSize - 0x10), host(0x110));
  EXPECT_EQ(mem.translate_user(kUser + kSize - 1, 1), host(0x100 + kSize - 1));
}

TEST_F(TranslateTest, OneBytePastTheEnd) {
  EXPECT_EQ(mem.translate_gpa(kGpa, kSize + 1), nullptr);
  EXPECT_EQ(mem.translate_gpa(kGpa + kSize - 1, 2), nullptr);
  EXPECT_EQ(mem.translate_gpa(kGpa + kSize, 1), nullptr);
  EXPECT_EQ(mem.translate_user(kUser, kSize + 1), nullptr);
  EXPECT_EQ(mem.translate_user(kUser + kSize - 1, 2), nullptr);
  EXPECT_EQ(mem.translate_user(kUser + kSize, 1), nullptr);
}

TEST_F(TranslateTest, BeforeTheStart) {
  EXPECT_EQ(mem.translate_gpa(kGpa - 1, 1), nullptr);
  EXPECT_EQ(mem.translate_gpa(kGpa - 1, 2), nullptr);
  EXPECT_EQ(mem.translate_user(kUser - 1, 2), nullptr);
  EXPECT_EQ(mem.translate_gpa(0, 1), nullptr);
}

TEST_F(TranslateTest, ZeroLength) {
  EXPECT_EQ(mem.translate_gpa(kGpa + 5, 0), host(0x105));
  EXPECT_EQ(mem.translate_user(kUser + 5, 0), host(0x105));
  EXPECT_EQ(mem.translate_gpa(kGpa + kSize + 5, 0), nullptr);  // unmapped start
}

TEST_F(TranslateTest, WrappingLengthIsRefused) {
  EXPECT_EQ(mem.translate_gpa(kGpa + 0x10, kTop), nullptr);
  EXPECT_EQ(mem.translate_gpa(kGpa + 0x10, kTop - kGpa), nullptr);
  EXPECT_EQ(mem.translate_user(kUser + 0x10, kTop), nullptr);
  EXPECT_EQ(mem.translate_user(kUser + 0x10, kTop - kUser), nullptr);
}

TEST_F(TranslateTest, GpaAndUserSpacesAreNotConfused) {
  EXPECT_EQ(mem.translate_gpa(kUser, 1), nullptr);
  EXPECT_EQ(mem.translate_user(kGpa, 1), nullptr);
}

TEST_F(TranslateTest, SegmentsInsideOneRegion) {
  bool ok = false;
  const auto segs = segments(kGpa + 0x10, 0x20, &ok);
  EXPECT_TRUE(ok);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].data, host(0x110));
  EXPECT_EQ(segs[0].len, 0x20u);
}

TEST_F(TranslateTest, ZeroLengthSegmentsEmitNothing) {
  bool ok = false;
  EXPECT_TRUE(segments(kGpa, 0, &ok).empty());
  EXPECT_TRUE(ok);
}

TEST_F(TranslateTest, WrappingSegmentsAreRefusedBeforeEmitting) {
  // Both ends of the space are mapped: without the wrap check the walk
  // would continue from the top region into the one at gpa 0.
  ASSERT_EQ(mem.add(region(0, 0x1000, 0x1000)), MemoryError::kNone);
  ASSERT_EQ(mem.add(region(kTop - 0xfff, 0x1000, 0x900000)), MemoryError::kNone);
  bool ok = true;
  EXPECT_TRUE(segments(kTop - 0xf, 0x11, &ok).empty());
  EXPECT_FALSE(ok);
  EXPECT_TRUE(segments(kTop, std::numeric_limits<uint32_t>::max(), &ok).empty());
  EXPECT_FALSE(ok);
}

TEST_F(TranslateTest, SegmentsEndingAtTheTopOfTheSpace) {
  ASSERT_EQ(mem.add(region(kTop - 0xfff, 0x1000, 0x900000, 0x4000)), MemoryError::kNone);
  bool ok = false;
  const auto segs = segments(kTop - 0xf, 0x10, &ok);
  EXPECT_TRUE(ok);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].data, host(0x4ff0));
  EXPECT_EQ(segs[0].len, 0x10u);
}

// --- several regions --------------------------------------------------------

class MultiRegionTest : public GuestMemoryTest {
 protected:
  // A and B are adjacent in gpa space but far apart on the host; C sits
  // behind a hole.
  static constexpr uint64_t kA = 0x10000, kB = 0x11000, kC = 0x20000, kSize = 0x1000;
  void SetUp() override {
    ASSERT_EQ(mem.add(region(kA, kSize, 0x100000, 0x0000)), MemoryError::kNone);
    ASSERT_EQ(mem.add(region(kB, kSize, 0x300000, 0x8000)), MemoryError::kNone);
    ASSERT_EQ(mem.add(region(kC, kSize, 0x500000, 0x2000)), MemoryError::kNone);
  }
};

TEST_F(MultiRegionTest, SingleTranslationRefusesToCrossRegions) {
  EXPECT_EQ(mem.translate_gpa(kB - 0x10, 0x20), nullptr);
  EXPECT_EQ(mem.translate_gpa(kB - 0x10, 0x10), host(kSize - 0x10));
  EXPECT_EQ(mem.translate_gpa(kB, 0x10), host(0x8000));
}

TEST_F(MultiRegionTest, SegmentsSplitAtTheSeam) {
  bool ok = false;
  const auto segs = segments(kB - 0x10, 0x30, &ok);
  EXPECT_TRUE(ok);
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[0].data, host(kSize - 0x10));
  EXPECT_EQ(segs[0].len, 0x10u);
  EXPECT_EQ(segs[1].data, host(0x8000));
  EXPECT_EQ(segs[1].len, 0x20u);
}

TEST_F(MultiRegionTest, SegmentsCoveringBothRegionsWhole) {
  bool ok = false;
  const auto segs = segments(kA, 2 * kSize, &ok);
  EXPECT_TRUE(ok);
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[0].len + segs[1].len, 2 * kSize);
  EXPECT_EQ(segs[1].data, host(0x8000));
}

TEST_F(MultiRegionTest, HoleBetweenRegionsIsUnmapped) {
  EXPECT_EQ(mem.translate_gpa(kB + kSize, 1), nullptr);
  EXPECT_EQ(mem.translate_gpa(kC - 1, 1), nullptr);
  EXPECT_EQ(mem.translate_gpa(kB + kSize - 1, 2), nullptr);
  bool ok = true;
  // Emits the mapped prefix, then reports the hole.
  const auto segs = segments(kB + kSize - 0x10, 0x20, &ok);
  EXPECT_FALSE(ok);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].len, 0x10u);
  EXPECT_TRUE(segments(kB + kSize + 0x10, 0x10, &ok).empty());
  EXPECT_FALSE(ok);
  EXPECT_TRUE(segments(kC - 0x10, 0x20, &ok).empty());
  EXPECT_FALSE(ok);
}

TEST_F(MultiRegionTest, TranslateUserFindsEachRegion) {
  EXPECT_EQ(mem.translate_user(0x100000, kSize), host(0));
  EXPECT_EQ(mem.translate_user(0x300010, 0x10), host(0x8010));
  EXPECT_EQ(mem.translate_user(0x500000 + kSize - 1, 1), host(0x2000 + kSize - 1));
  EXPECT_EQ(mem.translate_user(0x100000 + kSize - 1, 2), nullptr);
}

TEST_F(MultiRegionTest, LastHitCacheFollowsRemoveAndAdd) {
  // Prime the cache on B, then remove B: the same address must miss.
  ASSERT_EQ(mem.translate_gpa(kB + 4, 1), host(0x8004));
  ASSERT_EQ(mem.remove(kB, kSize), MemoryError::kNone);
  EXPECT_EQ(mem.translate_gpa(kB + 4, 1), nullptr);
  // A new region at B's address, backed elsewhere, must be the one found.
  ASSERT_EQ(mem.add(region(kB, kSize, 0x300000, 0xa000)), MemoryError::kNone);
  EXPECT_EQ(mem.translate_gpa(kB + 4, 1), host(0xa004));
  // Prime on C (index 2), then insert a region in front, shifting indexes.
  ASSERT_EQ(mem.translate_gpa(kC + 8, 1), host(0x2008));
  ASSERT_EQ(mem.add(region(0x1000, kSize, 0x700000, 0xc000)), MemoryError::kNone);
  EXPECT_EQ(mem.translate_gpa(kB + 4, 1), host(0xa004));
  EXPECT_EQ(mem.translate_gpa(kC + 8, 1), host(0x2008));
  EXPECT_EQ(mem.translate_gpa(0x1008, 1), host(0xc008));
  // Prime on the last region, remove one in front of it.
  ASSERT_EQ(mem.translate_gpa(kC, 1), host(0x2000));
  ASSERT_EQ(mem.remove(0x1000, kSize), MemoryError::kNone);
  EXPECT_EQ(mem.translate_gpa(kC, 1), host(0x2000));
  EXPECT_EQ(mem.translate_gpa(kA, 1), host(0));
  EXPECT_EQ(mem.translate_gpa(0x1008, 1), nullptr);
}

// --- many regions -----------------------------------------------------------

TEST_F(GuestMemoryTest, FullTableOf509RegionsIsSearchedCorrectly) {
  constexpr size_t kRegions = 509, kLen = 16, kStride = 64;
  std::vector<size_t> order(kRegions);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(509);
  std::shuffle(order.begin(), order.end(), rng);
  auto gpa_of = [](size_t i) { return 0x100000 + i * kStride; };
  for (size_t i : order) ASSERT_EQ(mem.add(region(gpa_of(i), kLen, 0x900000 + i * kStride, i * kLen)), MemoryError::kNone);
  EXPECT_EQ(mem.add(region(0x10, kLen, 0x10)), MemoryError::kTooManyRegions);

  // Sequential, then random lookups: every hit lands in the right region,
  // and the holes between regions stay unmapped whatever was cached before.
  std::vector<size_t> lookups(kRegions);
  std::iota(lookups.begin(), lookups.end(), 0);
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i : lookups) {
      SCOPED_TRACE(i);
      ASSERT_EQ(mem.translate_gpa(gpa_of(i) + 3, 1), host(i * kLen + 3));
      ASSERT_EQ(mem.translate_gpa(gpa_of(i) + kLen - 1, 1), host(i * kLen + kLen - 1));
      ASSERT_EQ(mem.translate_gpa(gpa_of(i) + kLen, 1), nullptr);
      ASSERT_EQ(mem.translate_gpa(gpa_of(i) - 1, 1), nullptr);
      ASSERT_EQ(mem.translate_user(0x900000 + i * kStride, kLen), host(i * kLen));
    }
    std::shuffle(lookups.begin(), lookups.end(), rng);
  }

  // Remove every other region; lookups must follow.
  for (size_t i = 0; i < kRegions; i += 2) ASSERT_EQ(mem.remove(gpa_of(i), kLen), MemoryError::kNone);
  for (size_t i : lookups) {
    SCOPED_TRACE(i);
    ASSERT_EQ(mem.translate_gpa(gpa_of(i) + 1, 1), i % 2 ? host(i * kLen + 1) : nullptr);
  }
}

}  // namespace
