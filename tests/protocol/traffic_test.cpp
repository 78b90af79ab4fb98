// The full handshake followed by traffic end to end, in each forwarding mode.
#include <cstring>

#include "tests/protocol/protocol_test.hpp"
#include "vhost/device/device.hpp"

namespace protocol_test {
namespace {

TEST(Handshake, NegotiatesWhatTheBackendOffers) {
  TestBackend backend("loopback");
  auto fe = connect(backend);
  fe->handshake();
  EXPECT_EQ(fe->acked_features(), vhost::Device::offered_features() & ~virtio::bit(virtio::feature::kNetMq));
  EXPECT_TRUE(fe->reply_ack());
  EXPECT_TRUE(backend.connected());
  const auto queues = backend.queue_stats();
  ASSERT_EQ(queues.size(), 2u);
}

TEST(Handshake, SecondFrontendOnABusyPortIsRefused) {
  TestBackend backend("loopback");
  auto first = connect_and_handshake(backend);
  auto second = connect(backend);
  EXPECT_TRUE(second->wait_closed());
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*first, 1));
}

TEST(Loopback, FramesComeBackWithSwappedMacs) {
  TestBackend backend("loopback");
  auto fe = connect_and_handshake(backend);
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 5));
  const vhost::PortStats s = backend.stats();
  EXPECT_EQ(s.rx_pkts, 5u);
  EXPECT_EQ(s.tx_pkts, 5u);
  EXPECT_EQ(s.rx_bytes, s.tx_bytes);
  EXPECT_EQ(s.tx_drops + s.rx_drops, 0u);
  EXPECT_GE(s.queues.calls, 2u);
  EXPECT_GE(s.queues.kicks, 1u);
}

TEST(Loopback, LegacyHeaderWithoutVersion1) {
  // Neither VERSION_1 nor MRG_RXBUF: the 10-byte header, no num_buffers.
  TestBackend backend("loopback");
  HandshakeOptions opts;
  opts.feature_mask = ~(virtio::bit(virtio::feature::kVersion1) | virtio::bit(virtio::feature::kNetMrgRxbuf));
  auto fe = connect_and_handshake(backend, 0, opts);
  ASSERT_EQ(fe->net_header_size(), 10u);
  const auto frame = make_frame(kMacB, kMacA, 100);
  fe->post_rx(kRx, 1);
  fe->send_frame(kTx, frame);
  ASSERT_TRUE(fe->wait_used(kRx, 1));
  auto got = fe->pop_rx(kRx);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, swap_macs(frame));
}

TEST(Loopback, MergeableBuffersCarryOneFrame) {
  TestBackend backend("loopback");
  auto fe = connect_and_handshake(backend);
  ASSERT_TRUE(virtio::has(fe->acked_features(), virtio::feature::kNetMrgRxbuf));
  fe->post_rx(kRx, 8, 256);
  const auto frame = make_frame(kMacB, kMacA, 990);  // 12 + 14 + 990 bytes: four 256-byte buffers
  fe->send_frame(kTx, frame);
  ASSERT_TRUE(fe->wait_used(kRx, 4));
  auto got = fe->pop_rx(kRx);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->header.num_buffers, 4);
  EXPECT_EQ(got->data, swap_macs(frame));
  EXPECT_FALSE(fe->pop_rx(kRx));
}

TEST(Loopback, FrameWithoutRxBufferIsDropped) {
  TestBackend backend("loopback");
  auto fe = connect_and_handshake(backend);
  fe->send_frame(kTx, make_frame(kMacB, kMacA, 64));
  ASSERT_NO_FATAL_FAILURE(wait_tx_handled(backend, *fe, kTx, 1));
  EXPECT_EQ(fe->ring(kRx).ring.used_idx(), 0);
  EXPECT_EQ(backend.stats().tx_drops, 1u);
  // Buffers posted later serve the next frame, not the dropped one.
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 2));
}

TEST(Loopback, SecondQueuePair) {
  TestBackend backend("loopback", 1, 2);
  HandshakeOptions opts;
  opts.queue_pairs = 2;
  auto fe = connect_and_handshake(backend, 0, opts);
  ASSERT_TRUE(virtio::has(fe->acked_features(), virtio::feature::kNetMq));
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 3, 1));
  EXPECT_EQ(fe->ring(kRx).ring.used_idx(), 0) << "pair 1 traffic landed on pair 0";
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 2, 0));
}

TEST(Sink, CountsAndReturnsFrames) {
  TestBackend backend("sink");
  auto fe = connect_and_handshake(backend);
  fe->post_rx(kRx, 4);
  uint64_t bytes = 0;
  for (int i = 0; i < 10; ++i) {
    const auto f = make_frame(kMacB, kMacA, 50 + i);
    bytes += f.size();
    fe->post_tx(kTx, f);
  }
  fe->kick(kTx);
  ASSERT_NO_FATAL_FAILURE(wait_tx_handled(backend, *fe, kTx, 10));
  EXPECT_TRUE(fe->wait_call(kTx));
  const vhost::PortStats s = backend.stats();
  EXPECT_EQ(s.rx_pkts, 10u);
  EXPECT_EQ(s.rx_bytes, bytes);
  EXPECT_EQ(s.tx_pkts, 0u);
  EXPECT_EQ(fe->ring(kRx).ring.used_idx(), 0) << "sink must not deliver anything";
  // Every TX chain comes back with used length 0 (nothing written).
  for (int i = 0; i < 10; ++i) {
    auto e = fe->ring(kTx).ring.pop_used();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->len, 0u);
  }
}

class Switch : public ::testing::Test {
 protected:
  // Sends one frame from port `from` and lets the backend finish with it.
  void send(size_t from, const std::vector<uint8_t>& frame) {
    TestFrontend& fe = *fe_[from];
    fe.send_frame(kTx, frame);
    ASSERT_NO_FATAL_FAILURE(wait_tx_handled(backend_, fe, kTx, ++sent_[from]));
  }
  // The frames port `port` has received since the last call.
  std::vector<std::vector<uint8_t>> received(size_t port) {
    std::vector<std::vector<uint8_t>> out;
    for (RxFrame& f : fe_[port]->drain_rx(kRx)) out.push_back(std::move(f.data));
    return out;
  }

  void SetUp() override {
    for (size_t i = 0; i < 3; ++i) {
      fe_.push_back(connect_and_handshake(backend_, i));
      fe_.back()->post_rx(kRx, 16);
    }
  }

  TestBackend backend_{"switch", 3};
  std::vector<std::unique_ptr<TestFrontend>> fe_;
  uint16_t sent_[3] = {};
};

TEST_F(Switch, FloodsUnknownThenUnicastsLearnt) {
  using Frames = std::vector<std::vector<uint8_t>>;
  // A -> b: b unknown, flooded to B and C, never back to A.
  const auto ab = make_frame(kMacB, kMacA, 100, 1);
  ASSERT_NO_FATAL_FAILURE(send(0, ab));
  EXPECT_EQ(received(0), Frames{});
  EXPECT_EQ(received(1), Frames{ab});
  EXPECT_EQ(received(2), Frames{ab});
  // B -> a: a was learnt on port A, so only A gets it.
  const auto ba = make_frame(kMacA, kMacB, 200, 2);
  ASSERT_NO_FATAL_FAILURE(send(1, ba));
  EXPECT_EQ(received(0), Frames{ba});
  EXPECT_EQ(received(1), Frames{});
  EXPECT_EQ(received(2), Frames{});
  // A -> b again: now b is known, unicast to B only.
  const auto ab2 = make_frame(kMacB, kMacA, 300, 3);
  ASSERT_NO_FATAL_FAILURE(send(0, ab2));
  EXPECT_EQ(received(0), Frames{});
  EXPECT_EQ(received(1), Frames{ab2});
  EXPECT_EQ(received(2), Frames{}) << "known unicast was flooded";
  // Broadcast from C reaches A and B.
  const auto bc = make_frame(kBroadcast, kMacC, 60, 4);
  ASSERT_NO_FATAL_FAILURE(send(2, bc));
  EXPECT_EQ(received(0), Frames{bc});
  EXPECT_EQ(received(1), Frames{bc});
  EXPECT_EQ(received(2), Frames{});
  EXPECT_TRUE(fe_[0]->wait_call(kRx));
  EXPECT_TRUE(fe_[1]->wait_call(kRx));
  EXPECT_EQ(backend_.stats(0).tx_pkts, 2u);
  EXPECT_EQ(backend_.stats(1).tx_pkts, 3u);
  EXPECT_EQ(backend_.stats(2).tx_pkts, 1u);
}

TEST_F(Switch, ForgetsAPortWhoseFrontendLeft) {
  ASSERT_NO_FATAL_FAILURE(send(1, make_frame(kMacA, kMacB, 64)));  // learns b on port B
  (void)received(0);
  (void)received(2);
  fe_[1].reset();
  ASSERT_TRUE(backend_.wait_detached(1));
  // b is forgotten: A -> b is flooded again and reaches C.
  const auto ab = make_frame(kMacB, kMacA, 64);
  ASSERT_NO_FATAL_FAILURE(send(0, ab));
  EXPECT_EQ(received(2), std::vector<std::vector<uint8_t>>{ab});
}

}  // namespace
}  // namespace protocol_test
