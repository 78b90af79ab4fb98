// Nothing outlives a connection: the backend runs in this process, so its
// fds, its mappings of guest memory and its epoll registrations are counted
// in /proc/self and must return to where they were once frontends are gone.
#include <sys/eventfd.h>

#include "tests/protocol/protocol_test.hpp"
#include "tests/support/process_resources.hpp"

namespace protocol_test {
namespace {

// A session that exercises everything that takes fds or maps memory,
// refused requests included.
void busy_session(TestBackend& backend) {
  auto fe = connect(backend);
  GuestRegion& r1 = fe->add_region(1 << 20, 0x40000000, 0x7f4000000000, 4096);
  fe->add_ring(kTx, 256, &r1);
  fe->handshake();
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 3));
  GuestRegion& r2 = fe->add_region(1 << 20, 0x50000000, 0x7f5000000000);
  // More memory, refused memory, refused fds.
  ASSERT_TRUE(fe->add_mem_reg(r2));
  EXPECT_FALSE(fe->add_mem_reg(r2));
  FdProbe probe;
  const int fd = probe.fd();
  EXPECT_NE(fe->request_ack(TestFrontend::make(Request::kSetOwner), {&fd, 1}), 0u);
  EXPECT_FALSE(fe->set_vring_fd(Request::kSetVringCall, kRx, probe.fd()));
  // Stop, restart, replace the call fd.
  EXPECT_EQ(fe->get_vring_base(kTx), 3u);
  ASSERT_TRUE(fe->set_vring_base(kTx, 3));
  ASSERT_TRUE(fe->set_vring_kick(kTx));
  ASSERT_TRUE(fe->set_vring_call(kTx));
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 2));
  ASSERT_TRUE(fe->rem_mem_reg(r2, true));
  // A whole new memory table under running rings, then a reset.
  ASSERT_TRUE(fe->set_mem_table());
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 1));
  ASSERT_TRUE(fe->reset_device());
  EXPECT_TRUE(probe.closed_everywhere());
}

class Leaks : public ::testing::Test {
 protected:
  void SetUp() override {
    // One full session first: lazily created state (allocator arenas, the
    // loop's slot table) settles before the baseline is taken.
    ASSERT_NO_FATAL_FAILURE(busy_session(backend_));
    ASSERT_TRUE(backend_.wait_detached());
    baseline_ = count_resources();
  }
  void expect_baseline() {
    ASSERT_TRUE(backend_.wait_detached());
    const ResourceCounts now = wait_for_resources(baseline_);
    EXPECT_EQ(now, baseline_) << "now " << now.describe() << ", before " << baseline_.describe();
  }

  TestBackend backend_{"loopback"};
  ResourceCounts baseline_;
};

TEST_F(Leaks, BusySessionsLeaveNothingBehind) {
  for (int i = 0; i < 5; ++i) ASSERT_NO_FATAL_FAILURE(busy_session(backend_));
  ASSERT_NO_FATAL_FAILURE(expect_baseline());
}

TEST_F(Leaks, DroppedConnectionsLeaveNothingBehind) {
  {
    // Dropped mid-message while holding memory, rings and fds.
    auto fe = connect_and_handshake(backend_);
    ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 2));
    // The counter sees guest memory twice: our mapping and the backend's.
    EXPECT_EQ(count_resources().guest_mappings, baseline_.guest_mappings + 2);
    std::vector<FdProbe> probes(9);
    std::vector<int> fds;
    for (const FdProbe& p : probes) fds.push_back(p.fd());
    fe->send(TestFrontend::make(Request::kSetOwner), fds);
    EXPECT_TRUE(fe->wait_closed());
    for (FdProbe& p : probes) EXPECT_TRUE(p.closed_everywhere());
  }
  ASSERT_NO_FATAL_FAILURE(expect_baseline());
  {
    auto fe = connect_and_handshake(backend_);
    FdProbe probe;
    const vhost::MsgHeader h{static_cast<uint32_t>(Request::kSetMemTable), vhost::msg_flag::kVersion, 40};
    const int fd = probe.fd();
    fe->send_bytes(&h, sizeof h, {&fd, 1});
    fe->shutdown_write();
    EXPECT_TRUE(fe->wait_closed());
    EXPECT_TRUE(probe.closed_everywhere());
  }
  ASSERT_NO_FATAL_FAILURE(expect_baseline());
}

// Two ports with frontends attached when the backend stops: destroying it
// releases their connections.
void backend_stopped_under_frontends() {
  TestBackend backend("sink", 2);
  auto a = connect_and_handshake(backend, 0);
  auto b = connect_and_handshake(backend, 1);
  a->send_frame(kTx, make_frame(kMacB, kMacA, 64));
  ASSERT_TRUE(a->wait_used(kTx, 1));
  backend.stop();
}

TEST(LeaksOfTheBackend, StoppedWithFrontendsAttached) {
  // The first round creates what a backend thread leaves cached (its stack).
  ASSERT_NO_FATAL_FAILURE(backend_stopped_under_frontends());
  const ResourceCounts baseline = count_resources();
  ASSERT_NO_FATAL_FAILURE(backend_stopped_under_frontends());
  EXPECT_EQ(count_resources(), baseline);
}

TEST(LeaksWithinAConnection, RefusedKickLeavesNoEpollWatch) {
  // A kick fd that cannot start its ring must be unwatched before it is
  // closed; otherwise epoll keeps the registration (the frontend still holds
  // the eventfd), the same eventfd can never be watched again, and its
  // level-triggered events are reported forever.
  TestBackend backend("loopback");
  auto fe = connect(backend);
  HandshakeOptions opts;
  opts.setup_rings = false;
  fe->handshake(opts);
  ASSERT_TRUE(fe->reply_ack());
  ASSERT_TRUE(fe->set_vring_num(kTx, 256));
  vhost::VringAddr bad = fe->ring(kTx).addr();
  bad.desc_user_addr = 0x1000;  // outside guest memory
  ASSERT_TRUE(fe->request(TestFrontend::make(Request::kSetVringAddr, bad)));
  backend.settle();
  const ResourceCounts before = count_resources();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(fe->set_vring_kick(kTx));
  fe->kick(kTx);
  backend.settle();
  EXPECT_EQ(wait_for_resources(before), before);
  // With good addresses the very same eventfd starts the ring.
  ASSERT_TRUE(fe->set_vring_addr(kTx));
  EXPECT_TRUE(fe->set_vring_kick(kTx));
  ASSERT_TRUE(fe->setup_ring(kRx));
  ASSERT_TRUE(fe->set_vring_call(kTx));
  ASSERT_TRUE(fe->set_vring_enable(kRx, true));
  ASSERT_TRUE(fe->set_vring_enable(kTx, true));
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 2));
}

}  // namespace
}  // namespace protocol_test
