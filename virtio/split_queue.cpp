#include "virtio/split_queue.hpp"

#include <atomic>
#include <cstring>

namespace virtio {

namespace sl = split_layout;

namespace {

uint16_t load_u16(const uint8_t* p, std::memory_order order) {
  return std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(const_cast<uint8_t*>(p))).load(order);
}

void store_u16(uint8_t* p, uint16_t v, std::memory_order order) {
  std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(p)).store(v, order);
}

// One copy out of guest memory; the compiler barrier keeps the checks that
// follow from re-reading a field the guest may have changed meanwhile.
VirtqDesc read_desc(const void* p) {
  VirtqDesc d;
  std::memcpy(&d, p, sizeof d);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  return d;
}

bool aligned(const uint8_t* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

}  // namespace

bool SplitQueue::valid_layout(const SplitRingAddrs& a, uint16_t size) {
  if (size == 0 || size > kMaxQueueSize || (size & (size - 1)) != 0) return false;
  return a.desc && a.avail && a.used && aligned(a.desc, sl::kDescAlign) && aligned(a.avail, sl::kAvailAlign) &&
         aligned(a.used, sl::kUsedAlign);
}

SplitQueue::SplitQueue(const GuestMemory& mem, const SplitRingAddrs& addrs, const Options& opts)
    : mem_(mem),
      desc_(reinterpret_cast<const VirtqDesc*>(addrs.desc)),
      avail_(addrs.avail),
      used_(addrs.used),
      size_(opts.size),
      event_idx_(opts.event_idx),
      indirect_(opts.indirect),
      next_avail_(opts.next_avail),
      shadow_avail_idx_(opts.next_avail),
      used_idx_(load_u16(addrs.used + sl::kIdxOffset, std::memory_order_relaxed)),
      published_used_(used_idx_) {}

bool SplitQueue::fail(const char* reason) {
  broken_reason_ = reason;
  return false;
}

// Reloads the shadow avail->idx. Every load is checked, whoever makes it:
// an index more than a ring ahead of next_avail_ breaks the queue.
bool SplitQueue::refresh_avail_idx() {
  // Acquire: the ring entries and descriptors the driver wrote before
  // bumping idx are visible once we see the new idx.
  const uint16_t idx = load_u16(avail_ + sl::kIdxOffset, std::memory_order_acquire);
  if (static_cast<uint16_t>(idx - next_avail_) > size_) return fail("avail index moved by more than the queue size");
  shadow_avail_idx_ = idx;
  return true;
}

PopResult SplitQueue::pop(DescriptorChain& chain) {
  if (broken_reason_) return {PopStatus::kBroken};
  if (next_avail_ == shadow_avail_idx_) {
    if (!refresh_avail_idx()) return {PopStatus::kBroken};
    if (next_avail_ == shadow_avail_idx_) return {PopStatus::kEmpty};
  }
  const uint8_t* slot = avail_ + sl::kRingOffset + 2u * (next_avail_ & (size_ - 1));
  const uint16_t head = load_u16(slot, std::memory_order_relaxed);
  if (head >= size_) {
    fail("avail ring holds a head index beyond the queue");
    return {PopStatus::kBroken};
  }
  ++next_avail_;
  ChainError err = ChainError::kNone;
  chain.reset(head);
  if (!walk(head, chain, err)) return {PopStatus::kBadChain, err};
  return {PopStatus::kChain};
}

bool SplitQueue::walk(uint16_t head, DescriptorChain& chain, ChainError& err) const {
  uint16_t idx = head;
  for (uint32_t count = 1;; ++count) {
    if (count > size_) return (err = ChainError::kTooLong), false;
    const VirtqDesc d = read_desc(&desc_[idx]);
    if (d.flags & desc_flag::kIndirect) {
      if (!indirect_) return (err = ChainError::kIndirectNotNegotiated), false;
      if (d.flags & desc_flag::kNext) return (err = ChainError::kIndirectWithNext), false;
      return walk_indirect(d.addr, d.len, chain, err);
    }
    err = chain.append(mem_, d.addr, d.len, d.flags & desc_flag::kWrite);
    if (err != ChainError::kNone) return false;
    if (!(d.flags & desc_flag::kNext)) return true;
    if (d.next >= size_) return (err = ChainError::kNextOutOfRange), false;
    idx = d.next;
  }
}

bool SplitQueue::walk_indirect(uint64_t gpa, uint32_t len, DescriptorChain& chain, ChainError& err) const {
  if (len == 0 || len % sizeof(VirtqDesc) != 0 || len / sizeof(VirtqDesc) > kMaxQueueSize)
    return (err = ChainError::kIndirectBadLength), false;
  // `len` is our copy of the descriptor's length: the table size is fixed
  // here and never re-read from guest memory.
  const uint8_t* table = mem_.translate_gpa(gpa, len);
  if (table == nullptr) return (err = ChainError::kIndirectOutOfMemory), false;
  const uint32_t entries = len / sizeof(VirtqDesc);
  uint32_t idx = 0;
  for (uint32_t count = 1;; ++count) {
    if (count > entries) return (err = ChainError::kTooLong), false;
    const VirtqDesc d = read_desc(table + idx * sizeof(VirtqDesc));
    if (d.flags & desc_flag::kIndirect) return (err = ChainError::kNestedIndirect), false;
    err = chain.append(mem_, d.addr, d.len, d.flags & desc_flag::kWrite);
    if (err != ChainError::kNone) return false;
    if (!(d.flags & desc_flag::kNext)) return true;
    if (d.next >= entries) return (err = ChainError::kNextOutOfRange), false;
    idx = d.next;
  }
}

void SplitQueue::add_used(uint16_t head, uint32_t len) {
  VirtqUsedElem e{head, len};
  std::memcpy(used_ + sl::kRingOffset + sizeof e * (used_idx_ & (size_ - 1)), &e, sizeof e);
  ++used_idx_;
}

bool SplitQueue::publish_used() {
  if (used_idx_ == published_used_) return false;
  const uint16_t old = published_used_;
  store_u16(used_ + sl::kIdxOffset, used_idx_, std::memory_order_release);
  published_used_ = used_idx_;
  // Store-load barrier: the driver must either see our new idx or we must
  // see its updated used_event / flags. Without it an interrupt is lost.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!published_once_) {
    published_once_ = true;
    return true;
  }
  if (event_idx_)
    return need_event(load_u16(avail_ + sl::used_event_offset(size_), std::memory_order_relaxed), used_idx_,
                      old);
  return !(load_u16(avail_ + sl::kFlagsOffset, std::memory_order_relaxed) & kAvailFlagNoInterrupt);
}

void SplitQueue::disable_notifications() {
  // With EVENT_IDX, leaving avail_event behind is enough: the driver only
  // kicks when its idx crosses it.
  if (!event_idx_) store_u16(used_ + sl::kFlagsOffset, kUsedFlagNoNotify, std::memory_order_relaxed);
}

bool SplitQueue::enable_notifications() {
  if (event_idx_)
    store_u16(used_ + sl::avail_event_offset(size_), next_avail_, std::memory_order_relaxed);
  else
    store_u16(used_ + sl::kFlagsOffset, 0, std::memory_order_relaxed);
  // Store-load barrier: the driver either sees notifications on or we see
  // the entries it added before it looked.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // A bad index counts as work: the caller's next pop() reports kBroken.
  if (!refresh_avail_idx()) return true;
  return shadow_avail_idx_ != next_avail_;
}

}  // namespace virtio
