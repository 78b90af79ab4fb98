// Shared pieces of the protocol tests: connecting frontends to an
// in-process backend and the traffic checks most tests end with.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "tests/support/test_backend.hpp"
#include "tests/support/test_frontend.hpp"
#include "vhost/protocol/message.hpp"
#include "virtio/features.hpp"

namespace protocol_test {

using namespace testing_support;
using vhost::Message;
using vhost::Request;

inline constexpr uint16_t kRx = 0;  // queue 2n: RX of pair n
inline constexpr uint16_t kTx = 1;  // queue 2n+1: TX of pair n
inline constexpr Mac kMacA{0x52, 0x54, 0x00, 0x00, 0x00, 0x0a};
inline constexpr Mac kMacB{0x52, 0x54, 0x00, 0x00, 0x00, 0x0b};
inline constexpr Mac kMacC{0x52, 0x54, 0x00, 0x00, 0x00, 0x0c};
inline constexpr Mac kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

inline constexpr uint64_t protocol_bit(unsigned b) { return virtio::bit(b); }

std::unique_ptr<TestFrontend> connect(TestBackend& backend, size_t port = 0);
// A new frontend that has negotiated just REPLY_ACK, so every request
// reports whether it was accepted.
std::unique_ptr<TestFrontend> connect_acking(TestBackend& backend, size_t port = 0);
std::unique_ptr<TestFrontend> connect_and_handshake(TestBackend& backend, size_t port = 0,
                                                    const HandshakeOptions& opts = {});

// Posts RX buffers, sends `frames` frames of assorted sizes on TX of
// `pair`, and expects each back on RX of `pair`, byte-identical but for
// swapped MACs, behind a net header that is zero except num_buffers = 1
// (loopback mode). Use with ASSERT_NO_FATAL_FAILURE.
void expect_loopback(TestFrontend& fe, size_t frames = 3, uint16_t pair = 0);

// Waits until TX ring `tx` has returned `used` chains, then lets the loop
// finish the turn, so every delivery those chains caused is visible.
void wait_tx_handled(TestBackend& backend, TestFrontend& fe, uint16_t tx, uint16_t used);

// An fd to send with a message, to learn whether the backend let go of it:
// the write end of a pipe, whose read end sees EOF once every copy of the
// write end (ours included, which closed_everywhere() drops) is closed.
class FdProbe {
 public:
  FdProbe();
  int fd() const { return write_.get(); }
  bool closed_everywhere(std::chrono::milliseconds timeout = kTimeout);

 private:
  vhost::UniqueFd read_, write_;
};

// Closes `fe` (if given), waits until the backend has dropped it, then
// proves the backend still serves: a fresh frontend on a fresh socketpair
// completes the handshake and moves traffic.
void expect_fresh_frontend_works(TestBackend& backend, std::unique_ptr<TestFrontend> fe = nullptr, size_t port = 0);

}  // namespace protocol_test
