// ChainReader / ChainWriter over arbitrary segmentations. Every segment is
// its own heap allocation, so a byte read or written past a segment's end
// is caught by the sanitizers, not just by the assertions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <numeric>
#include <span>
#include <vector>

#include "virtio/chain_io.hpp"
#include "virtio/guest_memory.hpp"

namespace {

using virtio::ChainReader;
using virtio::ChainWriter;
using virtio::HostSegment;
using Bytes = std::vector<uint8_t>;

// A byte stream cut into separately allocated segments of the given sizes.
class Segmented {
 public:
  explicit Segmented(std::vector<uint32_t> sizes, uint8_t first = 0) {
    uint8_t next = first;
    for (uint32_t len : sizes) {
      pieces_.push_back(std::make_unique<uint8_t[]>(len));
      for (uint32_t i = 0; i < len; ++i) pieces_.back()[i] = next++;
      segs_.push_back({pieces_.back().get(), len});
    }
  }

  std::span<const HostSegment> segs() const { return segs_; }
  Bytes contents() const {
    Bytes out;
    for (const HostSegment& s : segs_) out.insert(out.end(), s.data, s.data + s.len);
    return out;
  }

 private:
  std::vector<std::unique_ptr<uint8_t[]>> pieces_;
  std::vector<HostSegment> segs_;
};

Bytes iota_bytes(size_t n, uint8_t first = 0) {
  Bytes b(n);
  std::iota(b.begin(), b.end(), first);
  return b;
}

Bytes read_n(ChainReader& r, size_t n, size_t expect_got) {
  Bytes out(n, 0xee);
  EXPECT_EQ(r.read(out.data(), n), expect_got);
  out.resize(expect_got);
  return out;
}

// --- reader ---------------------------------------------------------------------

TEST(ChainReaderTest, RemainingStartsAtTheTotal) {
  Segmented s({1, 7, 3});
  ChainReader r(s.segs());
  EXPECT_EQ(r.remaining(), 11u);
}

TEST(ChainReaderTest, ReadsAcrossSegmentBoundaries) {
  Segmented s({1, 7, 3});
  ChainReader r(s.segs());
  EXPECT_EQ(read_n(r, 3, 3), iota_bytes(3, 0));  // 1 + 2
  EXPECT_EQ(r.remaining(), 8u);
  EXPECT_EQ(read_n(r, 6, 6), iota_bytes(6, 3));  // 5 + 1
  EXPECT_EQ(r.remaining(), 2u);
  EXPECT_EQ(read_n(r, 2, 2), iota_bytes(2, 9));
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ChainReaderTest, EveryChunkSizeReassemblesTheStream) {
  Segmented s({3, 1, 5, 2, 8, 1, 4});
  for (size_t chunk = 1; chunk <= 25; ++chunk) {
    SCOPED_TRACE(chunk);
    ChainReader r(s.segs());
    Bytes all;
    for (;;) {
      Bytes part(chunk);
      const size_t got = r.read(part.data(), chunk);
      if (got == 0) break;
      part.resize(got);
      all.insert(all.end(), part.begin(), part.end());
    }
    EXPECT_EQ(all, s.contents());
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(ChainReaderTest, PartialReadAtTheEnd) {
  Segmented s({4, 4});
  ChainReader r(s.segs());
  ASSERT_EQ(read_n(r, 5, 5).size(), 5u);
  Bytes out(10, 0xee);
  EXPECT_EQ(r.read(out.data(), 10), 3u);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 3), iota_bytes(3, 5));
  EXPECT_EQ(out[3], 0xee);  // nothing written past what was read
  EXPECT_EQ(r.read(out.data(), 10), 0u);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ChainReaderTest, SkipAcrossSegments) {
  Segmented s({2, 2, 2, 2});
  ChainReader r(s.segs());
  EXPECT_EQ(r.skip(3), 3u);
  EXPECT_EQ(r.remaining(), 5u);
  EXPECT_EQ(read_n(r, 2, 2), iota_bytes(2, 3));
  EXPECT_EQ(r.skip(0), 0u);
  EXPECT_EQ(r.skip(100), 3u);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(r.skip(1), 0u);
}

TEST(ChainReaderTest, SkipExactlyToASegmentEnd) {
  Segmented s({4, 4});
  ChainReader r(s.segs());
  EXPECT_EQ(r.skip(4), 4u);
  EXPECT_EQ(read_n(r, 1, 1), iota_bytes(1, 4));
}

TEST(ChainReaderTest, ZeroLengthSegmentsAreStepppedOver) {
  Segmented s({0, 2, 0, 0, 3, 0});
  ChainReader r(s.segs());
  EXPECT_EQ(r.remaining(), 5u);
  EXPECT_EQ(read_n(r, 5, 5), iota_bytes(5));
  EXPECT_EQ(r.read(nullptr, 0), 0u);
}

TEST(ChainReaderTest, EmptyChain) {
  ChainReader r(std::span<const HostSegment>{});
  EXPECT_EQ(r.remaining(), 0u);
  uint8_t b = 0x55;
  EXPECT_EQ(r.read(&b, 1), 0u);
  EXPECT_EQ(b, 0x55);
  EXPECT_EQ(r.skip(1), 0u);
}

// --- writer ---------------------------------------------------------------------

TEST(ChainWriterTest, WritesAcrossSegmentBoundaries) {
  Segmented s({4, 4, 3}, 0xa0);
  ChainWriter w(s.segs());
  const Bytes data = iota_bytes(11);
  EXPECT_EQ(w.write(data.data(), 5), 5u);
  EXPECT_EQ(w.remaining(), 6u);
  EXPECT_EQ(w.write(data.data() + 5, 6), 6u);
  EXPECT_EQ(w.remaining(), 0u);
  EXPECT_EQ(s.contents(), data);
}

TEST(ChainWriterTest, PartialWriteAtTheEnd) {
  Segmented s({2, 3}, 0xa0);
  ChainWriter w(s.segs());
  const Bytes data = iota_bytes(8);
  EXPECT_EQ(w.write(data.data(), 8), 5u);
  EXPECT_EQ(s.contents(), iota_bytes(5));
  EXPECT_EQ(w.write(data.data(), 1), 0u);
}

TEST(ChainWriterTest, SkipLeavesBytesUntouched) {
  Segmented s({3, 3}, 0xa0);
  ChainWriter w(s.segs());
  const Bytes data = iota_bytes(2);
  EXPECT_EQ(w.skip(2), 2u);
  EXPECT_EQ(w.write(data.data(), 2), 2u);
  EXPECT_EQ(s.contents(), (Bytes{0xa0, 0xa1, 0, 1, 0xa4, 0xa5}));
  EXPECT_EQ(w.remaining(), 2u);
}

// --- copy_from ------------------------------------------------------------------

struct CopyCase {
  std::vector<uint32_t> from, to;
};

class CopyTest : public ::testing::TestWithParam<CopyCase> {};

TEST_P(CopyTest, CopiesTheSmallerLengthWhateverTheChunking) {
  const CopyCase& c = GetParam();
  const Segmented src(c.from);
  const Bytes expected = src.contents();
  const size_t total = std::min(expected.size(), Segmented(c.to).contents().size());
  for (size_t step = 1; step <= total + 1; ++step) {
    SCOPED_TRACE(testing::Message() << "step " << step);
    Segmented dst(c.to, 0xc0);
    ChainReader r(src.segs());
    ChainWriter w(dst.segs());
    size_t copied = 0;
    while (size_t n = w.copy_from(r, step)) copied += n;
    EXPECT_EQ(copied, total);
    const Bytes out = dst.contents();
    EXPECT_EQ(Bytes(out.begin(), out.begin() + total), Bytes(expected.begin(), expected.begin() + total));
    for (size_t i = total; i < out.size(); ++i) EXPECT_EQ(out[i], static_cast<uint8_t>(0xc0 + i));
    EXPECT_EQ(r.remaining(), expected.size() - total);
    EXPECT_EQ(w.remaining(), out.size() - total);
  }
}

INSTANTIATE_TEST_SUITE_P(Segmentations, CopyTest,
                         ::testing::Values(CopyCase{{1, 7, 3}, {4, 4, 3}},  // same length, seams differ
                                           CopyCase{{4, 4, 3}, {1, 7, 3}},
                                           CopyCase{{11}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
                                           CopyCase{{2, 9}, {5}},             // writer smaller
                                           CopyCase{{3}, {2, 2, 2, 2}},       // reader smaller
                                           CopyCase{{0, 5, 0}, {3, 0, 3}}));  // empty segments

TEST(ChainCopyTest, ZeroBytesCopyNothing) {
  Segmented src({3, 3});
  Segmented dst({3, 3}, 0xc0);
  const Bytes before = dst.contents();
  ChainReader r(src.segs());
  ChainWriter w(dst.segs());
  EXPECT_EQ(w.copy_from(r, 0), 0u);
  EXPECT_EQ(r.remaining(), 6u);
  EXPECT_EQ(w.remaining(), 6u);
  EXPECT_EQ(dst.contents(), before);
}

TEST(ChainCopyTest, WriterSmallerThanReaderLeavesTheRestReadable) {
  Segmented src({1, 7, 3});
  Segmented dst({2, 3}, 0xc0);
  ChainReader r(src.segs());
  ChainWriter w(dst.segs());
  EXPECT_EQ(w.copy_from(r, 100), 5u);
  EXPECT_EQ(dst.contents(), iota_bytes(5));
  EXPECT_EQ(r.remaining(), 6u);
  EXPECT_EQ(read_n(r, 6, 6), iota_bytes(6, 5));
}

TEST(ChainCopyTest, CopyAfterSkipOnBothSides) {
  Segmented src({1, 7, 3});
  Segmented dst({4, 4, 3}, 0xc0);
  ChainReader r(src.segs());
  ChainWriter w(dst.segs());
  ASSERT_EQ(r.skip(2), 2u);
  ASSERT_EQ(w.skip(3), 3u);
  EXPECT_EQ(w.copy_from(r, 6), 6u);
  const Bytes out = dst.contents();
  EXPECT_EQ(Bytes(out.begin() + 3, out.begin() + 9), iota_bytes(6, 2));
  EXPECT_EQ(out[2], 0xc2);
  EXPECT_EQ(out[9], 0xc9);
  EXPECT_EQ(r.remaining(), 3u);
  EXPECT_EQ(w.remaining(), 2u);
}

TEST(ChainCopyTest, EmptySourceOrDestination) {
  Segmented some({4});
  ChainReader empty_r(std::span<const HostSegment>{});
  ChainWriter w(some.segs());
  EXPECT_EQ(w.copy_from(empty_r, 4), 0u);
  EXPECT_EQ(w.remaining(), 4u);
  ChainReader r(some.segs());
  ChainWriter empty_w(std::span<const HostSegment>{});
  EXPECT_EQ(empty_w.copy_from(r, 4), 0u);
  EXPECT_EQ(r.remaining(), 4u);
}

}  // namespace
