// SplitQueue with well-formed rings: popping chains (direct and indirect),
// the used ring, unpop, layout validation and 16-bit index wraparound.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <iterator>
#include <vector>

#include "tests/unit/ring_fixture.hpp"
#include "virtio/ring_layout.hpp"

namespace unit {
namespace {

using virtio::ChainError;
using virtio::PopStatus;
using virtio::SplitQueue;

using SplitQueueTest = RingTest;

TEST_F(SplitQueueTest, EmptyQueue) {
  start();
  EXPECT_EQ(pop().status, PopStatus::kEmpty);
  EXPECT_EQ(pop().status, PopStatus::kEmpty);
  EXPECT_EQ(queue().next_avail(), 0);
  EXPECT_EQ(queue().broken_reason(), nullptr);
}

TEST_F(SplitQueueTest, SimpleChain) {
  start();
  const Bytes frame = pattern(60);
  const uint16_t head = ring().post({{put(frame), 60}});
  expect_chain(head);
  EXPECT_EQ(gather(chain.readable()), frame);
  EXPECT_TRUE(chain.writable().empty());
  EXPECT_EQ(chain.readable_bytes(), 60u);
  EXPECT_EQ(queue().next_avail(), 1);
  EXPECT_EQ(pop().status, PopStatus::kEmpty);
}

TEST_F(SplitQueueTest, ReadableThenWritable) {
  start();
  const Bytes request = bytes("request");
  const uint64_t reply = space(32);
  const uint16_t head = ring().post({{put(request), 7}, {reply, 32, true}});
  expect_chain(head);
  EXPECT_EQ(gather(chain.readable()), request);
  ASSERT_EQ(chain.writable().size(), 1u);
  EXPECT_EQ(chain.writable()[0].data, tm.host(reply));
  EXPECT_EQ(chain.writable_bytes(), 32u);
}

TEST_F(SplitQueueTest, MultiDescriptorChain) {
  start();
  const Bytes a = pattern(5, 1), b = pattern(17, 2), c = pattern(1, 3);
  const uint64_t w1 = space(8), w2 = space(9);
  const uint16_t head = ring().post({{put(a), 5}, {put(b), 17}, {put(c), 1}, {w1, 8, true}, {w2, 9, true}});
  expect_chain(head);
  Bytes expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  expected.insert(expected.end(), c.begin(), c.end());
  EXPECT_EQ(gather(chain.readable()), expected);
  ASSERT_EQ(chain.writable().size(), 2u);
  EXPECT_EQ(chain.writable()[0].data, tm.host(w1));
  EXPECT_EQ(chain.writable()[1].data, tm.host(w2));
  EXPECT_EQ(chain.writable_bytes(), 17u);
}

TEST_F(SplitQueueTest, ChainUsingEveryDescriptorIsAccepted) {
  make_ring(4);
  start();
  const uint64_t buf = put(pattern(4));
  const uint16_t head = ring().post({{buf, 1}, {buf + 1, 1}, {buf + 2, 1}, {buf + 3, 1, true}});
  expect_chain(head);
  EXPECT_EQ(chain.readable_bytes(), 3u);
  EXPECT_EQ(chain.writable_bytes(), 1u);
}

TEST_F(SplitQueueTest, ZeroLengthDescriptorsAreSkipped) {
  start();
  const Bytes data = pattern(10);
  const uint16_t head = ring().post({{put(data), 0}, {put(data), 10}, {space(4), 0, true}});
  expect_chain(head);
  EXPECT_EQ(chain.readable().size(), 1u);
  EXPECT_TRUE(chain.writable().empty());
  EXPECT_EQ(gather(chain.readable()), data);
}

TEST_F(SplitQueueTest, BufferAcrossTwoRegionsIsSplit) {
  // Describe the same block as two gpa-adjacent regions: the seam falls
  // inside the buffer.
  mem.clear();
  const uint64_t half = kMemSize / 2;
  ASSERT_EQ(mem.add({tm.gpa_base(), half, tm.user_addr(tm.gpa_base()), tm.host(tm.gpa_base())}),
            virtio::MemoryError::kNone);
  ASSERT_EQ(mem.add({tm.gpa_base() + half, half, tm.user_addr(tm.gpa_base() + half), tm.host(tm.gpa_base() + half)}),
            virtio::MemoryError::kNone);
  start();
  const Bytes data = pattern(100);
  const uint64_t gpa = tm.gpa_base() + half - 30;
  tm.write(gpa, data.data(), data.size());
  const uint16_t head = ring().post({{gpa, 100}});
  expect_chain(head);
  ASSERT_EQ(chain.readable().size(), 2u);
  EXPECT_EQ(chain.readable()[0].len, 30u);
  EXPECT_EQ(chain.readable()[1].len, 70u);
  EXPECT_EQ(gather(chain.readable()), data);
}

TEST_F(SplitQueueTest, ChainsArePoppedInAvailOrder) {
  start();
  const uint64_t buf = put(pattern(8));
  // Descriptors written first, then made available out of table order.
  for (uint16_t i = 0; i < 4; ++i) ring().set_desc(i, {buf + i, uint32_t{1} + i, 0, 0});
  for (uint16_t head : {2, 0, 3, 1}) ring().push_avail(head);
  for (uint16_t head : {2, 0, 3, 1}) {
    expect_chain(head);
    EXPECT_EQ(chain.readable_bytes(), head + 1u);
    EXPECT_EQ(chain.readable()[0].data, tm.host(buf + head));
  }
  EXPECT_EQ(pop().status, PopStatus::kEmpty);
}

TEST_F(SplitQueueTest, IndirectChain) {
  start({.indirect = true});
  const Bytes hdr = pattern(12, 4), body = pattern(300, 5);
  const uint64_t out = space(64);
  const uint16_t head = ring().post_indirect({{put(hdr), 12}, {put(body), 300}, {out, 64, true}});
  expect_chain(head);
  Bytes expected = hdr;
  expected.insert(expected.end(), body.begin(), body.end());
  EXPECT_EQ(gather(chain.readable()), expected);
  ASSERT_EQ(chain.writable().size(), 1u);
  EXPECT_EQ(chain.writable()[0].data, tm.host(out));
  EXPECT_EQ(chain.writable_bytes(), 64u);
}

TEST_F(SplitQueueTest, IndirectTableMayBeLongerThanTheQueue) {
  make_ring(2);
  start({.indirect = true});
  const uint64_t buf = put(pattern(16));
  std::vector<Buf> bufs;
  for (uint32_t i = 0; i < 16; ++i) bufs.push_back({buf + i, 1, i >= 10});
  const uint16_t head = ring().post_indirect(bufs);
  expect_chain(head);
  EXPECT_EQ(chain.readable_bytes(), 10u);
  EXPECT_EQ(chain.writable_bytes(), 6u);
}

TEST_F(SplitQueueTest, IndirectWithoutTheFeatureIsABadChainThatCanBeCompleted) {
  start();
  const uint16_t head = ring().post_indirect({{put(pattern(8)), 8}});
  expect_bad_chain(head, ChainError::kIndirectNotNegotiated);
  complete(head);
  // The queue goes on working.
  const uint16_t next = ring().post({{put(pattern(4)), 4}});
  expect_chain(next);
}

// --- used ring ----------------------------------------------------------------

TEST_F(SplitQueueTest, UsedEntriesBecomeVisibleOnlyOnPublish) {
  start();
  EXPECT_FALSE(queue().has_unpublished());
  queue().add_used(5, 100);
  queue().add_used(2, 0);
  queue().add_used(7, 0xffffffff);
  EXPECT_TRUE(queue().has_unpublished());
  EXPECT_EQ(ring().used_idx(), 0);  // nothing published yet
  EXPECT_TRUE(queue().publish_used());
  EXPECT_EQ(ring().used_idx(), 3);  // all three in one idx update
  EXPECT_FALSE(queue().has_unpublished());
  const std::pair<uint32_t, uint32_t> expected[] = {{5, 100}, {2, 0}, {7, 0xffffffff}};
  for (auto [id, len] : expected) {
    const auto e = ring().pop_used();
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->id, id);
    EXPECT_EQ(e->len, len);
  }
  EXPECT_FALSE(ring().pop_used().has_value());
}

TEST_F(SplitQueueTest, PublishWithNothingAddedChangesNothing) {
  start();
  EXPECT_FALSE(queue().publish_used());
  EXPECT_EQ(ring().used_idx(), 0);
  queue().add_used(1, 1);
  EXPECT_TRUE(queue().publish_used());
  EXPECT_FALSE(queue().publish_used());
  EXPECT_EQ(ring().used_idx(), 1);
}

TEST_F(SplitQueueTest, UsedIndexIsResumedFromRingMemory) {
  // A reconnecting backend finds used->idx where the last one left it.
  ring().set_used_idx(1003);
  start({.next_avail = 1003});
  ring().set_avail_idx(1003);
  EXPECT_EQ(pop().status, PopStatus::kEmpty);
  const uint16_t head = ring().post({{put(pattern(3)), 3}});
  expect_chain(head);
  EXPECT_EQ(queue().next_avail(), 1004);
  complete(head, 3);
  EXPECT_EQ(ring().used_idx(), 1004);
}

TEST_F(SplitQueueTest, UnpopReturnsChainsInOrder) {
  start();
  std::vector<uint16_t> heads;
  for (int i = 0; i < 4; ++i) heads.push_back(ring().post({{put(pattern(4, i)), 4}}));
  for (int i = 0; i < 3; ++i) expect_chain(heads[i]);
  queue().unpop(2);
  EXPECT_EQ(queue().next_avail(), 1);
  for (int i = 1; i < 4; ++i) {
    expect_chain(heads[i]);
    EXPECT_EQ(gather(chain.readable()), pattern(4, i));
  }
  EXPECT_EQ(pop().status, PopStatus::kEmpty);
  queue().unpop(4);
  EXPECT_EQ(queue().next_avail(), 0);
  for (int i = 0; i < 4; ++i) expect_chain(heads[i]);
}

TEST_F(SplitQueueTest, UnpopAcrossIndexWrap) {
  ring().set_avail_idx(65535);
  start({.next_avail = 65535});
  const uint16_t a = ring().post({{put(pattern(1)), 1}});
  const uint16_t b = ring().post({{put(pattern(2)), 2}});
  expect_chain(a);
  expect_chain(b);
  EXPECT_EQ(queue().next_avail(), 1);
  queue().unpop(2);
  EXPECT_EQ(queue().next_avail(), 65535);
  expect_chain(a);
  expect_chain(b);
}

// --- layout -----------------------------------------------------------------

TEST_F(SplitQueueTest, ValidLayoutChecksSize) {
  const virtio::SplitRingAddrs addrs = ring().host_addrs();
  for (uint16_t size : {1, 2, 4, 256, 1024, 32768}) EXPECT_TRUE(SplitQueue::valid_layout(addrs, size)) << size;
  for (uint16_t size : {0, 3, 6, 100, 255, 32767, 32769, 49152, 65535})
    EXPECT_FALSE(SplitQueue::valid_layout(addrs, size)) << size;
}

TEST_F(SplitQueueTest, ValidLayoutChecksAlignment) {
  const virtio::SplitRingAddrs ok = ring().host_addrs();
  ASSERT_TRUE(SplitQueue::valid_layout(ok, 8));
  auto with = [&](uint8_t* desc, uint8_t* avail, uint8_t* used) {
    return SplitQueue::valid_layout({desc, avail, used}, 8);
  };
  EXPECT_FALSE(with(ok.desc + 8, ok.avail, ok.used));
  EXPECT_FALSE(with(ok.desc + 1, ok.avail, ok.used));
  EXPECT_TRUE(with(ok.desc + 16, ok.avail, ok.used));
  EXPECT_FALSE(with(ok.desc, ok.avail + 1, ok.used));
  EXPECT_TRUE(with(ok.desc, ok.avail + 2, ok.used));
  EXPECT_FALSE(with(ok.desc, ok.avail, ok.used + 2));
  EXPECT_TRUE(with(ok.desc, ok.avail, ok.used + 4));
  EXPECT_FALSE(with(nullptr, ok.avail, ok.used));
  EXPECT_FALSE(with(ok.desc, nullptr, ok.used));
  EXPECT_FALSE(with(ok.desc, ok.avail, nullptr));
}

// --- index wraparound ---------------------------------------------------------

TEST_F(SplitQueueTest, IndexesWrapPast65536OnASmallRing) {
  make_ring(4);
  start();
  // One 4-byte buffer per descriptor slot, rewritten with a sequence number.
  std::vector<uint64_t> slots;
  for (int i = 0; i < 4; ++i) slots.push_back(space(4));
  // Batches of (chains, descriptors per chain) that fill the ring differently.
  const std::pair<int, int> shapes[] = {{1, 1}, {4, 1}, {2, 2}, {1, 4}, {1, 3}, {3, 1}};
  uint32_t seq = 0;
  size_t round = 0;
  while (seq < 65536 * 2 + 10) {
    const auto [chains, descs] = shapes[round++ % std::size(shapes)];
    std::vector<std::pair<uint16_t, uint32_t>> posted;
    for (int c = 0; c < chains; ++c, ++seq) {
      std::vector<Buf> bufs;
      for (int d = 0; d < descs; ++d) {
        const uint64_t gpa = slots[(c * descs + d) % 4];
        tm.write(gpa, &seq, 4);
        bufs.push_back({gpa, 4, d == descs - 1 && descs > 1});
      }
      posted.emplace_back(ring().post(bufs), seq);
    }
    for (auto [head, s] : posted) {
      const virtio::PopResult r = pop();
      ASSERT_EQ(r.status, PopStatus::kChain) << "seq " << s;
      ASSERT_EQ(chain.head(), head) << "seq " << s;
      uint32_t got = 0;
      std::memcpy(&got, chain.readable()[0].data, 4);
      ASSERT_EQ(got, s);
      ASSERT_EQ(chain.writable_bytes(), descs > 1 ? 4u : 0u);
      queue().add_used(head, s);
    }
    ASSERT_EQ(pop().status, PopStatus::kEmpty);
    queue().publish_used();
    for (auto [head, s] : posted) {
      const auto e = ring().pop_used();
      ASSERT_TRUE(e.has_value());
      ASSERT_EQ(e->id, head);
      ASSERT_EQ(e->len, s);
    }
    ASSERT_FALSE(ring().pop_used().has_value());
  }
  EXPECT_EQ(queue().next_avail(), static_cast<uint16_t>(seq));
  EXPECT_EQ(ring().used_idx(), static_cast<uint16_t>(seq));
  EXPECT_EQ(queue().broken_reason(), nullptr);
}

}  // namespace
}  // namespace unit
