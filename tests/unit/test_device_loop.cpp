// The pieces composed: a miniature loopback device that pops TX chains,
// reads each frame through a ChainReader, writes it into an RX chain with a
// ChainWriter and returns both through the used rings — what a port does,
// minus the sockets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

#include "tests/unit/ring_fixture.hpp"
#include "virtio/chain_io.hpp"
#include "virtio/features.hpp"
#include "virtio/net_header.hpp"
#include "virtio/split_queue.hpp"

namespace unit {
namespace {

using virtio::PopStatus;

constexpr uint64_t kFeatures = virtio::bit(virtio::feature::kVersion1) | virtio::bit(virtio::feature::kRingEventIdx);
constexpr size_t kHeader = virtio::net_header_size(kFeatures);

class LoopbackTest : public ::testing::Test {
 protected:
  static constexpr uint16_t kRingSize = 16;  // four 3-descriptor chains fit

  void SetUp() override { ASSERT_EQ(mem.add(tm.region()), virtio::MemoryError::kNone); }

  // Driver: a frame behind a net header, cut into three descriptors.
  uint16_t send(const Bytes& frame) {
    Bytes hdr(kHeader, 0);
    const uint64_t h = put(tm, hdr), f = put(tm, frame);
    const auto first = static_cast<uint32_t>(std::min<size_t>(frame.size(), virtio::kEthHeaderSize));
    return tx.post({{h, static_cast<uint32_t>(kHeader)}, {f, first}, {f + first, static_cast<uint32_t>(frame.size() - first)}});
  }

  // Driver: an RX buffer of a header-sized piece and two `each`-byte pieces.
  uint16_t give_rx(uint32_t each) {
    const std::vector<Buf> bufs{{space(kHeader), static_cast<uint32_t>(kHeader), true},
                                {space(each), each, true},
                                {space(each), each, true}};
    const uint16_t head = rx.post(bufs);
    rx_bufs[head] = bufs;
    return head;
  }

  // Driver: the bytes the device wrote into a used RX chain.
  Bytes received(const virtio::VirtqUsedElem& e) {
    Bytes out;
    for (const Buf& b : rx_bufs.at(static_cast<uint16_t>(e.id))) {
      const uint8_t* p = tm.host(b.gpa);
      out.insert(out.end(), p, p + b.len);
    }
    out.resize(e.len);
    return out;
  }

  // Device: drains the TX ring. Returns how many frames were delivered.
  int service_tx() {
    int delivered = 0;
    txq.disable_notifications();
    for (;;) {
      const virtio::PopResult r = txq.pop(tx_chain);
      if (r.status == PopStatus::kEmpty) {
        if (!txq.enable_notifications()) break;
        txq.disable_notifications();
        continue;
      }
      EXPECT_EQ(r.status, PopStatus::kChain);
      if (r.status != PopStatus::kChain) break;
      delivered += deliver(tx_chain) ? 1 : 0;
      txq.add_used(tx_chain.head(), 0);
    }
    tx_interrupt = txq.publish_used();
    rx_interrupt = rxq.publish_used();
    return delivered;
  }

  bool deliver(const virtio::DescriptorChain& frame) {
    virtio::ChainReader in(frame.readable());
    if (in.skip(kHeader) != kHeader) return false;
    if (rxq.pop(rx_chain).status != PopStatus::kChain) return false;
    if (rx_chain.writable_bytes() < kHeader + in.remaining()) {
      rxq.unpop(1);  // too small for this frame: keep it for a later one
      return false;
    }
    virtio::ChainWriter out(rx_chain.writable());
    virtio::NetHeader hdr{};
    hdr.num_buffers = 1;
    EXPECT_EQ(out.write(&hdr, kHeader), kHeader);
    const size_t n = out.copy_from(in, in.remaining());
    rxq.add_used(rx_chain.head(), static_cast<uint32_t>(kHeader + n));
    return true;
  }

  uint64_t space(uint32_t len) { return put(tm, Bytes(len, 0xdd)); }  // 0xdd: not written by the device

  TestMemory tm{1 << 20};
  virtio::GuestMemory mem;
  DriverRing tx{tm, kRingSize}, rx{tm, kRingSize};
  virtio::SplitQueue txq{mem, tx.host_addrs(), {.size = kRingSize, .event_idx = true}};
  virtio::SplitQueue rxq{mem, rx.host_addrs(), {.size = kRingSize, .event_idx = true}};
  virtio::DescriptorChain tx_chain, rx_chain;
  std::map<uint16_t, std::vector<Buf>> rx_bufs;
  bool tx_interrupt = false, rx_interrupt = false;
};

TEST_F(LoopbackTest, FramesCrossFromTxToRx) {
  std::vector<Bytes> frames;
  for (size_t len : {60, 14, 99, 64}) frames.push_back(pattern(len, static_cast<uint8_t>(len)));
  for (int i = 0; i < 4; ++i) give_rx(50);
  for (const Bytes& f : frames) send(f);

  EXPECT_EQ(service_tx(), 4);
  EXPECT_TRUE(tx_interrupt);
  EXPECT_TRUE(rx_interrupt);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(tx.pop_used().has_value());
  EXPECT_FALSE(tx.pop_used().has_value());
  for (const Bytes& f : frames) {
    const auto e = rx.pop_used();
    ASSERT_TRUE(e.has_value());
    ASSERT_EQ(e->len, kHeader + f.size());
    const Bytes got = received(*e);
    virtio::NetHeader hdr;
    std::memcpy(&hdr, got.data(), sizeof hdr);
    EXPECT_EQ(hdr.num_buffers, 1);
    EXPECT_EQ(Bytes(got.begin() + kHeader, got.end()), f);
  }
  // Kicks are back on, at the next index the device will look at.
  EXPECT_EQ(tx.avail_event(), 4);
}

TEST_F(LoopbackTest, TooSmallRxBufferIsKeptForTheNextFrame) {
  const uint16_t small = give_rx(20);  // room for 40 bytes of frame
  const Bytes big = pattern(70, 1), fits = pattern(30, 2);
  send(big);
  send(fits);
  EXPECT_EQ(service_tx(), 1);
  const auto e = rx.pop_used();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->id, small);
  const Bytes got = received(*e);
  EXPECT_EQ(Bytes(got.begin() + kHeader, got.end()), fits);
  EXPECT_FALSE(rx.pop_used().has_value());
}

TEST_F(LoopbackTest, ManyRoundsThroughSmallRings) {
  // Several times around both rings, a few frames per round.
  for (int round = 0; round < 40; ++round) {
    std::vector<Bytes> frames;
    for (int i = 0; i <= round % 4; ++i) frames.push_back(pattern(20 + 7 * i + round, static_cast<uint8_t>(round)));
    for (size_t i = 0; i < frames.size(); ++i) give_rx(64);
    for (const Bytes& f : frames) send(f);
    ASSERT_EQ(service_tx(), static_cast<int>(frames.size()));
    for (const Bytes& f : frames) {
      ASSERT_TRUE(tx.pop_used().has_value());
      const auto e = rx.pop_used();
      ASSERT_TRUE(e.has_value());
      const Bytes got = received(*e);
      ASSERT_EQ(Bytes(got.begin() + kHeader, got.end()), f) << "round " << round;
    }
  }
  EXPECT_EQ(rxq.broken_reason(), nullptr);
  EXPECT_EQ(txq.broken_reason(), nullptr);
}

}  // namespace
}  // namespace unit
