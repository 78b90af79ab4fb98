// An in-process vhost-user frontend for protocol tests: what QEMU does on
// its end of the socket, driven step by step from a test. It speaks the
// wire format of vhost/protocol over a blocking-with-timeout socket, owns
// guest memory in memfds (so the backend maps the very pages the test
// writes), lays real split rings out in it with DriverRing, and holds the
// kick/call/err eventfds of each ring.
//
// Requests that expect an answer throw FrontendError when none comes within
// kTimeout, so a misbehaving backend fails a test instead of hanging it.
#pragma once

#include <sys/uio.h>

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "tests/support/driver_ring.hpp"
#include "vhost/protocol/message.hpp"
#include "vhost/protocol/socket_io.hpp"
#include "vhost/sys/unique_fd.hpp"
#include "virtio/net_header.hpp"

namespace testing_support {

inline constexpr std::chrono::milliseconds kTimeout = std::chrono::seconds(5);

struct FrontendError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Guest RAM shared with the backend: a memfd holding `mmap_offset` bytes of
// something else followed by the region, mapped MAP_SHARED here and carved
// up by a TestMemory.
class GuestRegion {
 public:
  GuestRegion(uint64_t size, uint64_t gpa, uint64_t user_addr, uint64_t mmap_offset = 0);
  ~GuestRegion();
  GuestRegion(const GuestRegion&) = delete;
  GuestRegion& operator=(const GuestRegion&) = delete;

  int fd() const { return fd_.get(); }
  // The region as SET_MEM_TABLE / ADD_MEM_REG describe it.
  const vhost::MemRegionDesc& desc() const { return desc_; }
  TestMemory& mem() { return *mem_; }

 private:
  vhost::UniqueFd fd_;
  uint8_t* map_ = nullptr;
  size_t map_len_ = 0;
  vhost::MemRegionDesc desc_{};
  std::unique_ptr<TestMemory> mem_;
};

// One virtqueue as the driver holds it.
struct FrontendRing {
  FrontendRing(uint16_t index, GuestRegion& region, uint16_t size);

  vhost::VringAddr addr() const;

  uint16_t index;
  GuestRegion& region;
  DriverRing ring;
  vhost::UniqueFd kick, call, err;  // non-blocking eventfds
  std::map<uint16_t, Buf> buffers;  // the data buffer behind each posted head
};

using Mac = std::array<uint8_t, 6>;

// An Ethernet frame: dst, src, ethertype 0x88b5 (local experimental), then
// `payload` bytes derived from `seed`.
std::vector<uint8_t> make_frame(const Mac& dst, const Mac& src, size_t payload, uint8_t seed = 0);
// The frame as loopback returns it: MACs swapped, the rest untouched.
std::vector<uint8_t> swap_macs(std::vector<uint8_t> frame);

// A frame taken from an RX ring: its net header and the bytes after it.
struct RxFrame {
  virtio::NetHeader header{};
  std::vector<uint8_t> data;
};

struct HandshakeOptions {
  bool protocol_features = true;   // negotiate VHOST_USER_F_PROTOCOL_FEATURES (GET/SET_PROTOCOL_FEATURES)
  uint64_t protocol_mask = ~0ull;  // which offered protocol features to accept
  uint64_t feature_mask = ~0ull;   // which offered virtio features to accept
  uint16_t queue_pairs = 1;        // rings 0 .. 2 * queue_pairs - 1 are set up
  uint16_t ring_size = 256;
  bool setup_rings = true;   // false: rings are laid out (add_ring) but not announced
  bool enable_rings = true;  // SET_VRING_ENABLE 1 for each ring (with protocol features)
  bool add_mem_reg = false;  // memory via ADD_MEM_REG per region instead of SET_MEM_TABLE
};

// A message payload: a wire struct or a u64. Other integers passed to
// TestFrontend::make() are flags, never a payload by accident.
template <typename T>
concept WirePayload = !std::is_integral_v<T> || std::is_same_v<T, uint64_t>;

class TestFrontend {
 public:
  static constexpr uint64_t kRegionSize = 8 << 20;
  static constexpr uint64_t kGpaBase = 0x100000;
  static constexpr uint64_t kUserBase = 0x7f0000000000;

  // Takes the frontend end of a connection; creates guest memory region 0.
  explicit TestFrontend(vhost::UniqueFd sock);
  ~TestFrontend();

  int sock() const { return sock_.get(); }
  void close() { sock_.reset(); }

  // ---- Wire level ----------------------------------------------------------
  static vhost::Message make(vhost::Request r, uint32_t flags = vhost::msg_flag::kVersion);
  template <WirePayload T>
  static vhost::Message make(vhost::Request r, const T& payload, uint32_t flags = vhost::msg_flag::kVersion) {
    vhost::Message m = make(r, flags);
    m.set_payload(payload);
    return m;
  }
  // SET_MEM_TABLE describing `regions` (the fds travel separately).
  static vhost::Message mem_table_message(std::span<const vhost::MemRegionDesc> regions,
                                          uint32_t flags = vhost::msg_flag::kVersion);
  // GET_CONFIG / SET_CONFIG: a ConfigHeader for [offset, offset + size) and
  // `data` (zeros when shorter than size).
  static vhost::Message config_message(vhost::Request r, uint32_t offset, uint32_t size,
                                       std::span<const uint8_t> data = {}, uint32_t flags = vhost::msg_flag::kVersion);
  void send(const vhost::Message& m, std::span<const int> fds = {});
  // Arbitrary bytes with any number of fds (malformed messages).
  void send_bytes(const void* data, size_t len, std::span<const int> fds = {});
  // Returns once the backend has read everything we sent (SIOCOUTQ is 0).
  bool wait_drained(std::chrono::milliseconds timeout = kTimeout);
  // Half-closes the connection: the backend reads EOF after what was sent.
  void shutdown_write();
  // The next message from the backend.
  vhost::Message recv();
  // True once the backend has closed the connection (discarding anything it sent first).
  bool wait_closed(std::chrono::milliseconds timeout = kTimeout);
  // Sends a request the backend always answers and returns the answer,
  // after checking it is a reply to that request.
  vhost::Message transact(const vhost::Message& m, std::span<const int> fds = {});
  // Sends an ack-type request with NEED_REPLY and returns the u64 ack.
  uint64_t request_ack(vhost::Message m, std::span<const int> fds = {});
  // Sends an ack-type request; with REPLY_ACK negotiated returns whether it
  // was accepted, otherwise sends it unchecked and returns true.
  bool request(vhost::Message m, std::span<const int> fds = {});
  // Returns once the backend has handled everything sent so far.
  void sync();
  bool reply_ack() const { return reply_ack_; }
  uint64_t acked_features() const { return acked_features_; }

  // ---- Requests ------------------------------------------------------------
  uint64_t get_u64(vhost::Request r);
  uint64_t get_features() { return get_u64(vhost::Request::kGetFeatures); }
  uint64_t get_protocol_features() { return get_u64(vhost::Request::kGetProtocolFeatures); }
  uint64_t get_queue_num() { return get_u64(vhost::Request::kGetQueueNum); }
  uint64_t get_max_mem_slots() { return get_u64(vhost::Request::kGetMaxMemSlots); }
  uint64_t get_status() { return get_u64(vhost::Request::kGetStatus); }
  uint32_t get_vring_base(uint16_t index);
  // The reply to GET_CONFIG: header then data.
  vhost::Message get_config(uint32_t offset, uint32_t size);

  bool set_u64(vhost::Request r, uint64_t v) { return request(make(r, v)); }
  bool set_features(uint64_t f);
  bool set_protocol_features(uint64_t f);
  bool set_owner() { return request(make(vhost::Request::kSetOwner)); }
  bool reset_owner();
  bool reset_device();
  bool set_status(uint64_t s) { return set_u64(vhost::Request::kSetStatus, s); }
  bool net_set_mtu(uint64_t mtu) { return set_u64(vhost::Request::kNetSetMtu, mtu); }
  bool set_config(uint32_t offset, std::span<const uint8_t> data);
  // The memory table of the given regions (all regions when empty).
  bool set_mem_table(std::vector<GuestRegion*> regions = {});
  bool add_mem_reg(GuestRegion& r);
  bool rem_mem_reg(GuestRegion& r, bool with_fd = false);

  bool set_vring_state(vhost::Request r, uint32_t index, uint32_t num);
  bool set_vring_num(uint16_t index, uint32_t num) { return set_vring_state(vhost::Request::kSetVringNum, index, num); }
  bool set_vring_base(uint16_t index, uint32_t base) {
    return set_vring_state(vhost::Request::kSetVringBase, index, base);
  }
  bool set_vring_enable(uint16_t index, bool on) { return set_vring_state(vhost::Request::kSetVringEnable, index, on); }
  bool set_vring_addr(uint16_t index);
  // SET_VRING_KICK/CALL/ERR with `fd` (-1: the no-fd flag) for ring index `payload`.
  bool set_vring_fd(vhost::Request r, uint64_t payload, int fd);
  bool set_vring_kick(uint16_t index) {
    return set_vring_fd(vhost::Request::kSetVringKick, index, ring(index).kick.get());
  }
  bool set_vring_call(uint16_t index) {
    return set_vring_fd(vhost::Request::kSetVringCall, index, ring(index).call.get());
  }
  bool set_vring_err(uint16_t index) {
    return set_vring_fd(vhost::Request::kSetVringErr, index, ring(index).err.get());
  }
  // ERR, NUM, BASE, ADDR, KICK, CALL for a ring made by add_ring().
  bool setup_ring(uint16_t index, uint32_t base = 0);

  // What QEMU does up to a running device; throws FrontendError on any refusal.
  void handshake(const HandshakeOptions& opts = {});

  // ---- Guest memory and rings ----------------------------------------------
  GuestRegion& region(size_t i = 0) { return *regions_.at(i); }
  // Another region, not yet announced to the backend.
  GuestRegion& add_region(uint64_t size, uint64_t gpa, uint64_t user_addr, uint64_t mmap_offset = 0);
  FrontendRing& add_ring(uint16_t index, uint16_t size = 256, GuestRegion* region = nullptr);
  FrontendRing& ring(uint16_t index);
  bool has_ring(uint16_t index) const { return rings_.count(index) != 0; }

  // ---- Data path -----------------------------------------------------------
  size_t net_header_size() const { return virtio::net_header_size(acked_features_); }
  // Posts net header + frame as one TX chain (not kicked); returns the head.
  uint16_t post_tx(uint16_t index, std::span<const uint8_t> frame);
  // post_tx + kick.
  void send_frame(uint16_t index, std::span<const uint8_t> frame);
  // Posts `count` writable buffers of `len` bytes.
  void post_rx(uint16_t index, size_t count, uint32_t len = 2048);
  void kick(uint16_t index);
  // With EVENT_IDX: asks for an interrupt on the next used entry (used_event
  // = used->idx), as a driver does after reaping. post_tx, post_rx and a
  // pop_rx that finds the ring empty do this.
  void arm(uint16_t index);
  // Polls the ring's used->idx until it reaches (or passes) `idx`.
  bool wait_used(uint16_t index, uint16_t idx, std::chrono::milliseconds timeout = kTimeout);
  // Waits for (and consumes) a signal on the ring's call / err eventfd.
  bool wait_call(uint16_t index, std::chrono::milliseconds timeout = kTimeout);
  bool wait_err(uint16_t index, std::chrono::milliseconds timeout = kTimeout);
  // Consumes a pending call signal without waiting.
  bool take_call(uint16_t index) { return wait_call(index, std::chrono::milliseconds(0)); }
  // The next received frame (header.num_buffers used entries), if any.
  std::optional<RxFrame> pop_rx(uint16_t index);
  std::vector<RxFrame> drain_rx(uint16_t index);

 private:
  void send_iov(iovec* iov, size_t iovcnt, std::span<const int> fds);

  vhost::UniqueFd sock_;
  vhost::MessageReader reader_;
  bool reply_ack_ = false;
  uint64_t acked_features_ = 0;
  std::vector<std::unique_ptr<GuestRegion>> regions_;
  std::map<uint16_t, std::unique_ptr<FrontendRing>> rings_;
};

}  // namespace testing_support
