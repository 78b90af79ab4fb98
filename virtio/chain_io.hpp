// Byte-stream views over a chain's host segments, so callers copy frames
// without caring where one descriptor (or memory region) ends and the next
// begins.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "virtio/guest_memory.hpp"

namespace virtio {

class SegmentCursor {
 public:
  explicit SegmentCursor(std::span<const HostSegment> segs);

  uint64_t remaining() const { return remaining_; }
  // Advances up to n bytes; returns how many.
  size_t skip(size_t n);

 protected:
  // Calls fn(ptr, len) over the next up-to-n bytes, advancing.
  template <typename Fn>
  size_t consume(size_t n, Fn&& fn) {
    size_t done = 0;
    while (done < n && idx_ < segs_.size()) {
      const HostSegment& s = segs_[idx_];
      const size_t chunk = std::min<size_t>(n - done, s.len - offset_);
      fn(s.data + offset_, chunk, done);
      done += chunk;
      offset_ += static_cast<uint32_t>(chunk);
      if (offset_ == s.len) {
        ++idx_;
        offset_ = 0;
      }
    }
    remaining_ -= done;
    return done;
  }

 private:
  std::span<const HostSegment> segs_;
  size_t idx_ = 0;
  uint32_t offset_ = 0;
  uint64_t remaining_ = 0;
};

class ChainReader : public SegmentCursor {
 public:
  using SegmentCursor::SegmentCursor;
  size_t read(void* dst, size_t n);
};

class ChainWriter : public SegmentCursor {
 public:
  using SegmentCursor::SegmentCursor;
  size_t write(const void* src, size_t n);
  // Copies up to n bytes from `from`; returns how many.
  size_t copy_from(ChainReader& from, size_t n);
};

}  // namespace virtio
