#include "virtio/chain_io.hpp"

#include <algorithm>
#include <cstring>

namespace virtio {

SegmentCursor::SegmentCursor(std::span<const HostSegment> segs) : segs_(segs) {
  for (const HostSegment& s : segs) remaining_ += s.len;
}

size_t SegmentCursor::skip(size_t n) {
  return consume(n, [](uint8_t*, size_t, size_t) {});
}

size_t ChainReader::read(void* dst, size_t n) {
  auto* out = static_cast<uint8_t*>(dst);
  return consume(n, [out](uint8_t* p, size_t len, size_t done) { std::memcpy(out + done, p, len); });
}

size_t ChainWriter::write(const void* src, size_t n) {
  const auto* in = static_cast<const uint8_t*>(src);
  return consume(n, [in](uint8_t* p, size_t len, size_t done) { std::memcpy(p, in + done, len); });
}

size_t ChainWriter::copy_from(ChainReader& from, size_t n) {
  n = static_cast<size_t>(std::min<uint64_t>({n, remaining(), from.remaining()}));
  // Each destination piece is filled straight from the source chain: one copy.
  return consume(n, [&from](uint8_t* p, size_t len, size_t) { from.read(p, len); });
}

}  // namespace virtio
