// Guest memory over the wire: SET_MEM_TABLE, ADD_MEM_REG and REM_MEM_REG,
// with rings and buffers in regions the backend mapped from our memfds.
#include <sys/eventfd.h>

#include <cstring>

#include "tests/protocol/protocol_test.hpp"

namespace protocol_test {
namespace {

constexpr uint64_t kSecondGpa = 0x40000000;
constexpr uint64_t kSecondUser = 0x7f4000000000;
constexpr uint64_t kSecondSize = 1 << 20;
constexpr uint64_t kSecondOffset = 64 << 10;  // the region starts 64 KiB into its memfd

TEST(MemTable, BadRegionsRefusedAndOldTableKept) {
  TestBackend backend("loopback");
  auto fe = connect_and_handshake(backend);
  GuestRegion& r0 = fe->region(0);
  const int fd = r0.fd();
  const std::array<int, 2> two_fds{fd, fd};
  vhost::MemRegionDesc d = r0.desc();
  d.memory_size += 4096;  // past the end of the memfd: would SIGBUS
  EXPECT_NE(fe->request_ack(TestFrontend::mem_table_message({&d, 1}), {&fd, 1}), 0u);
  d = r0.desc();
  d.mmap_offset = 4096;  // offset + size past the end
  EXPECT_NE(fe->request_ack(TestFrontend::mem_table_message({&d, 1}), {&fd, 1}), 0u);
  d = r0.desc();
  d.memory_size = 0;
  EXPECT_NE(fe->request_ack(TestFrontend::mem_table_message({&d, 1}), {&fd, 1}), 0u);
  const std::array<vhost::MemRegionDesc, 2> overlap{r0.desc(), r0.desc()};
  EXPECT_NE(fe->request_ack(TestFrontend::mem_table_message(overlap), two_fds), 0u);
  vhost::UniqueFd efd(::eventfd(0, EFD_CLOEXEC));
  const int not_memory = efd.get();
  EXPECT_NE(fe->request_ack(TestFrontend::mem_table_message({&r0.desc(), 1}), {&not_memory, 1}), 0u);
  // The refused tables changed nothing: the rings still run on the old one.
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 2));
}

TEST(MemTable, RingsInASecondRegionWithMmapOffset) {
  TestBackend backend("loopback");
  auto fe = connect(backend);
  GuestRegion& r1 = fe->add_region(kSecondSize, kSecondGpa, kSecondUser, kSecondOffset);
  fe->add_ring(kRx, 256, &r1);
  fe->add_ring(kTx, 256, &r1);
  fe->handshake();
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 3));
  // A new table without that region: both rings lose their memory.
  ASSERT_TRUE(fe->set_mem_table({&fe->region(0)}));
  EXPECT_TRUE(fe->wait_err(kRx));
  EXPECT_TRUE(fe->wait_err(kTx));
  fe->send_frame(kTx, make_frame(kMacB, kMacA, 64));
  fe->sync();
  backend.settle();
  EXPECT_EQ(fe->ring(kTx).ring.used_idx(), 3);
}

TEST(MemTable, BufferAcrossAdjacentRegions) {
  // Two memfds back one contiguous range of guest-physical (and frontend
  // virtual) memory, as QEMU splits RAM; a frame buffer straddles the seam.
  TestBackend backend("loopback");
  auto fe = connect(backend);
  const uint64_t seam = TestFrontend::kGpaBase + TestFrontend::kRegionSize;
  GuestRegion& r1 = fe->add_region(kSecondSize, seam, TestFrontend::kUserBase + TestFrontend::kRegionSize);
  fe->handshake();
  fe->post_rx(kRx, 1);
  const auto frame = make_frame(kMacB, kMacA, 200);
  std::vector<uint8_t> buf(fe->net_header_size(), 0);
  buf.insert(buf.end(), frame.begin(), frame.end());
  const uint64_t gpa = seam - 50;
  std::memcpy(fe->region(0).mem().host(gpa), buf.data(), 50);
  std::memcpy(r1.mem().host(seam), buf.data() + 50, buf.size() - 50);
  fe->ring(kTx).ring.post({{gpa, static_cast<uint32_t>(buf.size()), false}});
  fe->kick(kTx);
  ASSERT_TRUE(fe->wait_used(kRx, 1));
  auto got = fe->pop_rx(kRx);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, swap_macs(frame));
}

TEST(AddMemReg, RingsRunOnRegionsAddedOneByOne) {
  TestBackend backend("loopback");
  auto fe = connect(backend);
  GuestRegion& r1 = fe->add_region(kSecondSize, kSecondGpa, kSecondUser, kSecondOffset);
  fe->add_ring(kTx, 256, &r1);  // RX in region 0, TX in region 1
  HandshakeOptions opts;
  opts.add_mem_reg = true;
  fe->handshake(opts);
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 3));
  // Overlapping, oversized and fd-less regions are refused.
  EXPECT_FALSE(fe->add_mem_reg(r1)) << "the same region twice";
  vhost::MemRegionDesc big = r1.desc();
  big.guest_phys_addr = 0x80000000;
  big.user_addr = 0x7f8000000000;
  big.memory_size *= 2;
  const int fd = r1.fd();
  EXPECT_NE(fe->request_ack(TestFrontend::make(Request::kAddMemReg, vhost::SingleMemRegion{0, big}), {&fd, 1}), 0u);
  EXPECT_NE(fe->request_ack(TestFrontend::make(Request::kAddMemReg, vhost::SingleMemRegion{0, r1.desc()})), 0u);
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 1));
}

TEST(RemMemReg, RemovingTheRegionUnderARingBreaksIt) {
  TestBackend backend("loopback");
  auto fe = connect(backend);
  GuestRegion& r1 = fe->add_region(kSecondSize, kSecondGpa, kSecondUser, kSecondOffset);
  fe->add_ring(kRx, 256, &r1);  // RX in region 1, TX in region 0
  HandshakeOptions opts;
  opts.add_mem_reg = true;
  fe->handshake(opts);
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 2));
  fe->post_rx(kRx, 2);
  ASSERT_TRUE(fe->rem_mem_reg(r1, /*with_fd=*/true));  // QEMU sends the region's fd along
  EXPECT_TRUE(fe->wait_err(kRx));
  // TX (in region 0) still runs; the frame finds no usable RX ring.
  fe->send_frame(kTx, make_frame(kMacB, kMacA, 64));
  ASSERT_NO_FATAL_FAILURE(wait_tx_handled(backend, *fe, kTx, 3));
  EXPECT_EQ(fe->ring(kRx).ring.used_idx(), 2);
  EXPECT_EQ(backend.stats().tx_drops, 1u);
  EXPECT_FALSE(fe->rem_mem_reg(r1)) << "removed twice";
  // Memory back, ring restarted where it stopped: traffic resumes.
  ASSERT_TRUE(fe->add_mem_reg(r1));
  EXPECT_EQ(fe->get_vring_base(kRx), 2u);
  ASSERT_TRUE(fe->set_vring_base(kRx, 2));
  ASSERT_TRUE(fe->set_vring_kick(kRx));
  const auto frame = make_frame(kMacB, kMacA, 99);
  fe->send_frame(kTx, frame);
  ASSERT_TRUE(fe->wait_used(kRx, 3));
  auto got = fe->pop_rx(kRx);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, swap_macs(frame));
}

}  // namespace
}  // namespace protocol_test
