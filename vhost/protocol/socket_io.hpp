// Moving vhost-user messages over a UNIX stream socket.
//
// The backend serves every port from one thread, so it never blocks on a
// frontend: MessageReader assembles a message from whatever recvmsg()
// returns and yields it only when complete. A frontend that stops halfway
// through a message stalls only its own connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "vhost/protocol/message.hpp"

namespace vhost {

enum class ReadStatus {
  kMessage,     // `out` holds a complete message
  kWouldBlock,  // need more bytes; wait for the socket to become readable
  kClosed,      // orderly EOF between messages
  kError,       // the stream cannot be resynchronised: drop the connection
};

class MessageReader {
 public:
  // Payloads up to this size are drained and handed on as oversized (so the
  // stream stays in sync and the request can be refused); beyond it the
  // frontend is not speaking vhost-user and the connection is dropped.
  static constexpr size_t kMaxDiscard = 64 * 1024;

  // Reads from `fd` until a message is complete or the socket is drained.
  ReadStatus read(int fd, Message& out);
  // Set after kError / kClosed / an oversized message: what went wrong.
  const char* error() const { return error_; }
  bool oversized() const { return oversized_; }

 private:
  ReadStatus fail(const char* why) {
    error_ = why;
    return ReadStatus::kError;
  }
  ssize_t recv_some(int fd, void* buf, size_t len, Message& out);
  void restart();

  size_t header_got_ = 0;
  size_t payload_got_ = 0;
  bool oversized_ = false;
  bool fds_truncated_ = false;
  const char* error_ = nullptr;
  Message partial_;
};

// Sends one message with `fds` attached (msg.fds holds received fds and is
// not sent); false if the peer is gone or its socket buffer is full (a
// frontend that does not read its replies).
bool send_message(int fd, const Message& msg, std::span<const int> fds = {});

}  // namespace vhost
