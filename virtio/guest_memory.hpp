// The guest's memory as the backend sees it: a table of regions, each a
// window of guest-physical space that is also a window of the frontend's
// virtual address space, backed by a host mapping someone else owns.
//
// Every translation is bounds-checked; a range that crosses from one region
// into an adjacent one is split into per-region host segments rather than
// refused, because QEMU lays out RAM below and above the PCI hole as two
// regions and guests do place buffers across the seam.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace virtio {

struct MemoryRegion {
  uint64_t guest_phys_addr = 0;
  uint64_t size = 0;
  uint64_t user_addr = 0;  // the frontend's virtual address of the region
  uint8_t* host = nullptr;  // where the backend mapped it
};

// A host view of part of guest memory.
struct HostSegment {
  uint8_t* data;
  uint32_t len;
};

enum class MemoryError {
  kNone = 0,
  kEmptyRegion,
  kWrapsAround,
  kOverlaps,
  kTooManyRegions,
  kNotFound,
};

const char* to_string(MemoryError e);

class GuestMemory {
 public:
  explicit GuestMemory(size_t max_regions = 509) : max_regions_(max_regions) {}

  // Adds a region after checking it is non-empty, does not wrap in either
  // address space and overlaps no existing region in either address space.
  MemoryError add(const MemoryRegion& region);
  // Removes the region with exactly this guest-physical start and size.
  MemoryError remove(uint64_t guest_phys_addr, uint64_t size);
  void clear() { regions_.clear(); last_hit_ = 0; }

  size_t size() const { return regions_.size(); }
  std::span<const MemoryRegion> regions() const { return regions_; }

  // Host pointer for [gpa, gpa + len) when it lies inside a single region.
  uint8_t* translate_gpa(uint64_t gpa, uint64_t len) const;
  // Same for the frontend's virtual addresses (vring addresses use these).
  uint8_t* translate_user(uint64_t user_addr, uint64_t len) const;

  // Splits [gpa, gpa + len) into host segments, following adjacent regions.
  // Calls emit(HostSegment) per piece; returns false (having emitted only a
  // prefix) if any byte is unmapped or the range wraps.
  template <typename Emit>
  bool for_each_segment(uint64_t gpa, uint32_t len, Emit&& emit) const {
    if (len != 0 && gpa + (len - 1) < gpa) return false;  // a range may end at 2^64
    while (len > 0) {
      const MemoryRegion* r = find_gpa(gpa);
      if (r == nullptr) return false;
      const uint64_t offset = gpa - r->guest_phys_addr;
      const uint32_t chunk = static_cast<uint32_t>(std::min<uint64_t>(len, r->size - offset));
      emit(HostSegment{r->host + offset, chunk});
      gpa += chunk;
      len -= chunk;
    }
    return true;
  }

 private:
  const MemoryRegion* find_gpa(uint64_t gpa) const;

  std::vector<MemoryRegion> regions_;  // sorted by guest_phys_addr
  size_t max_regions_;
  // Packets cluster in a few regions: remembering the last hit makes the
  // common translation one comparison instead of a search.
  mutable size_t last_hit_ = 0;
};

}  // namespace virtio
