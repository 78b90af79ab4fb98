// Backend-side state of one virtqueue: what the frontend configured
// (size, addresses, base, kick/call/err eventfds) and the two independent
// states of the spec's "Ring states" section: started/stopped and
// enabled/disabled. The ring memory itself is driven through SplitQueue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "vhost/loop/event_loop.hpp"
#include "vhost/protocol/message.hpp"
#include "vhost/sys/unique_fd.hpp"
#include "virtio/guest_memory.hpp"
#include "virtio/split_queue.hpp"

namespace vhost {

struct QueueStats {
  uint64_t kicks = 0;             // eventfd signals read from the kick fd
  uint64_t wakeups = 0;           // times the loop woke us for this queue
  uint64_t calls = 0;             // interrupts raised on the call fd
  uint64_t calls_suppressed = 0;  // used batches the driver did not want an interrupt for

  QueueStats& operator+=(const QueueStats& o) {
    kicks += o.kicks;
    wakeups += o.wakeups;
    calls += o.calls;
    calls_suppressed += o.calls_suppressed;
    return *this;
  }
};

struct RingFeatures {
  bool event_idx = false;
  bool indirect = false;
};

class Vring {
 public:
  explicit Vring(uint16_t index) : index_(index) {}

  uint16_t index() const { return index_; }
  bool started() const { return started_; }
  bool enabled() const { return enabled_; }
  // Started, enabled and not broken: the ring may carry packets.
  bool active() const { return started_ && enabled_ && !broken_; }
  bool broken() const { return broken_; }

  // Configuration; each refuses (returning an error string) while started
  // where changing it under a running ring would corrupt it.
  std::string set_num(uint32_t num);
  std::string set_base(uint32_t base);
  void set_addr(const VringAddr& addr) { addr_ = addr; }
  void set_call(UniqueFd fd) { call_ = std::move(fd); }
  void set_err(UniqueFd fd) { err_ = std::move(fd); }
  void set_enabled(bool on) { enabled_ = on; }

  // Takes the kick fd and starts the ring over `mem`. The watch delivers kicks.
  std::string start(const virtio::GuestMemory& mem, RingFeatures features, UniqueFd kick, FdWatch watch);
  // Re-resolves ring addresses after the memory table changed; a ring whose
  // memory vanished is marked broken. Keeps the avail position.
  void remap(const virtio::GuestMemory& mem, RingFeatures features);
  // GET_VRING_BASE: stops the ring and returns the next avail index.
  uint16_t stop();

  virtio::SplitQueue& queue() { return *queue_; }
  // Drains the kick eventfd (counting it) so level-triggered epoll sleeps.
  void drain_kick();
  // Publishes used entries and raises an interrupt when the driver wants one.
  void publish_and_notify();
  // The ring is unusable (bad avail index, bad memory): signal the err fd.
  void mark_broken(const char* reason);

  QueueStats& stats() { return stats_; }
  const QueueStats& stats() const { return stats_; }

 private:
  std::string build_queue(const virtio::GuestMemory& mem, RingFeatures features, uint16_t next_avail);

  uint16_t index_;
  uint32_t num_ = 0;
  uint16_t base_ = 0;
  std::optional<VringAddr> addr_;
  bool started_ = false;
  bool enabled_ = false;
  bool broken_ = false;  // started, but the ring cannot be used: no queue_
  UniqueFd kick_;
  UniqueFd call_;
  UniqueFd err_;
  FdWatch kick_watch_;
  std::optional<virtio::SplitQueue> queue_;
  QueueStats stats_;
};

// True if fd is an eventfd: kick, call and err must be, so that a write can
// never block the loop and a read always drains.
bool is_eventfd(int fd);

}  // namespace vhost
