#include "tests/unit/ring_fixture.hpp"

namespace unit {

Bytes gather(std::span<const virtio::HostSegment> segs) {
  Bytes out;
  for (const virtio::HostSegment& s : segs) out.insert(out.end(), s.data, s.data + s.len);
  return out;
}

Bytes pattern(size_t len, uint8_t seed) {
  Bytes out(len);
  for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>(seed * 31 + i * 7 + (i >> 8));
  return out;
}

Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

uint64_t put(TestMemory& tm, const Bytes& data) {
  const uint64_t gpa = tm.alloc(data.size(), 8);
  if (!data.empty()) tm.write(gpa, data.data(), data.size());
  return gpa;
}

RingTest::RingTest() {
  EXPECT_EQ(mem.add(tm.region()), virtio::MemoryError::kNone);
  make_ring(kDefaultSize);
}

DriverRing& RingTest::make_ring(uint16_t size) {
  q_.reset();
  return ring_.emplace(tm, size);
}

virtio::SplitQueue& RingTest::start(virtio::SplitQueue::Options opts) {
  if (opts.size == 0) opts.size = ring_->size();
  EXPECT_TRUE(virtio::SplitQueue::valid_layout(ring_->host_addrs(), opts.size));
  return q_.emplace(mem, ring_->host_addrs(), opts);
}

uint64_t RingTest::put(const Bytes& data) { return unit::put(tm, data); }
uint64_t RingTest::space(uint32_t len) { return unit::put(tm, Bytes(len, 0)); }

void RingTest::expect_chain(uint16_t head) {
  const virtio::PopResult r = pop();
  ASSERT_EQ(r.status, virtio::PopStatus::kChain) << virtio::to_string(r.chain_error);
  EXPECT_EQ(r.chain_error, virtio::ChainError::kNone);
  EXPECT_EQ(chain.head(), head);
}

void RingTest::expect_bad_chain(uint16_t head, virtio::ChainError err) {
  const virtio::PopResult r = pop();
  ASSERT_EQ(r.status, virtio::PopStatus::kBadChain);
  EXPECT_EQ(r.chain_error, err) << "got: " << virtio::to_string(r.chain_error);
  EXPECT_EQ(chain.head(), head);
  EXPECT_EQ(q_->broken_reason(), nullptr);
}

void RingTest::complete(uint16_t head, uint32_t len) {
  q_->add_used(head, len);
  q_->publish_used();
  const auto e = ring_->pop_used();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->id, head);
  EXPECT_EQ(e->len, len);
  EXPECT_FALSE(ring_->pop_used().has_value());
}

}  // namespace unit
