#include "tests/protocol/protocol_test.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>

namespace protocol_test {

std::unique_ptr<TestFrontend> connect(TestBackend& backend, size_t port) {
  return std::make_unique<TestFrontend>(backend.connect(port));
}

std::unique_ptr<TestFrontend> connect_acking(TestBackend& backend, size_t port) {
  auto fe = connect(backend, port);
  if (!fe->set_protocol_features(virtio::bit(vhost::protocol_feature::kReplyAck)) || !fe->reply_ack())
    throw FrontendError("cannot negotiate REPLY_ACK");
  return fe;
}

std::unique_ptr<TestFrontend> connect_and_handshake(TestBackend& backend, size_t port, const HandshakeOptions& opts) {
  auto fe = connect(backend, port);
  fe->handshake(opts);
  return fe;
}

void expect_loopback(TestFrontend& fe, size_t frames, uint16_t pair) {
  const uint16_t rx = static_cast<uint16_t>(2 * pair), tx = static_cast<uint16_t>(2 * pair + 1);
  const uint16_t rx_used = fe.ring(rx).ring.used_idx();
  const uint16_t tx_used = fe.ring(tx).ring.used_idx();
  fe.post_rx(rx, frames);
  std::vector<std::vector<uint8_t>> sent;
  for (size_t i = 0; i < frames; ++i) {
    sent.push_back(make_frame(kMacB, kMacA, 46 + (i * 397) % 1455, static_cast<uint8_t>(i)));
    fe.post_tx(tx, sent.back());
  }
  fe.kick(tx);
  ASSERT_TRUE(fe.wait_used(tx, static_cast<uint16_t>(tx_used + frames))) << "TX chains not returned";
  ASSERT_TRUE(fe.wait_used(rx, static_cast<uint16_t>(rx_used + frames))) << "frames not delivered to RX";
  EXPECT_TRUE(fe.wait_call(tx)) << "no interrupt for TX";
  EXPECT_TRUE(fe.wait_call(rx)) << "no interrupt for RX";
  const std::vector<RxFrame> got = fe.drain_rx(rx);
  ASSERT_EQ(got.size(), frames);
  for (size_t i = 0; i < frames; ++i) {
    EXPECT_EQ(got[i].data, swap_macs(sent[i])) << "frame " << i;
    virtio::NetHeader want{};
    want.num_buffers = 1;
    EXPECT_EQ(std::memcmp(&got[i].header, &want, sizeof want), 0) << "frame " << i << ": header not zero/1";
  }
}

void wait_tx_handled(TestBackend& backend, TestFrontend& fe, uint16_t tx, uint16_t used) {
  ASSERT_TRUE(fe.wait_used(tx, used)) << "TX ring " << tx << " did not reach used idx " << used;
  backend.settle();
}

FdProbe::FdProbe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  read_.reset(p[0]);
  write_.reset(p[1]);
}

bool FdProbe::closed_everywhere(std::chrono::milliseconds timeout) {
  write_.reset();
  pollfd p{read_.get(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 && (p.revents & POLLHUP);
}

void expect_fresh_frontend_works(TestBackend& backend, std::unique_ptr<TestFrontend> fe, size_t port) {
  fe.reset();
  ASSERT_TRUE(backend.wait_detached(port)) << "backend did not drop the old frontend";
  auto fresh = connect_and_handshake(backend, port);
  ASSERT_NO_FATAL_FAILURE(expect_loopback(*fresh));
}

}  // namespace protocol_test
