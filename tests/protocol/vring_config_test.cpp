// Per-ring configuration: SET_VRING_NUM/ADDR/BASE/KICK/CALL/ERR and
// GET_VRING_BASE (stop, report, restart).
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/protocol/protocol_test.hpp"

namespace protocol_test {
namespace {

// Features and memory negotiated with REPLY_ACK, rings laid out but not announced.
std::unique_ptr<TestFrontend> configured(TestBackend& backend) {
  auto fe = connect(backend);
  HandshakeOptions opts;
  opts.setup_rings = false;
  opts.protocol_mask = protocol_bit(vhost::protocol_feature::kReplyAck);
  fe->handshake(opts);
  return fe;
}

struct Pipe {
  Pipe() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    read.reset(p[0]);
    write.reset(p[1]);
  }
  vhost::UniqueFd read, write;
};

TEST(VringNum, PowersOfTwoUpTo32768) {
  TestBackend backend("loopback");
  auto fe = connect_acking(backend);
  for (uint32_t n : {1u, 2u, 256u, 32768u}) EXPECT_TRUE(fe->set_vring_num(kRx, n)) << n;
  for (uint32_t n : {0u, 3u, 100u, 65536u, 0xffffffffu}) EXPECT_FALSE(fe->set_vring_num(kRx, n)) << n;
  EXPECT_FALSE(fe->set_vring_num(2, 256)) << "ring 2 with one queue pair";
  EXPECT_FALSE(fe->set_vring_num(255, 256));
}

TEST(VringNum, NumAndBaseRefusedOnAStartedRing) {
  TestBackend backend("loopback");
  auto fe = connect_and_handshake(backend);
  EXPECT_FALSE(fe->set_vring_num(kTx, 128));
  EXPECT_FALSE(fe->set_vring_base(kTx, 7));
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 2));
}

TEST(VringAddr, RingOutsideMemoryCannotStart) {
  TestBackend backend("loopback");
  auto fe = configured(backend);
  FrontendRing& tx = fe->ring(kTx);
  ASSERT_TRUE(fe->set_vring_num(kTx, tx.ring.size()));
  vhost::VringAddr a = tx.addr();
  a.used_user_addr = TestFrontend::kUserBase + TestFrontend::kRegionSize - 8;  // runs off the region's end
  EXPECT_TRUE(fe->request(TestFrontend::make(Request::kSetVringAddr, a)));
  EXPECT_FALSE(fe->set_vring_kick(kTx));
  a = tx.addr();
  a.desc_user_addr += 8;  // descriptor table must be 16-byte aligned
  EXPECT_TRUE(fe->request(TestFrontend::make(Request::kSetVringAddr, a)));
  EXPECT_FALSE(fe->set_vring_kick(kTx));
  a = tx.addr();
  a.index = 2;
  EXPECT_FALSE(fe->request(TestFrontend::make(Request::kSetVringAddr, a)));
  // Good addresses: the ring starts.
  EXPECT_TRUE(fe->set_vring_addr(kTx));
  EXPECT_TRUE(fe->set_vring_kick(kTx));
}

TEST(VringBase, RingResumesFromBase) {
  TestBackend backend("loopback");
  auto fe = configured(backend);
  ASSERT_TRUE(fe->setup_ring(kRx));
  // The driver is mid-stream: entries 0..4 were consumed by an earlier backend.
  fe->ring(kTx).ring.set_avail_idx(5);
  ASSERT_TRUE(fe->setup_ring(kTx, 5));
  ASSERT_TRUE(fe->set_vring_enable(kRx, true));
  ASSERT_TRUE(fe->set_vring_enable(kTx, true));
  fe->post_rx(kRx, 1);
  const auto frame = make_frame(kMacB, kMacA, 80);
  fe->send_frame(kTx, frame);
  ASSERT_TRUE(fe->wait_used(kTx, 1));
  ASSERT_TRUE(fe->wait_used(kRx, 1));
  auto got = fe->pop_rx(kRx);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, swap_macs(frame));
  EXPECT_EQ(fe->get_vring_base(kTx), 6u);
  EXPECT_FALSE(fe->set_vring_base(kTx, 0x10000)) << "split ring base is 16 bits";
  EXPECT_FALSE(fe->set_vring_base(2, 0));
}

TEST(GetVringBase, StopsTheRingAndReportsNextAvail) {
  TestBackend backend("loopback");
  auto fe = connect_and_handshake(backend);
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 3));
  EXPECT_EQ(fe->get_vring_base(kTx), 3u);
  // Stopped: kicks are not acted upon, nothing is consumed.
  fe->post_rx(kRx, 1);
  const auto frame = make_frame(kMacB, kMacA, 90);
  fe->send_frame(kTx, frame);
  fe->sync();
  backend.settle();
  EXPECT_EQ(fe->ring(kTx).ring.used_idx(), 3);
  EXPECT_EQ(backend.stats().rx_pkts, 3u);
  EXPECT_EQ(fe->get_vring_base(kTx), 3u) << "stopping again must not move the ring";
  // Restart where it stopped: the frame posted meanwhile goes through.
  ASSERT_TRUE(fe->set_vring_base(kTx, 3));
  ASSERT_TRUE(fe->set_vring_kick(kTx));
  ASSERT_TRUE(fe->wait_used(kTx, 4));
  ASSERT_TRUE(fe->wait_used(kRx, 4));
  auto got = fe->pop_rx(kRx);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, swap_macs(frame));
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 2));
}

TEST(GetVringBase, StoppedRxRingReceivesNothing) {
  TestBackend backend("loopback");
  auto fe = connect_and_handshake(backend);
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 2));
  EXPECT_EQ(fe->get_vring_base(kRx), 2u);  // two RX buffers consumed
  fe->post_rx(kRx, 2);
  fe->send_frame(kTx, make_frame(kMacB, kMacA, 64));
  ASSERT_NO_FATAL_FAILURE(wait_tx_handled(backend, *fe, kTx, 3));
  EXPECT_EQ(fe->ring(kRx).ring.used_idx(), 2);
  EXPECT_EQ(backend.stats().tx_drops, 1u);
  ASSERT_TRUE(fe->set_vring_base(kRx, 2));
  ASSERT_TRUE(fe->set_vring_kick(kRx));
  const auto frame = make_frame(kMacB, kMacA, 70);
  fe->send_frame(kTx, frame);
  ASSERT_TRUE(fe->wait_used(kRx, 3));
  auto got = fe->pop_rx(kRx);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, swap_macs(frame));
}

TEST(VringKick, OnlyEventfdsAreAccepted) {
  TestBackend backend("loopback");
  auto fe = configured(backend);
  ASSERT_TRUE(fe->set_vring_num(kTx, 256));
  ASSERT_TRUE(fe->set_vring_addr(kTx));
  Pipe pipe;
  vhost::UniqueFd file(::memfd_create("not-an-eventfd", MFD_CLOEXEC));
  for (Request r : {Request::kSetVringKick, Request::kSetVringCall, Request::kSetVringErr}) {
    EXPECT_FALSE(fe->set_vring_fd(r, kTx, pipe.read.get())) << vhost::request_name(static_cast<uint32_t>(r));
    EXPECT_FALSE(fe->set_vring_fd(r, kTx, pipe.write.get()));
    EXPECT_FALSE(fe->set_vring_fd(r, kTx, file.get()));
    EXPECT_FALSE(fe->set_vring_fd(r, 2, fe->ring(kTx).kick.get())) << "ring index beyond the device";
  }
  EXPECT_FALSE(fe->set_vring_fd(Request::kSetVringKick, kTx, -1)) << "polled rings are not supported";
  EXPECT_TRUE(fe->set_vring_fd(Request::kSetVringCall, kTx, -1));
  EXPECT_TRUE(fe->set_vring_fd(Request::kSetVringErr, kTx, -1));
  EXPECT_TRUE(fe->set_vring_kick(kTx));
}

TEST(VringCall, NewCallFdReplacesTheOldOne) {
  TestBackend backend("sink");
  auto fe = connect_and_handshake(backend);
  fe->send_frame(kTx, make_frame(kMacB, kMacA, 64));
  ASSERT_TRUE(fe->wait_call(kTx));
  vhost::UniqueFd old = std::move(fe->ring(kTx).call);
  fe->ring(kTx).call.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  ASSERT_TRUE(fe->set_vring_call(kTx));
  fe->send_frame(kTx, make_frame(kMacB, kMacA, 64));
  EXPECT_TRUE(fe->wait_call(kTx));
  eventfd_t n = 0;
  EXPECT_NE(::eventfd_read(old.get(), &n), 0) << "the replaced call fd was signalled";
  // No call fd at all: the driver polls; used entries still appear.
  ASSERT_TRUE(fe->set_vring_fd(Request::kSetVringCall, kTx, -1));
  const uint64_t suppressed = backend.queue_stats()[kTx].calls_suppressed;
  fe->send_frame(kTx, make_frame(kMacB, kMacA, 64));
  ASSERT_NO_FATAL_FAILURE(wait_tx_handled(backend, *fe, kTx, 3));
  EXPECT_FALSE(fe->take_call(kTx));
  EXPECT_EQ(backend.queue_stats()[kTx].calls_suppressed, suppressed + 1);
}

TEST(VringErr, BrokenRingSignalsErrAndCanBeRestarted) {
  TestBackend backend("sink");
  auto fe = connect_and_handshake(backend);
  fe->send_frame(kTx, make_frame(kMacB, kMacA, 64));
  ASSERT_TRUE(fe->wait_used(kTx, 1));
  // The driver moves avail->idx by more than the ring size: the ring is unusable.
  DriverRing& tx = fe->ring(kTx).ring;
  tx.set_avail_idx(static_cast<uint16_t>(tx.avail_idx() + 1000));
  fe->kick(kTx);
  ASSERT_TRUE(fe->wait_err(kTx));
  tx.set_avail_idx(1);
  fe->send_frame(kTx, make_frame(kMacB, kMacA, 64));
  fe->sync();
  backend.settle();
  EXPECT_EQ(tx.used_idx(), 1) << "a broken ring was processed";
  EXPECT_EQ(backend.stats().rx_pkts, 1u);
  // GET_VRING_BASE reports where it broke; restarting from there works.
  EXPECT_EQ(fe->get_vring_base(kTx), 1u);
  ASSERT_TRUE(fe->set_vring_base(kTx, 1));
  ASSERT_TRUE(fe->set_vring_kick(kTx));
  ASSERT_TRUE(fe->wait_used(kTx, 2));
  EXPECT_EQ(backend.stats().rx_pkts, 2u);
}

}  // namespace
}  // namespace protocol_test
