// REPLY_ACK: with it negotiated and NEED_REPLY set, every ack-type request
// is answered with a u64 (0 success, non-zero refusal); otherwise nothing
// is sent, and requests that return data answer with the data only.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "tests/protocol/protocol_test.hpp"
#include "vhost/device/device.hpp"

namespace protocol_test {
namespace {

struct Step {
  std::string what;
  Message msg;
  std::vector<int> fds;
  bool ok;
};

Message u64_msg(Request r, uint64_t v) { return TestFrontend::make(r, v); }
Message state_msg(Request r, uint32_t index, uint32_t num) {
  return TestFrontend::make(r, vhost::VringState{index, num});
}
Message region_msg(Request r, const vhost::MemRegionDesc& d) {
  return TestFrontend::make(r, vhost::SingleMemRegion{0, d});
}

// Every ack-type request the backend implements, once accepted and once
// refused, in an order in which the accepted ones make sense. `fe` has
// ring 0 laid out and a second region `r1` the backend does not know yet.
std::vector<Step> ack_steps(TestFrontend& fe, GuestRegion& r1, int not_eventfd) {
  FrontendRing& ring = fe.ring(0);
  vhost::MemRegionDesc too_big = fe.region(0).desc();
  too_big.memory_size *= 2;
  vhost::VringAddr bad_addr = ring.addr();
  bad_addr.index = 9;
  Message set_owner_with_payload = u64_msg(Request::kSetOwner, 0);
  Message short_vring_num = state_msg(Request::kSetVringNum, 0, 256);
  short_vring_num.hdr.size = 4;

  std::vector<Step> s;
  auto add = [&s](std::string what, Message m, std::vector<int> fds, bool ok) {
    s.push_back({std::move(what), std::move(m), std::move(fds), ok});
  };
  using R = Request;
  add("SET_OWNER", TestFrontend::make(R::kSetOwner), {}, true);
  add("SET_OWNER with a payload", std::move(set_owner_with_payload), {}, false);
  add("SET_FEATURES offered", u64_msg(R::kSetFeatures, vhost::Device::offered_features()), {}, true);
  add("SET_FEATURES bit 63", u64_msg(R::kSetFeatures, virtio::bit(63)), {}, false);
  add("SET_PROTOCOL_FEATURES offered", u64_msg(R::kSetProtocolFeatures, vhost::Device::offered_protocol_features()), {},
      true);
  add("SET_PROTOCOL_FEATURES LOG_SHMFD", u64_msg(R::kSetProtocolFeatures, virtio::bit(1)), {}, false);
  add("SET_MEM_TABLE", TestFrontend::mem_table_message({&fe.region(0).desc(), 1}), {fe.region(0).fd()}, true);
  add("SET_MEM_TABLE past the file", TestFrontend::mem_table_message({&too_big, 1}), {fe.region(0).fd()}, false);
  add("SET_MEM_TABLE without its fd", TestFrontend::mem_table_message({&fe.region(0).desc(), 1}), {}, false);
  add("SET_VRING_NUM 256", state_msg(R::kSetVringNum, 0, 256), {}, true);
  add("SET_VRING_NUM 3", state_msg(R::kSetVringNum, 0, 3), {}, false);
  add("SET_VRING_NUM ring 9", state_msg(R::kSetVringNum, 9, 256), {}, false);
  add("SET_VRING_NUM short payload", std::move(short_vring_num), {}, false);
  add("SET_VRING_ADDR", TestFrontend::make(R::kSetVringAddr, ring.addr()), {}, true);
  add("SET_VRING_ADDR ring 9", TestFrontend::make(R::kSetVringAddr, bad_addr), {}, false);
  add("SET_VRING_BASE 0", state_msg(R::kSetVringBase, 0, 0), {}, true);
  add("SET_VRING_BASE 65536", state_msg(R::kSetVringBase, 0, 0x10000), {}, false);
  add("SET_VRING_ERR", u64_msg(R::kSetVringErr, 0), {ring.err.get()}, true);
  add("SET_VRING_ERR pipe", u64_msg(R::kSetVringErr, 0), {not_eventfd}, false);
  add("SET_VRING_CALL", u64_msg(R::kSetVringCall, 0), {ring.call.get()}, true);
  add("SET_VRING_CALL pipe", u64_msg(R::kSetVringCall, 0), {not_eventfd}, false);
  add("SET_VRING_CALL without fd", u64_msg(R::kSetVringCall, 0), {}, false);
  add("SET_VRING_KICK pipe", u64_msg(R::kSetVringKick, 0), {not_eventfd}, false);
  add("SET_VRING_KICK ring 9", u64_msg(R::kSetVringKick, 9), {ring.kick.get()}, false);
  add("SET_VRING_KICK", u64_msg(R::kSetVringKick, 0), {ring.kick.get()}, true);
  add("SET_VRING_NUM on a started ring", state_msg(R::kSetVringNum, 0, 128), {}, false);
  add("SET_VRING_ENABLE 1", state_msg(R::kSetVringEnable, 0, 1), {}, true);
  add("SET_VRING_ENABLE 2", state_msg(R::kSetVringEnable, 0, 2), {}, false);
  add("NET_SET_MTU 1500", u64_msg(R::kNetSetMtu, 1500), {}, true);
  add("NET_SET_MTU 10", u64_msg(R::kNetSetMtu, 10), {}, false);
  add("SET_CONFIG mac", TestFrontend::config_message(R::kSetConfig, 0, 6), {}, true);
  add("SET_CONFIG status", TestFrontend::config_message(R::kSetConfig, 6, 2), {}, false);
  add("SET_STATUS 0x0f", u64_msg(R::kSetStatus, 0x0f), {}, true);
  add("SET_STATUS 0x100", u64_msg(R::kSetStatus, 0x100), {}, false);
  add("ADD_MEM_REG", region_msg(R::kAddMemReg, r1.desc()), {r1.fd()}, true);
  add("ADD_MEM_REG overlapping", region_msg(R::kAddMemReg, r1.desc()), {r1.fd()}, false);
  add("REM_MEM_REG", region_msg(R::kRemMemReg, r1.desc()), {}, true);
  add("REM_MEM_REG unknown", region_msg(R::kRemMemReg, r1.desc()), {}, false);
  add("SET_LOG_BASE (not implemented)", u64_msg(R::kSetLogBase, 0), {}, false);
  add("request 99", TestFrontend::make(static_cast<R>(99)), {}, false);
  add("SET_OWNER with a bad version", TestFrontend::make(R::kSetOwner, 0x2), {}, false);
  return s;
}

class ReplyAck : public ::testing::Test {
 protected:
  void SetUp() override {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    pipe_read_.reset(p[0]);
    pipe_write_.reset(p[1]);
  }
  std::unique_ptr<TestFrontend> frontend() {
    auto fe = connect(backend_);
    fe->add_ring(0);
    return fe;
  }

  TestBackend backend_{"loopback"};
  vhost::UniqueFd pipe_read_, pipe_write_;
};

TEST_F(ReplyAck, EveryAckTypeRequestIsAnswered) {
  auto fe = frontend();
  ASSERT_TRUE(fe->set_protocol_features(virtio::bit(vhost::protocol_feature::kReplyAck)));
  GuestRegion& r1 = fe->add_region(1 << 20, 0x40000000, 0x7f4000000000);
  for (Step& step : ack_steps(*fe, r1, pipe_write_.get())) {
    const uint64_t ack = fe->request_ack(std::move(step.msg), step.fds);
    if (step.ok)
      EXPECT_EQ(ack, 0u) << step.what;
    else
      EXPECT_NE(ack, 0u) << step.what;
  }
}

TEST_F(ReplyAck, ResetsAreAcked) {
  auto fe = frontend();
  for (Request r : {Request::kResetOwner, Request::kResetDevice}) {
    ASSERT_TRUE(fe->set_protocol_features(virtio::bit(vhost::protocol_feature::kReplyAck)));
    EXPECT_NE(fe->request_ack(u64_msg(r, 0)), 0u) << "with a payload";
    // Acked (0), after which REPLY_ACK is forgotten with everything else.
    EXPECT_TRUE(r == Request::kResetOwner ? fe->reset_owner() : fe->reset_device());
    EXPECT_FALSE(fe->reply_ack());
  }
}

// Sends every step without expecting an answer, each followed by a
// GET_FEATURES whose reply must be the next message (transact checks).
void expect_no_replies(TestFrontend& fe, std::vector<Step> steps, uint32_t flags) {
  for (Step& step : steps) {
    step.msg.hdr.flags |= flags;
    fe.send(step.msg, step.fds);
    EXPECT_NO_THROW(fe.transact(TestFrontend::make(Request::kGetFeatures))) << step.what;
  }
}

TEST_F(ReplyAck, NoReplyWithoutNeedReply) {
  auto fe = frontend();
  ASSERT_TRUE(fe->set_protocol_features(virtio::bit(vhost::protocol_feature::kReplyAck)));
  GuestRegion& r1 = fe->add_region(1 << 20, 0x40000000, 0x7f4000000000);
  auto steps = ack_steps(*fe, r1, pipe_write_.get());
  // The SET_PROTOCOL_FEATURES steps keep REPLY_ACK negotiated throughout.
  expect_no_replies(*fe, std::move(steps), 0);
}

TEST_F(ReplyAck, NoReplyWithoutReplyAckNegotiated) {
  auto fe = frontend();
  GuestRegion& r1 = fe->add_region(1 << 20, 0x40000000, 0x7f4000000000);
  auto steps = ack_steps(*fe, r1, pipe_write_.get());
  // Keep REPLY_ACK out of the negotiated set for this run.
  for (Step& step : steps)
    if (step.msg.request() == Request::kSetProtocolFeatures && step.ok)
      step.msg.set_payload<uint64_t>(vhost::Device::offered_protocol_features() &
                                     ~virtio::bit(vhost::protocol_feature::kReplyAck));
  expect_no_replies(*fe, std::move(steps), vhost::msg_flag::kNeedReply);
}

TEST_F(ReplyAck, DataRepliesAreNotFollowedByAnAck) {
  auto fe = frontend();
  ASSERT_TRUE(fe->set_protocol_features(vhost::Device::offered_protocol_features()));
  const uint32_t need = vhost::msg_flag::kVersion | vhost::msg_flag::kNeedReply;
  EXPECT_EQ(fe->transact(TestFrontend::make(Request::kGetFeatures, need)).u64(),
            vhost::Device::offered_features() & ~virtio::bit(virtio::feature::kNetMq));
  EXPECT_EQ(fe->transact(TestFrontend::make(Request::kGetQueueNum, need)).u64(), 1u);
  EXPECT_EQ(fe->transact(TestFrontend::make(Request::kGetMaxMemSlots, need)).u64(), 509u);
  EXPECT_EQ(fe->transact(TestFrontend::make(Request::kGetStatus, need)).u64(), 0u);
  EXPECT_EQ(fe->transact(TestFrontend::make(Request::kGetVringBase, vhost::VringState{0, 0}, need)).hdr.size, 8u);
  EXPECT_EQ(fe->get_protocol_features(), vhost::Device::offered_protocol_features());
}

}  // namespace
}  // namespace protocol_test
