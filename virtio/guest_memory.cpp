#include "virtio/guest_memory.hpp"

#include <algorithm>

namespace virtio {

const char* to_string(MemoryError e) {
  switch (e) {
    case MemoryError::kNone: return "ok";
    case MemoryError::kEmptyRegion: return "region of size 0";
    case MemoryError::kWrapsAround: return "region wraps around the address space";
    case MemoryError::kOverlaps: return "region overlaps an existing region";
    case MemoryError::kTooManyRegions: return "too many memory regions";
    case MemoryError::kNotFound: return "no such region";
  }
  return "unknown memory error";
}

namespace {

bool wraps(uint64_t start, uint64_t size) { return start + size - 1 < start; }

bool overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size) {
  return a <= b + (b_size - 1) && b <= a + (a_size - 1);
}

}  // namespace

MemoryError GuestMemory::add(const MemoryRegion& region) {
  if (region.size == 0) return MemoryError::kEmptyRegion;
  if (wraps(region.guest_phys_addr, region.size) || wraps(region.user_addr, region.size))
    return MemoryError::kWrapsAround;
  if (regions_.size() >= max_regions_) return MemoryError::kTooManyRegions;
  for (const MemoryRegion& r : regions_) {
    if (overlap(r.guest_phys_addr, r.size, region.guest_phys_addr, region.size) ||
        overlap(r.user_addr, r.size, region.user_addr, region.size))
      return MemoryError::kOverlaps;
  }
  auto pos = std::lower_bound(regions_.begin(), regions_.end(), region.guest_phys_addr,
                              [](const MemoryRegion& r, uint64_t gpa) { return r.guest_phys_addr < gpa; });
  regions_.insert(pos, region);
  last_hit_ = 0;
  return MemoryError::kNone;
}

MemoryError GuestMemory::remove(uint64_t guest_phys_addr, uint64_t size) {
  auto it = std::find_if(regions_.begin(), regions_.end(), [&](const MemoryRegion& r) {
    return r.guest_phys_addr == guest_phys_addr && r.size == size;
  });
  if (it == regions_.end()) return MemoryError::kNotFound;
  regions_.erase(it);
  last_hit_ = 0;
  return MemoryError::kNone;
}

const MemoryRegion* GuestMemory::find_gpa(uint64_t gpa) const {
  auto contains = [gpa](const MemoryRegion& r) { return gpa - r.guest_phys_addr < r.size; };
  if (last_hit_ < regions_.size() && contains(regions_[last_hit_])) return &regions_[last_hit_];
  // First region starting beyond gpa; the candidate is the one before it.
  auto it = std::upper_bound(regions_.begin(), regions_.end(), gpa,
                             [](uint64_t g, const MemoryRegion& r) { return g < r.guest_phys_addr; });
  if (it == regions_.begin()) return nullptr;
  --it;
  if (!contains(*it)) return nullptr;
  last_hit_ = static_cast<size_t>(it - regions_.begin());
  return &*it;
}

uint8_t* GuestMemory::translate_gpa(uint64_t gpa, uint64_t len) const {
  const MemoryRegion* r = find_gpa(gpa);
  if (r == nullptr) return nullptr;
  const uint64_t offset = gpa - r->guest_phys_addr;
  if (len > r->size - offset) return nullptr;
  return r->host + offset;
}

uint8_t* GuestMemory::translate_user(uint64_t user_addr, uint64_t len) const {
  // Only vring setup uses this, so a linear scan is fine.
  for (const MemoryRegion& r : regions_) {
    const uint64_t offset = user_addr - r.user_addr;
    if (offset < r.size && len <= r.size - offset) return r.host + offset;
  }
  return nullptr;
}

}  // namespace virtio
