// Malformed messages in the middle of a running device. Each is either
// refused (a failure ack; the connection goes on) or drops the connection;
// every fd it carried is closed; and afterwards the backend still serves a
// fresh frontend on a fresh socketpair, handshake and traffic included.
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <cstring>
#include <functional>

#include "tests/protocol/protocol_test.hpp"

namespace protocol_test {
namespace {

namespace flag = vhost::msg_flag;

enum class Outcome {
  kRefused,  // a non-zero ack, the connection continues
  kDropped,  // the backend closes the connection
};

struct Case {
  std::string name;
  Outcome outcome;
  size_t probes;  // FdProbes whose fds the message carries
  std::function<void(TestFrontend&, std::span<const int> probes)> send;
};

constexpr uint32_t kAsk = flag::kVersion | flag::kNeedReply;

Message msg(Request r, uint32_t size, uint32_t flags = kAsk) {
  Message m = TestFrontend::make(r, flags);
  m.hdr.size = size;
  return m;
}

// A header announcing `size` payload bytes, then that many bytes.
void send_sized(TestFrontend& fe, uint32_t request, uint32_t size, std::span<const int> fds = {}) {
  std::vector<uint8_t> bytes(sizeof(vhost::MsgHeader) + size, 0);
  const vhost::MsgHeader h{request, kAsk, size};
  std::memcpy(bytes.data(), &h, sizeof h);
  fe.send_bytes(bytes.data(), bytes.size(), fds);
}

std::vector<int> with(std::span<const int> a, std::initializer_list<int> b) {
  std::vector<int> v(a.begin(), a.end());
  v.insert(v.end(), b);
  return v;
}

uint32_t u32(Request r) { return static_cast<uint32_t>(r); }

std::vector<Case> cases() {
  using R = Request;
  using O = Outcome;
  std::vector<Case> c;
  // ---- Refused: the connection survives ----
  c.push_back({"OversizedSetFeatures", O::kRefused, 0,
               [](TestFrontend& fe, auto) { send_sized(fe, u32(R::kSetFeatures), 1000); }});
  c.push_back({"OversizedUnknownRequest", O::kRefused, 0, [](TestFrontend& fe, auto) { send_sized(fe, 99, 60000); }});
  c.push_back({"MemTableOfNineRegions", O::kRefused, 0, [](TestFrontend& fe, auto) {
                 send_sized(fe, u32(R::kSetMemTable), sizeof(vhost::MemTableHeader) + 9 * sizeof(vhost::MemRegionDesc));
               }});
  c.push_back({"ConfigSizeOver256", O::kRefused, 0, [](TestFrontend& fe, auto) {
                 Message m = TestFrontend::config_message(R::kSetConfig, 0, 200, {}, kAsk);
                 m.set_payload(vhost::ConfigHeader{0, 300, 0});  // claims more than it carries, and over 256
                 m.hdr.size = sizeof(vhost::ConfigHeader) + 200;
                 fe.send(m);
               }});
  c.push_back(
      {"VringNumWithShortPayload", O::kRefused, 0, [](TestFrontend& fe, auto) { fe.send(msg(R::kSetVringNum, 4)); }});
  c.push_back({"MemTableClaimingTwoRegionsCarryingOne", O::kRefused, 0, [](TestFrontend& fe, auto) {
                 Message m = TestFrontend::mem_table_message({&fe.region().desc(), 1}, kAsk);
                 const vhost::MemTableHeader two{2, 0};
                 std::memcpy(m.payload.data(), &two, sizeof two);
                 const int fd = fe.region().fd();
                 fe.send(m, {&fd, 1});
               }});
  c.push_back({"FdOnSetOwner", O::kRefused, 1, [](TestFrontend& fe, auto p) { fe.send(msg(R::kSetOwner, 0), p); }});
  c.push_back({"VringKickWithoutFd", O::kRefused, 0,
               [](TestFrontend& fe, auto) { fe.send(TestFrontend::make(R::kSetVringKick, uint64_t{kTx}, kAsk)); }});
  c.push_back({"VringKickWithTwoFds", O::kRefused, 2, [](TestFrontend& fe, auto p) {
                 fe.send(TestFrontend::make(R::kSetVringKick, uint64_t{kTx}, kAsk), p);
               }});
  c.push_back({"VringCallNoFdFlagWithFd", O::kRefused, 1, [](TestFrontend& fe, auto p) {
                 fe.send(TestFrontend::make(R::kSetVringCall, kTx | vhost::kVringNoFdFlag, kAsk), p);
               }});
  c.push_back({"MemTableWithMoreFdsThanRegions", O::kRefused, 1, [](TestFrontend& fe, auto p) {
                 Message m = TestFrontend::mem_table_message({&fe.region().desc(), 1}, kAsk);
                 fe.send(m, with(p, {fe.region().fd()}));
               }});
  c.push_back({"UnknownRequestWithFd", O::kRefused, 1,
               [](TestFrontend& fe, auto p) { fe.send(msg(static_cast<R>(99), 0), p); }});
  c.push_back({"RequestIdBeyondTheTable", O::kRefused, 0,
               [](TestFrontend& fe, auto) { fe.send(msg(static_cast<R>(1000000), 0)); }});
  c.push_back(
      {"UnimplementedSetLogFd", O::kRefused, 1, [](TestFrontend& fe, auto p) { fe.send(msg(R::kSetLogFd, 0), p); }});
  for (uint32_t version : {0u, 2u, 3u})
    c.push_back({"Version" + std::to_string(version), O::kRefused, 0,
                 [version](TestFrontend& fe, auto) { fe.send(msg(R::kSetOwner, 0, version | flag::kNeedReply)); }});
  c.push_back({"ReplyFlagOnRequest", O::kRefused, 0,
               [](TestFrontend& fe, auto) { fe.send(msg(R::kSetOwner, 0, kAsk | flag::kReply)); }});
  c.push_back({"PipeAsKickFd", O::kRefused, 1, [](TestFrontend& fe, auto p) {
                 fe.send(TestFrontend::make(R::kSetVringKick, uint64_t{kTx}, kAsk), p);
               }});
  c.push_back({"PipeAsCallFd", O::kRefused, 1, [](TestFrontend& fe, auto p) {
                 fe.send(TestFrontend::make(R::kSetVringCall, uint64_t{kRx}, kAsk), p);
               }});
  c.push_back({"RegularFileAsCallFd", O::kRefused, 0, [](TestFrontend& fe, auto) {
                 vhost::UniqueFd file(::memfd_create("regular", MFD_CLOEXEC));
                 const int fd = file.get();
                 fe.send(TestFrontend::make(R::kSetVringCall, uint64_t{kRx}, kAsk), {&fd, 1});
               }});
  c.push_back({"EventfdAsMemoryRegion", O::kRefused, 0, [](TestFrontend& fe, auto) {
                 Message m = TestFrontend::mem_table_message({&fe.region().desc(), 1}, kAsk);
                 vhost::UniqueFd efd(::eventfd(0, EFD_CLOEXEC));
                 const int fd = efd.get();
                 fe.send(m, {&fd, 1});
               }});
  // ---- Dropped: the stream is unusable, or the frontend waits for data ----
  c.push_back({"ShortHeaderThenClose", O::kDropped, 0, [](TestFrontend& fe, auto) {
                 const vhost::MsgHeader h{1, flag::kVersion, 0};
                 fe.send_bytes(&h, 6);
                 fe.shutdown_write();
               }});
  c.push_back({"ShortPayloadThenClose", O::kDropped, 1, [](TestFrontend& fe, auto p) {
                 std::vector<uint8_t> b(sizeof(vhost::MsgHeader) + 4);
                 const vhost::MsgHeader h{u32(R::kSetFeatures), flag::kVersion, 8};
                 std::memcpy(b.data(), &h, sizeof h);
                 fe.send_bytes(b.data(), b.size(), p);
                 fe.shutdown_write();
               }});
  c.push_back({"PayloadOver64KiB", O::kDropped, 0, [](TestFrontend& fe, auto) {
                 const vhost::MsgHeader h{u32(R::kSetFeatures), flag::kVersion, 100000};
                 fe.send_bytes(&h, sizeof h);
               }});
  c.push_back({"NineFds", O::kDropped, 9, [](TestFrontend& fe, auto p) { fe.send(msg(R::kSetOwner, 0), p); }});
  c.push_back({"GetFeaturesWithPayload", O::kDropped, 0,
               [](TestFrontend& fe, auto) { fe.send(TestFrontend::make(R::kGetFeatures, uint64_t{0})); }});
  c.push_back({"OversizedGetFeatures", O::kDropped, 0,
               [](TestFrontend& fe, auto) { send_sized(fe, u32(R::kGetFeatures), 5000); }});
  c.push_back({"GetFeaturesWithFd", O::kDropped, 1,
               [](TestFrontend& fe, auto p) { fe.send(TestFrontend::make(R::kGetFeatures), p); }});
  c.push_back({"GetFeaturesWithReplyFlag", O::kDropped, 0, [](TestFrontend& fe, auto) {
                 fe.send(TestFrontend::make(R::kGetFeatures, flag::kVersion | flag::kReply));
               }});
  c.push_back({"GetVringBaseShortPayload", O::kDropped, 0,
               [](TestFrontend& fe, auto) { fe.send(msg(R::kGetVringBase, 4, flag::kVersion)); }});
  c.push_back({"GetVringBaseOfRing9", O::kDropped, 0, [](TestFrontend& fe, auto) {
                 fe.send(TestFrontend::make(R::kGetVringBase, vhost::VringState{9, 0}));
               }});
  return c;
}

class Malformed : public ::testing::TestWithParam<Case> {};

TEST_P(Malformed, IsRefusedOrDroppedAndTheBackendLivesOn) {
  const Case& tc = GetParam();
  TestBackend backend("loopback");
  auto fe = connect_and_handshake(backend);
  ASSERT_TRUE(fe->reply_ack());
  std::vector<FdProbe> probes(tc.probes);
  std::vector<int> probe_fds;
  for (const FdProbe& p : probes) probe_fds.push_back(p.fd());
  tc.send(*fe, probe_fds);
  if (tc.outcome == Outcome::kRefused) {
    const Message ack = fe->recv();
    EXPECT_EQ(ack.hdr.flags, flag::kVersion | flag::kReply);
    ASSERT_EQ(ack.hdr.size, sizeof(uint64_t));
    EXPECT_NE(ack.u64(), 0u) << "malformed request acked as a success";
    // Still the same device: it answers and carries traffic.
    ASSERT_NO_FATAL_FAILURE(expect_loopback(*fe, 1));
  } else {
    EXPECT_TRUE(fe->wait_closed()) << "the backend kept a connection it cannot trust";
  }
  for (size_t i = 0; i < probes.size(); ++i)
    EXPECT_TRUE(probes[i].closed_everywhere()) << "fd " << i << " of the message was not closed";
  ASSERT_NO_FATAL_FAILURE(expect_fresh_frontend_works(backend, std::move(fe)));
}

INSTANTIATE_TEST_SUITE_P(Messages, Malformed, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(SplitMessage, PiecesAreAssembled) {
  TestBackend backend("loopback");
  auto fe = connect(backend);
  Message m = TestFrontend::make(Request::kGetVringBase, vhost::VringState{kTx, 0});
  std::vector<uint8_t> bytes(sizeof m.hdr + m.hdr.size);
  std::memcpy(bytes.data(), &m.hdr, sizeof m.hdr);
  std::memcpy(bytes.data() + sizeof m.hdr, m.payload.data(), m.hdr.size);
  // Cut inside the header and inside the payload; the backend reads each
  // piece before the next is sent.
  for (auto [from, to] : {std::pair<size_t, size_t>{0, 5}, {5, 15}, {15, bytes.size()}}) {
    fe->send_bytes(bytes.data() + from, to - from);
    ASSERT_TRUE(fe->wait_drained());
  }
  const Message reply = fe->recv();
  EXPECT_EQ(reply.hdr.request, static_cast<uint32_t>(Request::kGetVringBase));
  EXPECT_EQ(reply.read_as<vhost::VringState>().index, kTx);
  ASSERT_NO_FATAL_FAILURE(expect_fresh_frontend_works(backend, std::move(fe)));
}

}  // namespace
}  // namespace protocol_test
