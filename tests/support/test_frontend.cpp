// TestFrontend: the wire level, the requests and the handshake. Guest
// memory, rings and the data path are in frontend_rings.cpp.
#include "tests/support/test_frontend.hpp"

#include <errno.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <thread>

#include "virtio/features.hpp"

namespace testing_support {

using vhost::Message;
using vhost::Request;
namespace flag = vhost::msg_flag;

namespace {

std::string name_of(uint32_t request) {
  return vhost::request_name(request) + std::string(" (") + std::to_string(request) + ")";
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

TestFrontend::TestFrontend(vhost::UniqueFd sock) : sock_(std::move(sock)) {
  regions_.push_back(std::make_unique<GuestRegion>(kRegionSize, kGpaBase, kUserBase));
}

TestFrontend::~TestFrontend() = default;

// ---- Wire level --------------------------------------------------------------

Message TestFrontend::make(Request r, uint32_t flags) {
  Message m;
  m.hdr.request = static_cast<uint32_t>(r);
  m.hdr.flags = flags;
  m.hdr.size = 0;
  return m;
}

Message TestFrontend::mem_table_message(std::span<const vhost::MemRegionDesc> regions, uint32_t flags) {
  Message m = make(Request::kSetMemTable, vhost::MemTableHeader{static_cast<uint32_t>(regions.size()), 0}, flags);
  if (regions.size() > vhost::kMaxMemRegions) throw FrontendError("a memory table holds at most 8 regions");
  std::memcpy(m.payload.data() + sizeof(vhost::MemTableHeader), regions.data(), regions.size_bytes());
  m.hdr.size = static_cast<uint32_t>(sizeof(vhost::MemTableHeader) + regions.size_bytes());
  return m;
}

Message TestFrontend::config_message(Request r, uint32_t offset, uint32_t size, std::span<const uint8_t> data,
                                     uint32_t flags) {
  Message m = make(r, vhost::ConfigHeader{offset, size, 0}, flags);
  if (size > vhost::kMaxConfigSize || data.size() > size) throw FrontendError("config message too large");
  if (!data.empty()) std::memcpy(m.payload.data() + sizeof(vhost::ConfigHeader), data.data(), data.size());
  m.hdr.size = static_cast<uint32_t>(sizeof(vhost::ConfigHeader) + size);
  return m;
}

void TestFrontend::send(const Message& m, std::span<const int> fds) {
  iovec iov[2] = {{const_cast<vhost::MsgHeader*>(&m.hdr), sizeof m.hdr},
                  {const_cast<uint8_t*>(m.payload.data()), m.hdr.size}};
  send_iov(iov, m.hdr.size ? 2 : 1, fds);
}

void TestFrontend::send_bytes(const void* data, size_t len, std::span<const int> fds) {
  iovec iov{const_cast<void*>(data), len};
  send_iov(&iov, 1, fds);
}

void TestFrontend::send_iov(iovec* iov, size_t iovcnt, std::span<const int> fds) {
  // Unlike vhost::send_message this sends any number of fds (the kernel
  // allows 253), so tests can exceed the protocol's limit of 8.
  std::vector<char> control(fds.empty() ? 0 : CMSG_SPACE(sizeof(int) * fds.size()));
  msghdr mh{};
  mh.msg_iov = iov;
  mh.msg_iovlen = iovcnt;
  size_t len = 0;
  for (size_t i = 0; i < iovcnt; ++i) len += iov[i].iov_len;
  if (!fds.empty()) {
    mh.msg_control = control.data();
    mh.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  const ssize_t n = ::sendmsg(sock_.get(), &mh, MSG_NOSIGNAL);
  if (n != static_cast<ssize_t>(len))
    throw FrontendError("sendmsg of " + std::to_string(len) + " bytes failed: " + std::strerror(errno));
}

bool TestFrontend::wait_drained(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int unread = 0;
    if (::ioctl(sock_.get(), SIOCOUTQ, &unread) != 0) return false;
    if (unread == 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

void TestFrontend::shutdown_write() { ::shutdown(sock_.get(), SHUT_WR); }

Message TestFrontend::recv() {
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  Message m;
  while (true) {
    switch (reader_.read(sock_.get(), m)) {
      case vhost::ReadStatus::kMessage:
        return m;
      case vhost::ReadStatus::kClosed:
        throw FrontendError("backend closed the connection instead of replying");
      case vhost::ReadStatus::kError:
        throw FrontendError(std::string("reading a reply: ") + reader_.error());
      case vhost::ReadStatus::kWouldBlock:
        break;
    }
    pollfd p{sock_.get(), POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) == 0) throw FrontendError("no reply from the backend within the timeout");
  }
}

bool TestFrontend::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    char buf[4096];
    const ssize_t n = ::recv(sock_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    if (n > 0) continue;
    if (errno != EAGAIN && errno != EINTR) return false;
    pollfd p{sock_.get(), POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) == 0) return false;
  }
}

Message TestFrontend::transact(const Message& m, std::span<const int> fds) {
  send(m, fds);
  Message reply = recv();
  if (reply.hdr.request != m.hdr.request)
    throw FrontendError("reply to " + name_of(reply.hdr.request) + " while waiting for " + name_of(m.hdr.request));
  if (reply.hdr.flags != (flag::kVersion | flag::kReply))
    throw FrontendError("reply to " + name_of(m.hdr.request) + " has flags " + std::to_string(reply.hdr.flags));
  if (!reply.fds.empty()) throw FrontendError("reply to " + name_of(m.hdr.request) + " carries fds");
  return reply;
}

uint64_t TestFrontend::request_ack(Message m, std::span<const int> fds) {
  m.hdr.flags |= flag::kNeedReply;
  const Message reply = transact(m, fds);
  if (reply.hdr.size != sizeof(uint64_t))
    throw FrontendError("ack for " + name_of(m.hdr.request) + " has size " + std::to_string(reply.hdr.size));
  return reply.u64();
}

bool TestFrontend::request(Message m, std::span<const int> fds) {
  if (reply_ack_) return request_ack(std::move(m), fds) == 0;
  send(m, fds);
  return true;
}

void TestFrontend::sync() { (void)get_features(); }

// ---- Requests ----------------------------------------------------------------

uint64_t TestFrontend::get_u64(Request r) {
  const Message reply = transact(make(r));
  if (reply.hdr.size != sizeof(uint64_t))
    throw FrontendError("reply to " + name_of(reply.hdr.request) + " has size " + std::to_string(reply.hdr.size));
  return reply.u64();
}

uint32_t TestFrontend::get_vring_base(uint16_t index) {
  const Message reply = transact(make(Request::kGetVringBase, vhost::VringState{index, 0}));
  if (reply.hdr.size != sizeof(vhost::VringState)) throw FrontendError("GET_VRING_BASE reply has the wrong size");
  const auto s = reply.read_as<vhost::VringState>();
  if (s.index != index) throw FrontendError("GET_VRING_BASE reply names another ring");
  return s.num;
}

Message TestFrontend::get_config(uint32_t offset, uint32_t size) {
  return transact(config_message(Request::kGetConfig, offset, size));
}

bool TestFrontend::set_features(uint64_t f) {
  if (!set_u64(Request::kSetFeatures, f)) return false;
  acked_features_ = f;
  return true;
}

bool TestFrontend::set_protocol_features(uint64_t f) {
  if (!set_u64(Request::kSetProtocolFeatures, f)) return false;
  reply_ack_ = virtio::has(f, vhost::protocol_feature::kReplyAck);
  return true;
}

bool TestFrontend::reset_owner() {
  if (!request(make(Request::kResetOwner))) return false;
  reply_ack_ = false;
  acked_features_ = 0;
  return true;
}

bool TestFrontend::reset_device() {
  if (!request(make(Request::kResetDevice))) return false;
  reply_ack_ = false;
  acked_features_ = 0;
  return true;
}

bool TestFrontend::set_config(uint32_t offset, std::span<const uint8_t> data) {
  return request(config_message(Request::kSetConfig, offset, static_cast<uint32_t>(data.size()), data));
}

bool TestFrontend::set_mem_table(std::vector<GuestRegion*> regions) {
  if (regions.empty())
    for (auto& r : regions_) regions.push_back(r.get());
  std::vector<vhost::MemRegionDesc> descs;
  std::vector<int> fds;
  for (GuestRegion* r : regions) {
    descs.push_back(r->desc());
    fds.push_back(r->fd());
  }
  return request(mem_table_message(descs), fds);
}

bool TestFrontend::add_mem_reg(GuestRegion& r) {
  const int fd = r.fd();
  return request(make(Request::kAddMemReg, vhost::SingleMemRegion{0, r.desc()}), std::span<const int>(&fd, 1));
}

bool TestFrontend::rem_mem_reg(GuestRegion& r, bool with_fd) {
  const int fd = r.fd();
  return request(make(Request::kRemMemReg, vhost::SingleMemRegion{0, r.desc()}),
                 std::span<const int>(&fd, with_fd ? 1 : 0));
}

bool TestFrontend::set_vring_state(Request r, uint32_t index, uint32_t num) {
  return request(make(r, vhost::VringState{index, num}));
}

bool TestFrontend::set_vring_addr(uint16_t index) { return request(make(Request::kSetVringAddr, ring(index).addr())); }

bool TestFrontend::set_vring_fd(Request r, uint64_t payload, int fd) {
  if (fd < 0) return request(make(r, payload | vhost::kVringNoFdFlag));
  return request(make(r, payload), std::span<const int>(&fd, 1));
}

bool TestFrontend::setup_ring(uint16_t index, uint32_t base) {
  FrontendRing& r = ring(index);
  return set_vring_err(index) && set_vring_num(index, r.ring.size()) && set_vring_base(index, base) &&
         set_vring_addr(index) && set_vring_kick(index) && set_vring_call(index);
}

void TestFrontend::handshake(const HandshakeOptions& opts) {
  auto check = [](bool ok, const char* step) {
    if (!ok) throw FrontendError(std::string("handshake: backend refused ") + step);
  };
  const uint64_t features = get_features() & opts.feature_mask;
  if (opts.protocol_features) {
    if (!virtio::has(features, vhost::kProtocolFeaturesBit))
      throw FrontendError("handshake: backend does not offer protocol features");
    check(set_protocol_features(get_protocol_features() & opts.protocol_mask), "SET_PROTOCOL_FEATURES");
  }
  check(set_owner(), "SET_OWNER");
  const uint64_t ack = opts.protocol_features ? features : features & ~virtio::bit(vhost::kProtocolFeaturesBit);
  check(set_features(ack), "SET_FEATURES");
  if (opts.add_mem_reg) {
    for (auto& r : regions_) check(add_mem_reg(*r), "ADD_MEM_REG");
  } else {
    check(set_mem_table(), "SET_MEM_TABLE");
  }
  const uint16_t rings = static_cast<uint16_t>(2 * opts.queue_pairs);
  for (uint16_t i = 0; i < rings; ++i) {
    if (!has_ring(i)) add_ring(i, opts.ring_size);
    if (opts.setup_rings) check(setup_ring(i), "a ring setup request");
  }
  if (opts.setup_rings && opts.protocol_features && opts.enable_rings)
    for (uint16_t i = 0; i < rings; ++i) check(set_vring_enable(i, true), "SET_VRING_ENABLE");
  sync();
}

}  // namespace testing_support
