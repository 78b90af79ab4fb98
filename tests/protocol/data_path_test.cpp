// Data-path rules of the net port that the other traffic tests do not pin
// down: RX rings are never kicked for, a wakeup's budget does not strand the
// rest of a burst, and a frame finds an RX ring even when the receiver runs
// fewer queue pairs than the sender.
#include "tests/protocol/protocol_test.hpp"
#include "virtio/ring_layout.hpp"

namespace protocol_test {
namespace {

TEST(DataPath, RxRingsAskTheDriverNotToKick) {
  // Frames that find no RX buffer are dropped, not queued: a kick for new
  // RX buffers would wake the backend for nothing.
  TestBackend backend("loopback");
  HandshakeOptions opts;
  opts.feature_mask = ~virtio::bit(virtio::feature::kRingEventIdx);  // flags, not avail_event
  auto fe = connect_and_handshake(backend, 0, opts);
  EXPECT_NE(fe->ring(kRx).ring.used_flags() & virtio::kUsedFlagNoNotify, 0);
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 3));
  EXPECT_NE(fe->ring(kRx).ring.used_flags() & virtio::kUsedFlagNoNotify, 0);
  EXPECT_EQ(fe->ring(kTx).ring.used_flags() & virtio::kUsedFlagNoNotify, 0) << "TX must be left kickable";
}

TEST(DataPath, BurstLongerThanOneWakeupsBudgetIsFinishedWithoutAnotherKick) {
  // One wakeup handles 1024 chains; the rest run from a posted task while
  // kicks stay off. Without it the burst would stall after the budget.
  constexpr uint16_t kFrames = 3000;
  TestBackend backend("sink");
  HandshakeOptions opts;
  opts.ring_size = 4096;
  auto fe = connect_and_handshake(backend, 0, opts);
  for (uint16_t i = 0; i < kFrames; ++i) fe->post_tx(kTx, make_frame(kMacB, kMacA, 60, static_cast<uint8_t>(i)));
  fe->kick(kTx);
  ASSERT_TRUE(fe->wait_used(kTx, kFrames));
  backend.settle();
  EXPECT_EQ(backend.stats().rx_pkts, kFrames);
  EXPECT_EQ(backend.queue_stats()[kTx].kicks, 1u);
}

TEST(DataPath, FrameFromAPairTheReceiverDoesNotRunLandsOnPairZero) {
  TestBackend backend("switch", 2, 2);
  HandshakeOptions two_pairs;
  two_pairs.queue_pairs = 2;
  auto a = connect_and_handshake(backend, 0, two_pairs);
  auto b = connect_and_handshake(backend, 1);  // runs pair 0 only
  b->post_rx(kRx, 4);
  const uint16_t tx_pair1 = 3;
  const auto frame = make_frame(kMacB, kMacA, 120);
  a->send_frame(tx_pair1, frame);
  ASSERT_NO_FATAL_FAILURE(wait_tx_handled(backend, *a, tx_pair1, 1));
  auto got = b->pop_rx(kRx);
  ASSERT_TRUE(got) << "frame from pair 1 was dropped";
  EXPECT_EQ(got->data, frame);
  EXPECT_EQ(backend.stats(1).tx_drops, 0u);
}

}  // namespace
}  // namespace protocol_test
