#include "vhost/device/memory_map.hpp"

#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cstring>
#include <utility>

namespace vhost {

MappedRegion MappedRegion::map(const MemRegionDesc& desc, int fd, std::string& error) {
  MappedRegion r;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = std::string("fstat on region fd failed: ") + strerror(errno);
    return r;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "region fd is not a mappable file (memfd, shm or hugetlbfs)";
    return r;
  }
  const uint64_t end = desc.mmap_offset + desc.memory_size;
  if (desc.memory_size == 0 || end < desc.mmap_offset) {
    error = "region has size 0 or offset + size overflows";
    return r;
  }
  if (end > static_cast<uint64_t>(st.st_size)) {
    error = "region extends beyond the end of its file (size " + std::to_string(st.st_size) + ")";
    return r;
  }
  // hugetlbfs wants whole huge pages; st_blksize is the page size there.
  const uint64_t align = st.st_blksize > 0 ? static_cast<uint64_t>(st.st_blksize) : 4096;
  const uint64_t length = (end + align - 1) / align * align;
  void* base = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  if (base == MAP_FAILED) {
    error = std::string("mmap of region failed: ") + strerror(errno);
    return r;
  }
  r.base_ = base;
  r.length_ = length;
  r.desc_ = desc;
  return r;
}

MappedRegion::MappedRegion(MappedRegion&& o) noexcept
    : base_(std::exchange(o.base_, nullptr)), length_(o.length_), desc_(o.desc_) {}

MappedRegion& MappedRegion::operator=(MappedRegion&& o) noexcept {
  if (this != &o) {
    if (base_) ::munmap(base_, length_);
    base_ = std::exchange(o.base_, nullptr);
    length_ = o.length_;
    desc_ = o.desc_;
  }
  return *this;
}

MappedRegion::~MappedRegion() {
  if (base_) ::munmap(base_, length_);
}

virtio::MemoryRegion MappedRegion::region() const {
  return {desc_.guest_phys_addr, desc_.memory_size, desc_.user_addr, static_cast<uint8_t*>(base_) + desc_.mmap_offset};
}

bool MemoryMap::replace(std::span<const MemRegionDesc> regions, std::span<const UniqueFd> fds, std::string& error) {
  MemoryMap next(max_regions_);
  for (size_t i = 0; i < regions.size(); ++i)
    if (!next.add(regions[i], fds[i].get(), error)) return false;
  *this = std::move(next);
  return true;
}

bool MemoryMap::add(const MemRegionDesc& desc, int fd, std::string& error) {
  MappedRegion m = MappedRegion::map(desc, fd, error);
  if (!m.valid()) return false;
  const virtio::MemoryError e = table_.add(m.region());
  if (e != virtio::MemoryError::kNone) {
    error = virtio::to_string(e);
    return false;
  }
  mappings_.push_back(std::move(m));
  return true;
}

bool MemoryMap::remove(const MemRegionDesc& desc, std::string& error) {
  for (auto it = mappings_.begin(); it != mappings_.end(); ++it) {
    const MemRegionDesc& d = it->desc();
    if (d.guest_phys_addr == desc.guest_phys_addr && d.memory_size == desc.memory_size &&
        d.user_addr == desc.user_addr) {
      table_.remove(d.guest_phys_addr, d.memory_size);
      mappings_.erase(it);
      return true;
    }
  }
  error = "REM_MEM_REG names no mapped region";
  return false;
}

void MemoryMap::clear() {
  table_.clear();
  mappings_.clear();
}

}  // namespace vhost
