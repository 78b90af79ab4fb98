#include "vhost/protocol/socket_io.hpp"

#include <errno.h>
#include <sys/socket.h>

#include <algorithm>

namespace vhost {

void MessageReader::restart() {
  header_got_ = payload_got_ = 0;
  oversized_ = fds_truncated_ = false;
  partial_.fds.clear();
  partial_.hdr = {};
}

ssize_t MessageReader::recv_some(int fd, void* buf, size_t len, Message& out) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  iovec iov{buf, len};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return n;
  // Take ownership of every fd first, so that any later rejection closes them.
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* fds = reinterpret_cast<const int*>(CMSG_DATA(c));
    for (size_t i = 0; i < count; ++i) {
      int f;
      std::memcpy(&f, fds + i, sizeof f);
      out.fds.emplace_back(f);
    }
  }
  if (mh.msg_flags & MSG_CTRUNC) fds_truncated_ = true;
  return n;
}

ReadStatus MessageReader::read(int fd, Message& out) {
  while (true) {
    if (header_got_ < sizeof(MsgHeader)) {
      auto* h = reinterpret_cast<uint8_t*>(&partial_.hdr);
      ssize_t n = recv_some(fd, h + header_got_, sizeof(MsgHeader) - header_got_, partial_);
      if (n < 0) return errno == EAGAIN ? ReadStatus::kWouldBlock : fail("recvmsg failed");
      if (n == 0) {
        error_ = header_got_ == 0 ? "frontend closed the connection" : "connection closed mid-header";
        return header_got_ == 0 ? ReadStatus::kClosed : ReadStatus::kError;
      }
      header_got_ += static_cast<size_t>(n);
      if (header_got_ < sizeof(MsgHeader)) continue;
      if (partial_.hdr.size > kMaxDiscard) return fail("message payload larger than any vhost-user message");
      oversized_ = partial_.hdr.size > kMaxPayload;
    }
    const size_t want = partial_.hdr.size;
    while (payload_got_ < want) {
      uint8_t sink[4096];
      uint8_t* dst = oversized_ ? sink : partial_.payload.data() + payload_got_;
      const size_t len = oversized_ ? std::min(sizeof sink, want - payload_got_) : want - payload_got_;
      ssize_t n = recv_some(fd, dst, len, partial_);
      if (n < 0) return errno == EAGAIN ? ReadStatus::kWouldBlock : fail("recvmsg failed");
      if (n == 0) return fail("connection closed mid-payload");
      payload_got_ += static_cast<size_t>(n);
    }
    // More than kMaxFds fds cannot be represented; the kernel dropped some.
    if (fds_truncated_) {
      restart();
      return fail("too many fds on one message");
    }
    const bool was_oversized = oversized_;
    out = std::move(partial_);
    partial_ = Message{};
    restart();
    oversized_ = was_oversized;
    return ReadStatus::kMessage;
  }
}

bool send_message(int fd, const Message& msg, std::span<const int> fds) {
  iovec iov[2] = {{const_cast<MsgHeader*>(&msg.hdr), sizeof msg.hdr},
                  {const_cast<uint8_t*>(msg.payload.data()), msg.hdr.size}};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msghdr mh{};
  mh.msg_iov = iov;
  mh.msg_iovlen = msg.hdr.size ? 2 : 1;
  if (!fds.empty()) {
    if (fds.size() > kMaxFds) return false;
    mh.msg_control = control;
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  const size_t total = sizeof msg.hdr + msg.hdr.size;
  ssize_t n;
  do {
    n = ::sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(total);
}

}  // namespace vhost
