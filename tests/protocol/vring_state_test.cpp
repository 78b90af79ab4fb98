// Ring states beyond configuration: enabled/disabled next to
// started/stopped, kicks that come before the ring starts, and interrupt
// suppression with and without EVENT_IDX.
#include "tests/protocol/protocol_test.hpp"
#include "virtio/ring_layout.hpp"

namespace protocol_test {
namespace {

TEST(VringEnable, StartedButDisabledRings) {
  TestBackend backend("loopback");
  HandshakeOptions opts;
  opts.enable_rings = false;
  auto fe = connect_and_handshake(backend, 0, opts);
  ASSERT_TRUE(fe->reply_ack());
  fe->post_rx(kRx, 8);
  // TX disabled: frames are consumed and discarded.
  for (int i = 0; i < 2; ++i) fe->post_tx(kTx, make_frame(kMacB, kMacA, 64));
  fe->kick(kTx);
  ASSERT_NO_FATAL_FAILURE(wait_tx_handled(backend, *fe, kTx, 2));
  EXPECT_EQ(backend.stats().rx_drops, 2u);
  EXPECT_EQ(backend.stats().rx_pkts, 0u);
  EXPECT_EQ(fe->ring(kRx).ring.used_idx(), 0);
  // TX enabled, RX disabled: forwarded, but RX gets nothing.
  ASSERT_TRUE(fe->set_vring_enable(kTx, true));
  fe->send_frame(kTx, make_frame(kMacB, kMacA, 64));
  ASSERT_NO_FATAL_FAILURE(wait_tx_handled(backend, *fe, kTx, 3));
  EXPECT_EQ(backend.stats().rx_pkts, 1u);
  EXPECT_EQ(backend.stats().tx_drops, 1u);
  EXPECT_EQ(fe->ring(kRx).ring.used_idx(), 0);
  // Both enabled: traffic flows into the buffers posted all along.
  ASSERT_TRUE(fe->set_vring_enable(kRx, true));
  const auto frame = make_frame(kMacB, kMacA, 300);
  fe->send_frame(kTx, frame);
  ASSERT_TRUE(fe->wait_used(kRx, 1));
  auto got = fe->pop_rx(kRx);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, swap_macs(frame));
  // Disabled again: RX gets nothing.
  ASSERT_TRUE(fe->set_vring_enable(kRx, false));
  fe->send_frame(kTx, make_frame(kMacB, kMacA, 64));
  ASSERT_NO_FATAL_FAILURE(wait_tx_handled(backend, *fe, kTx, 5));
  EXPECT_EQ(fe->ring(kRx).ring.used_idx(), 1);
  EXPECT_FALSE(fe->set_vring_state(Request::kSetVringEnable, kRx, 2)) << "enable flag must be 0 or 1";
  EXPECT_FALSE(fe->set_vring_enable(2, true));
}

TEST(VringEnable, WithoutProtocolFeaturesRingsRunWhenStarted) {
  TestBackend backend("loopback");
  HandshakeOptions opts;
  opts.protocol_features = false;  // no SET_VRING_ENABLE is ever sent
  auto fe = connect_and_handshake(backend, 0, opts);
  EXPECT_FALSE(virtio::has(fe->acked_features(), vhost::kProtocolFeaturesBit));
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 3));
}

TEST(VringEnable, EnableBeforeStartTakesEffectOnStart) {
  TestBackend backend("loopback");
  HandshakeOptions opts;
  opts.setup_rings = false;
  auto fe = connect_and_handshake(backend, 0, opts);
  // QEMU may enable before the kick fd arrives; the ring runs once started.
  ASSERT_TRUE(fe->set_vring_enable(kRx, true));
  ASSERT_TRUE(fe->set_vring_enable(kTx, true));
  ASSERT_TRUE(fe->setup_ring(kRx));
  ASSERT_TRUE(fe->setup_ring(kTx));
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 2));
}

// Frames the driver made available before the backend had the kick fd:
// with `kicked`, the driver also signalled its eventfd before handing it over.
void expect_early_frames_delivered(bool kicked) {
  TestBackend backend("loopback");
  HandshakeOptions opts;
  opts.setup_rings = false;
  auto fe = connect_and_handshake(backend, 0, opts);
  ASSERT_TRUE(fe->setup_ring(kRx));
  ASSERT_TRUE(fe->set_vring_enable(kRx, true));
  ASSERT_TRUE(fe->set_vring_enable(kTx, true));
  fe->post_rx(kRx, 4);
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < 3; ++i) {
    sent.push_back(make_frame(kMacB, kMacA, 100 + i));
    fe->post_tx(kTx, sent.back());
  }
  if (kicked) fe->kick(kTx);
  ASSERT_TRUE(fe->set_vring_num(kTx, 256));
  ASSERT_TRUE(fe->set_vring_base(kTx, 0));
  ASSERT_TRUE(fe->set_vring_addr(kTx));
  fe->sync();
  backend.settle();
  EXPECT_EQ(fe->ring(kTx).ring.used_idx(), 0) << "processed before the ring started";
  ASSERT_TRUE(fe->set_vring_kick(kTx));
  ASSERT_TRUE(fe->set_vring_call(kTx));
  ASSERT_TRUE(fe->wait_used(kTx, 3));
  ASSERT_TRUE(fe->wait_used(kRx, 3));
  const auto got = fe->drain_rx(kRx);
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(got[i].data, swap_macs(sent[i]));
}

TEST(VringKick, FramesKickedBeforeStartAreNotLost) { expect_early_frames_delivered(true); }
TEST(VringKick, FramesPostedBeforeStartAreNotLost) { expect_early_frames_delivered(false); }

// Sends one frame on TX and reports whether the backend interrupted for it.
bool send_and_check_call(TestBackend& backend, TestFrontend& fe, uint16_t used_event_ahead = 0) {
  DriverRing& tx = fe.ring(kTx).ring;
  const uint16_t used = tx.used_idx();
  fe.post_tx(kTx, make_frame(kMacB, kMacA, 64));  // arms used_event = used
  if (used_event_ahead) tx.set_used_event(static_cast<uint16_t>(used + used_event_ahead));
  fe.kick(kTx);
  EXPECT_NO_FATAL_FAILURE(wait_tx_handled(backend, fe, kTx, static_cast<uint16_t>(used + 1)));
  return fe.take_call(kTx);
}

TEST(EventIdx, UsedEventDecidesInterrupts) {
  TestBackend backend("sink");
  auto fe = connect_and_handshake(backend);
  ASSERT_TRUE(virtio::has(fe->acked_features(), virtio::feature::kRingEventIdx));
  EXPECT_TRUE(send_and_check_call(backend, *fe));
  // used_event five entries ahead: this entry is not worth an interrupt.
  const vhost::QueueStats before = backend.queue_stats()[kTx];
  EXPECT_FALSE(send_and_check_call(backend, *fe, 5));
  const vhost::QueueStats after = backend.queue_stats()[kTx];
  EXPECT_EQ(after.calls, before.calls);
  EXPECT_EQ(after.calls_suppressed, before.calls_suppressed + 1);
  // used_event at the next entry: interrupt.
  EXPECT_TRUE(send_and_check_call(backend, *fe));
  EXPECT_EQ(backend.queue_stats()[kTx].calls, after.calls + 1);
  // The backend publishes avail_event (where it wants the next kick): the next avail entry.
  EXPECT_EQ(fe->ring(kTx).ring.avail_event(), fe->ring(kTx).ring.avail_idx());
  // The no-interrupt flag means nothing with EVENT_IDX.
  fe->ring(kTx).ring.set_avail_flags(virtio::kAvailFlagNoInterrupt);
  EXPECT_TRUE(send_and_check_call(backend, *fe));
}

TEST(EventIdx, OffTheAvailFlagDecides) {
  TestBackend backend("sink");
  HandshakeOptions opts;
  opts.feature_mask = ~virtio::bit(virtio::feature::kRingEventIdx);
  auto fe = connect_and_handshake(backend, 0, opts);
  DriverRing& tx = fe->ring(kTx).ring;
  EXPECT_TRUE(send_and_check_call(backend, *fe));
  EXPECT_TRUE(send_and_check_call(backend, *fe, 5)) << "used_event means nothing without EVENT_IDX";
  tx.set_avail_flags(virtio::kAvailFlagNoInterrupt);
  const uint64_t suppressed = backend.queue_stats()[kTx].calls_suppressed;
  EXPECT_FALSE(send_and_check_call(backend, *fe));
  EXPECT_EQ(backend.queue_stats()[kTx].calls_suppressed, suppressed + 1);
  tx.set_avail_flags(0);
  EXPECT_TRUE(send_and_check_call(backend, *fe));
  // Kicks are wanted again once the backend has drained the ring.
  EXPECT_EQ(tx.used_flags() & virtio::kUsedFlagNoNotify, 0);
}

}  // namespace
}  // namespace protocol_test
