// The frontend's memory regions mapped into this process, and the
// virtio::GuestMemory table that translates into them. Owns every mapping:
// destroying the map unmaps everything.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vhost/protocol/message.hpp"
#include "vhost/sys/unique_fd.hpp"
#include "virtio/guest_memory.hpp"

namespace vhost {

class MappedRegion {
 public:
  // Maps [0, mmap_offset + memory_size) of fd after checking the file is
  // large enough: touching a mapping past the end of its file is SIGBUS.
  static MappedRegion map(const MemRegionDesc& desc, int fd, std::string& error);

  MappedRegion() = default;
  MappedRegion(MappedRegion&& o) noexcept;
  MappedRegion& operator=(MappedRegion&& o) noexcept;
  ~MappedRegion();

  bool valid() const { return base_ != nullptr; }
  const MemRegionDesc& desc() const { return desc_; }
  virtio::MemoryRegion region() const;

 private:
  void* base_ = nullptr;
  size_t length_ = 0;
  MemRegionDesc desc_{};
};

class MemoryMap {
 public:
  explicit MemoryMap(size_t max_regions) : table_(max_regions), max_regions_(max_regions) {}

  // Replaces the whole table; on failure the previous table stays in place.
  bool replace(std::span<const MemRegionDesc> regions, std::span<const UniqueFd> fds, std::string& error);
  bool add(const MemRegionDesc& region, int fd, std::string& error);
  bool remove(const MemRegionDesc& region, std::string& error);
  void clear();

  const virtio::GuestMemory& guest() const { return table_; }
  size_t region_count() const { return mappings_.size(); }

 private:
  virtio::GuestMemory table_;
  size_t max_regions_;
  std::vector<MappedRegion> mappings_;
};

}  // namespace vhost
