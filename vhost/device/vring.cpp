#include "vhost/device/vring.hpp"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vhost/sys/log.hpp"
#include "virtio/ring_layout.hpp"

namespace vhost {

bool is_eventfd(int fd) {
  char path[64], target[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(path, target, sizeof target - 1);
  if (n < 0) return false;
  target[n] = '\0';
  return std::string_view(target) == "anon_inode:[eventfd]";
}

std::string Vring::set_num(uint32_t num) {
  if (started()) return "SET_VRING_NUM on a started ring";
  if (num == 0 || num > virtio::kMaxQueueSize || (num & (num - 1)) != 0)
    return "ring size " + std::to_string(num) + " is not a power of two in 1..32768";
  num_ = num;
  return {};
}

std::string Vring::set_base(uint32_t base) {
  if (started()) return "SET_VRING_BASE on a started ring";
  if (base > 0xffff) return "split ring base " + std::to_string(base) + " exceeds 16 bits";
  base_ = static_cast<uint16_t>(base);
  return {};
}

std::string Vring::build_queue(const virtio::GuestMemory& mem, RingFeatures features, uint16_t next_avail) {
  if (num_ == 0) return "ring size not set";
  if (!addr_) return "ring addresses not set";
  namespace sl = virtio::split_layout;
  virtio::SplitRingAddrs a{mem.translate_user(addr_->desc_user_addr, sl::desc_table_bytes(num_)),
                           mem.translate_user(addr_->avail_user_addr, sl::avail_bytes(num_)),
                           mem.translate_user(addr_->used_user_addr, sl::used_bytes(num_))};
  if (!a.desc || !a.avail || !a.used) return "ring address outside guest memory (or across a region end)";
  if (!virtio::SplitQueue::valid_layout(a, static_cast<uint16_t>(num_))) return "ring address misaligned";
  queue_.emplace(mem, a,
                 virtio::SplitQueue::Options{static_cast<uint16_t>(num_), features.event_idx, features.indirect,
                                             next_avail});
  return {};
}

std::string Vring::start(const virtio::GuestMemory& mem, RingFeatures features, UniqueFd kick, FdWatch watch) {
  queue_.reset();
  broken_ = false;
  std::string err = build_queue(mem, features, base_);
  if (!err.empty()) {
    // Unwatch now, while the fd is surely open: the parameters die in an
    // unspecified order, and once `kick` is closed EPOLL_CTL_DEL fails while
    // the registration lives on (the frontend still holds the eventfd).
    watch.reset();
    return err;
  }
  kick_ = std::move(kick);
  kick_watch_ = std::move(watch);
  started_ = true;
  return {};
}

void Vring::remap(const virtio::GuestMemory& mem, RingFeatures features) {
  if (!queue_) return;
  const uint16_t next = queue_->next_avail();
  queue_.reset();
  std::string err = build_queue(mem, features, next);
  if (!err.empty()) {
    base_ = next;  // what GET_VRING_BASE reports for a ring that cannot be rebuilt
    mark_broken((err + " after a memory table change").c_str());
  }
}

uint16_t Vring::stop() {
  const uint16_t next = queue_ ? queue_->next_avail() : base_;
  queue_.reset();
  kick_watch_.reset();
  kick_.reset();
  base_ = next;
  started_ = broken_ = false;
  return next;
}

void Vring::drain_kick() {
  ++stats_.wakeups;
  eventfd_t n = 0;
  if (::eventfd_read(kick_.get(), &n) == 0) stats_.kicks += n;
}

void Vring::publish_and_notify() {
  if (!queue_ || !queue_->has_unpublished()) return;
  virtio::SplitQueue& q = *queue_;
  if (q.publish_used() && call_) {
    ::eventfd_write(call_.get(), 1);
    ++stats_.calls;
  } else {
    ++stats_.calls_suppressed;
  }
}

void Vring::mark_broken(const char* reason) {
  if (broken_) return;
  VN_LOG(kError, "vring %u broken: %s", index_, reason);
  broken_ = true;
  if (queue_) base_ = queue_->next_avail();
  queue_.reset();
  kick_watch_.reset();
  if (err_) ::eventfd_write(err_.get(), 1);
}

}  // namespace vhost
