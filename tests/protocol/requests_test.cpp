// Device-wide requests: features, ownership, protocol features, queue
// count, MTU, config space, reset and status.
#include <cstring>

#include "tests/protocol/protocol_test.hpp"
#include "vhost/device/device.hpp"

namespace protocol_test {
namespace {

namespace pf = vhost::protocol_feature;
namespace vf = virtio::feature;

TEST(Features, OfferedSet) {
  TestBackend backend("loopback");
  auto fe = connect(backend);
  const uint64_t f = fe->get_features();
  for (unsigned bit : {vf::kVersion1, vf::kNetMrgRxbuf, vf::kRingEventIdx, vf::kRingIndirectDesc, vf::kNetMtu,
                       vf::kAnyLayout, vhost::kProtocolFeaturesBit})
    EXPECT_TRUE(virtio::has(f, bit)) << "bit " << bit;
  EXPECT_FALSE(virtio::has(f, vf::kNetMq)) << "MQ offered with a single queue pair";
  EXPECT_FALSE(virtio::has(f, vf::kRingPacked));

  TestBackend multi("loopback", 1, 4);
  EXPECT_TRUE(virtio::has(connect(multi)->get_features(), vf::kNetMq));
}

TEST(Features, SetFeaturesRefusesUnofferedBits) {
  TestBackend backend("loopback");
  auto fe = connect_acking(backend);
  const uint64_t offered = fe->get_features();
  EXPECT_FALSE(fe->set_features(offered | virtio::bit(vf::kRingPacked)));
  EXPECT_FALSE(fe->set_features(virtio::bit(63)));
  EXPECT_TRUE(fe->set_features(offered));
  EXPECT_TRUE(fe->set_features(virtio::bit(vf::kVersion1)));
}

TEST(ProtocolFeatures, OfferedSetAndRefusal) {
  TestBackend backend("loopback");
  auto fe = connect(backend);
  // Before SET_FEATURES (QEMU asks for them first; the spec allows it).
  const uint64_t offered = fe->get_protocol_features();
  EXPECT_EQ(offered, protocol_bit(pf::kMq) | protocol_bit(pf::kReplyAck) | protocol_bit(pf::kMtu) |
                         protocol_bit(pf::kConfig) | protocol_bit(pf::kResetDevice) |
                         protocol_bit(pf::kConfigureMemSlots) | protocol_bit(pf::kStatus));
  ASSERT_TRUE(fe->set_protocol_features(offered));
  EXPECT_NE(fe->request_ack(TestFrontend::make(Request::kSetProtocolFeatures, offered | protocol_bit(pf::kLogShmfd))),
            0u);
  EXPECT_NE(fe->request_ack(TestFrontend::make(Request::kSetProtocolFeatures, protocol_bit(pf::kBackendReq))), 0u);
  // The refused requests left the negotiated set (REPLY_ACK included) alone.
  EXPECT_EQ(fe->request_ack(TestFrontend::make(Request::kSetOwner)), 0u);
}

TEST(Owner, SetOwnerAccepted) {
  TestBackend backend("loopback");
  auto fe = connect_acking(backend);
  EXPECT_TRUE(fe->set_owner());
  EXPECT_TRUE(fe->set_owner());
}

// RESET_OWNER and RESET_DEVICE both return the device to its state at
// connection time: rings stopped, memory unmapped, features forgotten.
void expect_reset(bool (TestFrontend::*reset)()) {
  TestBackend backend("loopback");
  auto fe = connect_and_handshake(backend);
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 2));
  ASSERT_TRUE(fe->set_status(0x0f));
  ASSERT_TRUE(((*fe).*reset)());
  fe->sync();
  EXPECT_EQ(fe->get_status(), 0u);
  // Rings are stopped: a kick moves nothing, and GET_VRING_BASE reports 0.
  fe->post_rx(kRx, 1);
  fe->send_frame(kTx, make_frame(kMacB, kMacA, 64));
  fe->sync();
  backend.settle();
  EXPECT_EQ(fe->ring(kTx).ring.used_idx(), 2);
  EXPECT_EQ(fe->get_vring_base(kTx), 0u);
  // REPLY_ACK is forgotten: a NEED_REPLY request gets no answer, so the
  // next message we see is the GET_FEATURES reply.
  Message m = TestFrontend::make(Request::kSetOwner, vhost::msg_flag::kVersion | vhost::msg_flag::kNeedReply);
  fe->send(m);
  EXPECT_EQ(fe->transact(TestFrontend::make(Request::kGetFeatures)).hdr.size, 8u);
  // Memory is unmapped: a ring with size and addresses still cannot start.
  ASSERT_TRUE(fe->set_protocol_features(protocol_bit(pf::kReplyAck)));
  fe->add_ring(kRx);  // fresh rings: the old ones hold indices of the old run
  fe->add_ring(kTx);
  EXPECT_TRUE(fe->set_vring_num(kTx, 256));
  EXPECT_TRUE(fe->set_vring_addr(kTx));
  EXPECT_FALSE(fe->set_vring_kick(kTx));
  // The same connection is set up again from scratch and carries traffic.
  fe->handshake();
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 2));
}

TEST(Owner, ResetOwnerReturnsToInitialState) { expect_reset(&TestFrontend::reset_owner); }
TEST(ResetDevice, ReturnsToInitialState) { expect_reset(&TestFrontend::reset_device); }

TEST(QueueNum, ReportsQueuePairs) {
  TestBackend one("loopback");
  EXPECT_EQ(connect(one)->get_queue_num(), 1u);
  TestBackend three("loopback", 1, 3);
  EXPECT_EQ(connect(three)->get_queue_num(), 3u);
}

// virtio-net config space: mac[6], status u16, max_virtqueue_pairs u16, mtu u16.
struct NetConfig {
  uint8_t mac[6];
  uint16_t status, max_pairs, mtu;
};

NetConfig read_config(TestFrontend& fe) {
  const Message reply = fe.get_config(0, 12);
  EXPECT_EQ(reply.hdr.size, sizeof(vhost::ConfigHeader) + 12);
  const auto hdr = reply.read_as<vhost::ConfigHeader>();
  EXPECT_EQ(hdr.offset, 0u);
  EXPECT_EQ(hdr.size, 12u);
  NetConfig c;
  std::memcpy(c.mac, reply.payload.data() + sizeof hdr, 6);
  std::memcpy(&c.status, reply.payload.data() + sizeof hdr + 6, 2);
  std::memcpy(&c.max_pairs, reply.payload.data() + sizeof hdr + 8, 2);
  std::memcpy(&c.mtu, reply.payload.data() + sizeof hdr + 10, 2);
  return c;
}

TEST(Config, LayoutOfNetConfigSpace) {
  TestBackend backend("loopback", 2, 3);
  auto fe = connect(backend, 1);
  const NetConfig c = read_config(*fe);
  EXPECT_EQ(0, std::memcmp(c.mac, backend.config(1).mac.data(), 6));
  EXPECT_EQ(c.status, 1) << "link up";
  EXPECT_EQ(c.max_pairs, 3);
  EXPECT_EQ(c.mtu, 1500);
  // A window into the middle: just max_virtqueue_pairs.
  const Message part = fe->get_config(8, 2);
  ASSERT_EQ(part.hdr.size, sizeof(vhost::ConfigHeader) + 2);
  uint16_t pairs;
  std::memcpy(&pairs, part.payload.data() + sizeof(vhost::ConfigHeader), 2);
  EXPECT_EQ(pairs, 3);
}

TEST(Config, OutOfRangeReadIsAnEmptyReply) {
  // The spec: "vhost-user back-end uses zero length of payload to indicate
  // an error"; the connection goes on.
  TestBackend backend("loopback");
  auto fe = connect(backend);
  for (auto [offset, size] : {std::pair{0u, 13u}, {10u, 4u}, {13u, 0u}, {200u, 56u}}) {
    const Message reply = fe->get_config(offset, size);
    ASSERT_EQ(reply.hdr.size, sizeof(vhost::ConfigHeader)) << offset << "+" << size;
    EXPECT_EQ(reply.read_as<vhost::ConfigHeader>().size, 0u);
  }
  EXPECT_EQ(read_config(*fe).mtu, 1500);
}

TEST(Config, OnlyTheMacIsWritable) {
  TestBackend backend("loopback");
  auto fe = connect_acking(backend);
  const uint8_t mac[6] = {0x02, 1, 2, 3, 4, 5};
  EXPECT_TRUE(fe->set_config(0, mac));
  EXPECT_EQ(0, std::memcmp(read_config(*fe).mac, mac, 6));
  const uint8_t tail[2] = {0xaa, 0xbb};
  EXPECT_TRUE(fe->set_config(4, tail));
  EXPECT_EQ(read_config(*fe).mac[5], 0xbb);
  const uint8_t status[2] = {0, 0};
  EXPECT_FALSE(fe->set_config(6, status)) << "status is read-only";
  const uint8_t seven[7] = {};
  EXPECT_FALSE(fe->set_config(0, seven)) << "write spilling past the mac";
  EXPECT_FALSE(fe->set_config(300, {}));
  EXPECT_EQ(read_config(*fe).status, 1);
}

TEST(Mtu, RangeAndConfigSpace) {
  TestBackend backend("loopback");
  auto fe = connect_acking(backend);
  EXPECT_TRUE(fe->net_set_mtu(9000));
  EXPECT_EQ(read_config(*fe).mtu, 9000);
  EXPECT_TRUE(fe->net_set_mtu(68));
  EXPECT_TRUE(fe->net_set_mtu(65535));
  EXPECT_FALSE(fe->net_set_mtu(67));
  EXPECT_FALSE(fe->net_set_mtu(65536));
  EXPECT_FALSE(fe->net_set_mtu(0));
  EXPECT_EQ(read_config(*fe).mtu, 65535) << "a refused MTU must not stick";
}

TEST(Status, SetAndGet) {
  TestBackend backend("loopback");
  auto fe = connect_acking(backend);
  EXPECT_EQ(fe->get_status(), 0u);
  EXPECT_TRUE(fe->set_status(0x0f));  // ACKNOWLEDGE | DRIVER | DRIVER_OK | FEATURES_OK
  EXPECT_EQ(fe->get_status(), 0x0fu);
  EXPECT_FALSE(fe->set_status(0x100));
  EXPECT_EQ(fe->get_status(), 0x0fu);
  EXPECT_TRUE(fe->set_status(0));
  EXPECT_EQ(fe->get_status(), 0u);
}

TEST(MemSlots, MaxMemSlotsIs509) {
  TestBackend backend("loopback");
  EXPECT_EQ(connect(backend)->get_max_mem_slots(), 509u);
}

}  // namespace
}  // namespace protocol_test
