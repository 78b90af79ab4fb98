// TestFrontend: guest memory in memfds, the rings laid out in it and the
// driver's half of the data path (posting TX frames and RX buffers,
// kicking, waiting for calls, reaping used entries).
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "tests/support/test_frontend.hpp"

namespace testing_support {

namespace {

vhost::UniqueFd make_eventfd() {
  vhost::UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) throw FrontendError("eventfd failed");
  return fd;
}

// Waits for `fd` to be signalled and consumes the count.
bool wait_eventfd(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
  eventfd_t n = 0;
  return ::eventfd_read(fd, &n) == 0 && n > 0;
}

}  // namespace

// ---- GuestRegion / FrontendRing ----------------------------------------------

GuestRegion::GuestRegion(uint64_t size, uint64_t gpa, uint64_t user_addr, uint64_t mmap_offset)
    : fd_(::memfd_create("test-guest-ram", MFD_CLOEXEC)), map_len_(mmap_offset + size) {
  if (!fd_ || ::ftruncate(fd_.get(), static_cast<off_t>(map_len_)) != 0) throw FrontendError("memfd setup failed");
  void* p = ::mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
  if (p == MAP_FAILED) throw FrontendError("mmap of guest memory failed");
  map_ = static_cast<uint8_t*>(p);
  desc_ = {gpa, size, user_addr, mmap_offset};
  mem_ = std::make_unique<TestMemory>(map_ + mmap_offset, size, gpa, user_addr);
}

GuestRegion::~GuestRegion() {
  mem_.reset();
  if (map_) ::munmap(map_, map_len_);
}

FrontendRing::FrontendRing(uint16_t index_, GuestRegion& region_, uint16_t size)
    : index(index_),
      region(region_),
      ring(region_.mem(), size),
      kick(make_eventfd()),
      call(make_eventfd()),
      err(make_eventfd()) {}

vhost::VringAddr FrontendRing::addr() const {
  TestMemory& m = region.mem();
  return {index, 0, m.user_addr(ring.desc_gpa()), m.user_addr(ring.used_gpa()), m.user_addr(ring.avail_gpa()), 0};
}

GuestRegion& TestFrontend::add_region(uint64_t size, uint64_t gpa, uint64_t user_addr, uint64_t mmap_offset) {
  regions_.push_back(std::make_unique<GuestRegion>(size, gpa, user_addr, mmap_offset));
  return *regions_.back();
}

FrontendRing& TestFrontend::add_ring(uint16_t index, uint16_t size, GuestRegion* region) {
  auto r = std::make_unique<FrontendRing>(index, region ? *region : *regions_.front(), size);
  FrontendRing& ref = *r;
  rings_[index] = std::move(r);
  return ref;
}

FrontendRing& TestFrontend::ring(uint16_t index) {
  auto it = rings_.find(index);
  if (it == rings_.end()) throw FrontendError("no ring " + std::to_string(index) + " (add_ring first)");
  return *it->second;
}

// ---- Frames --------------------------------------------------------------------

std::vector<uint8_t> make_frame(const Mac& dst, const Mac& src, size_t payload, uint8_t seed) {
  std::vector<uint8_t> f(dst.begin(), dst.end());
  f.insert(f.end(), src.begin(), src.end());
  f.push_back(0x88);
  f.push_back(0xb5);
  for (size_t i = 0; i < payload; ++i) f.push_back(static_cast<uint8_t>(seed + i * 7));
  return f;
}

std::vector<uint8_t> swap_macs(std::vector<uint8_t> frame) {
  std::swap_ranges(frame.begin(), frame.begin() + 6, frame.begin() + 6);
  return frame;
}

// ---- Data path -------------------------------------------------------------------

uint16_t TestFrontend::post_tx(uint16_t index, std::span<const uint8_t> frame) {
  FrontendRing& r = ring(index);
  TestMemory& m = r.region.mem();
  const size_t hdr = net_header_size();
  const auto len = static_cast<uint32_t>(hdr + frame.size());
  const uint64_t gpa = m.alloc(len, 16);
  std::memset(m.host(gpa), 0, hdr);
  std::memcpy(m.host(gpa + hdr), frame.data(), frame.size());
  const uint16_t head = r.ring.post({{gpa, len, false}});
  r.buffers[head] = {gpa, len, false};
  arm(index);
  return head;
}

void TestFrontend::send_frame(uint16_t index, std::span<const uint8_t> frame) {
  post_tx(index, frame);
  kick(index);
}

void TestFrontend::post_rx(uint16_t index, size_t count, uint32_t len) {
  FrontendRing& r = ring(index);
  for (size_t i = 0; i < count; ++i) {
    const uint64_t gpa = r.region.mem().alloc(len, 16);
    const uint16_t head = r.ring.post({{gpa, len, true}});
    r.buffers[head] = {gpa, len, true};
  }
  arm(index);
}

void TestFrontend::arm(uint16_t index) {
  DriverRing& r = ring(index).ring;
  r.set_used_event(r.used_idx());
}

void TestFrontend::kick(uint16_t index) {
  if (::eventfd_write(ring(index).kick.get(), 1) != 0) throw FrontendError("kick failed");
}

bool TestFrontend::wait_used(uint16_t index, uint16_t idx, std::chrono::milliseconds timeout) {
  DriverRing& r = ring(index).ring;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Reached or passed (the index wraps at 2^16).
  while (static_cast<int16_t>(r.used_idx() - idx) < 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

bool TestFrontend::wait_call(uint16_t index, std::chrono::milliseconds timeout) {
  return wait_eventfd(ring(index).call.get(), timeout);
}

bool TestFrontend::wait_err(uint16_t index, std::chrono::milliseconds timeout) {
  return wait_eventfd(ring(index).err.get(), timeout);
}

std::optional<RxFrame> TestFrontend::pop_rx(uint16_t index) {
  FrontendRing& r = ring(index);
  const size_t hdr_len = net_header_size();
  RxFrame out;
  uint16_t expected = 1;
  for (uint16_t n = 0; n < expected; ++n) {
    const auto used = r.ring.pop_used();
    if (!used) {
      if (n == 0) {
        arm(index);
        return std::nullopt;
      }
      throw FrontendError("RX frame announces more buffers than the backend used");
    }
    auto it = r.buffers.find(static_cast<uint16_t>(used->id));
    if (it == r.buffers.end() || !it->second.writable || used->len > it->second.len)
      throw FrontendError("used entry names no posted RX buffer, or a length beyond it");
    const uint8_t* data = r.region.mem().host(it->second.gpa);
    size_t skip = 0;
    if (n == 0) {
      if (used->len < hdr_len) throw FrontendError("RX buffer shorter than the net header");
      std::memcpy(&out.header, data, hdr_len);
      skip = hdr_len;
      if (hdr_len == sizeof(virtio::NetHeader)) expected = out.header.num_buffers;
      if (expected == 0) throw FrontendError("RX header with num_buffers 0");
    }
    out.data.insert(out.data.end(), data + skip, data + used->len);
    r.buffers.erase(it);
  }
  return out;
}

std::vector<RxFrame> TestFrontend::drain_rx(uint16_t index) {
  std::vector<RxFrame> frames;
  while (auto f = pop_rx(index)) frames.push_back(std::move(*f));
  return frames;
}

}  // namespace testing_support
