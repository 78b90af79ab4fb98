#include "tests/support/driver_ring.hpp"

#include <atomic>
#include <stdexcept>

namespace testing_support {

namespace sl = virtio::split_layout;

TestMemory::TestMemory(uint64_t size, uint64_t gpa_base, uint64_t user_base)
    : owned_(size + 4096), size_(size), gpa_base_(gpa_base), user_base_(user_base) {
  // Page-align so ring alignment in guest-physical space matches the host.
  auto p = reinterpret_cast<uintptr_t>(owned_.data());
  base_ = owned_.data() + ((4096 - p % 4096) % 4096);
}

TestMemory::TestMemory(uint8_t* mapped, uint64_t size, uint64_t gpa_base, uint64_t user_base)
    : base_(mapped), size_(size), gpa_base_(gpa_base), user_base_(user_base) {}

uint64_t TestMemory::alloc(uint64_t len, uint64_t align) {
  next_ = (next_ + align - 1) / align * align;
  if (next_ + len > size_) throw std::length_error("test memory exhausted");
  const uint64_t gpa = gpa_base_ + next_;
  next_ += len;
  return gpa;
}

DriverRing::DriverRing(TestMemory& mem, uint16_t size)
    : mem_(mem),
      size_(size),
      desc_(mem.alloc(sl::desc_table_bytes(size), 16)),
      avail_(mem.alloc(sl::avail_bytes(size), 2)),
      used_(mem.alloc(sl::used_bytes(size), 4)) {
  std::memset(mem.host(desc_), 0, sl::desc_table_bytes(size));
  std::memset(mem.host(avail_), 0, sl::avail_bytes(size));
  std::memset(mem.host(used_), 0, sl::used_bytes(size));
}

namespace {
uint16_t load16(uint8_t* p) { return std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(p)).load(); }
void store16(uint8_t* p, uint16_t v) { std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(p)).store(v); }
}  // namespace

uint16_t DriverRing::alloc_desc() {
  const uint16_t i = next_free_;
  next_free_ = static_cast<uint16_t>((next_free_ + 1) % size_);
  return i;
}

void DriverRing::set_desc(uint16_t i, const virtio::VirtqDesc& d) { mem_.write(desc_ + 16ull * i, &d, sizeof d); }

virtio::VirtqDesc DriverRing::desc(uint16_t i) {
  virtio::VirtqDesc d;
  mem_.read(desc_ + 16ull * i, &d, sizeof d);
  return d;
}

uint16_t DriverRing::post(const std::vector<Buf>& bufs) {
  std::vector<uint16_t> ids;
  for (size_t i = 0; i < bufs.size(); ++i) ids.push_back(alloc_desc());
  for (size_t i = 0; i < bufs.size(); ++i) {
    const bool last = i + 1 == bufs.size();
    uint16_t flags = bufs[i].writable ? virtio::desc_flag::kWrite : 0;
    if (!last) flags |= virtio::desc_flag::kNext;
    set_desc(ids[i], {bufs[i].gpa, bufs[i].len, flags, last ? uint16_t{0} : ids[i + 1]});
  }
  push_avail(ids[0]);
  return ids[0];
}

uint16_t DriverRing::post_indirect(const std::vector<Buf>& bufs) {
  const uint64_t table = mem_.alloc(16 * bufs.size(), 16);
  for (size_t i = 0; i < bufs.size(); ++i) {
    const bool last = i + 1 == bufs.size();
    uint16_t flags = bufs[i].writable ? virtio::desc_flag::kWrite : 0;
    if (!last) flags |= virtio::desc_flag::kNext;
    virtio::VirtqDesc d{bufs[i].gpa, bufs[i].len, flags, static_cast<uint16_t>(last ? 0 : i + 1)};
    mem_.write(table + 16 * i, &d, sizeof d);
  }
  const uint16_t head = alloc_desc();
  set_desc(head, {table, static_cast<uint32_t>(16 * bufs.size()), virtio::desc_flag::kIndirect, 0});
  push_avail(head);
  return head;
}

void DriverRing::push_avail(uint16_t head) {
  const uint16_t idx = avail_idx();
  store16(mem_.host(avail_ + sl::kRingOffset + 2ull * (idx % size_)), head);
  store16(mem_.host(avail_ + sl::kIdxOffset), static_cast<uint16_t>(idx + 1));
}

void DriverRing::set_avail_idx(uint16_t idx) { store16(mem_.host(avail_ + sl::kIdxOffset), idx); }
uint16_t DriverRing::avail_idx() { return load16(mem_.host(avail_ + sl::kIdxOffset)); }
void DriverRing::set_avail_flags(uint16_t flags) { store16(mem_.host(avail_ + sl::kFlagsOffset), flags); }
void DriverRing::set_used_event(uint16_t v) { store16(mem_.host(avail_ + sl::used_event_offset(size_)), v); }
uint16_t DriverRing::used_idx() { return load16(mem_.host(used_ + sl::kIdxOffset)); }

void DriverRing::set_used_idx(uint16_t idx) {
  store16(mem_.host(used_ + sl::kIdxOffset), idx);
  last_used_ = idx;
}

uint16_t DriverRing::used_flags() { return load16(mem_.host(used_ + sl::kFlagsOffset)); }
uint16_t DriverRing::avail_event() { return load16(mem_.host(used_ + sl::avail_event_offset(size_))); }

std::optional<virtio::VirtqUsedElem> DriverRing::pop_used() {
  if (last_used_ == used_idx()) return std::nullopt;
  virtio::VirtqUsedElem e;
  mem_.read(used_ + sl::kRingOffset + 8ull * (last_used_ % size_), &e, sizeof e);
  ++last_used_;
  return e;
}

}  // namespace testing_support
