// vhost-user wire format (QEMU docs/interop/vhost-user.rst): a 12-byte
// header, a payload of header.size bytes, and up to 8 fds in SCM_RIGHTS.
// The frontend in kvm/ and the backend share these definitions.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "vhost/sys/unique_fd.hpp"

namespace vhost {

enum class Request : uint32_t {
  kGetFeatures = 1,
  kSetFeatures = 2,
  kSetOwner = 3,
  kResetOwner = 4,
  kSetMemTable = 5,
  kSetLogBase = 6,
  kSetLogFd = 7,
  kSetVringNum = 8,
  kSetVringAddr = 9,
  kSetVringBase = 10,
  kGetVringBase = 11,
  kSetVringKick = 12,
  kSetVringCall = 13,
  kSetVringErr = 14,
  kGetProtocolFeatures = 15,
  kSetProtocolFeatures = 16,
  kGetQueueNum = 17,
  kSetVringEnable = 18,
  kSendRarp = 19,
  kNetSetMtu = 20,
  kSetBackendReqFd = 21,
  kIotlbMsg = 22,
  kSetVringEndian = 23,
  kGetConfig = 24,
  kSetConfig = 25,
  kResetDevice = 34,
  kVringKick = 35,
  kGetMaxMemSlots = 36,
  kAddMemReg = 37,
  kRemMemReg = 38,
  kSetStatus = 39,
  kGetStatus = 40,
};

namespace msg_flag {
inline constexpr uint32_t kVersionMask = 0x3;
inline constexpr uint32_t kVersion = 0x1;
inline constexpr uint32_t kReply = 0x4;
inline constexpr uint32_t kNeedReply = 0x8;
}  // namespace msg_flag

namespace protocol_feature {
inline constexpr unsigned kMq = 0;
inline constexpr unsigned kLogShmfd = 1;
inline constexpr unsigned kRarp = 2;
inline constexpr unsigned kReplyAck = 3;
inline constexpr unsigned kMtu = 4;
inline constexpr unsigned kBackendReq = 5;
inline constexpr unsigned kConfig = 9;
inline constexpr unsigned kResetDevice = 13;
inline constexpr unsigned kConfigureMemSlots = 15;
inline constexpr unsigned kStatus = 16;
}  // namespace protocol_feature

// Virtio feature bit 30: the backend speaks GET/SET_PROTOCOL_FEATURES.
inline constexpr unsigned kProtocolFeaturesBit = 30;

inline constexpr size_t kMaxFds = 8;
inline constexpr size_t kMaxMemRegions = 8;  // SET_MEM_TABLE carries one fd per region
inline constexpr size_t kMaxMemSlots = 509;  // with CONFIGURE_MEM_SLOTS
inline constexpr size_t kMaxConfigSize = 256;

struct __attribute__((packed)) MsgHeader {
  uint32_t request;
  uint32_t flags;
  uint32_t size;
};
static_assert(sizeof(MsgHeader) == 12);

struct VringState {
  uint32_t index;
  uint32_t num;
};

struct VringAddr {
  uint32_t index;
  uint32_t flags;
  uint64_t desc_user_addr;
  uint64_t used_user_addr;
  uint64_t avail_user_addr;
  uint64_t log_guest_addr;
};
static_assert(sizeof(VringAddr) == 40);

struct MemRegionDesc {
  uint64_t guest_phys_addr;
  uint64_t memory_size;
  uint64_t user_addr;
  uint64_t mmap_offset;
};
static_assert(sizeof(MemRegionDesc) == 32);

struct MemTableHeader {
  uint32_t nregions;
  uint32_t padding;
};

struct SingleMemRegion {
  uint64_t padding;
  MemRegionDesc region;
};
static_assert(sizeof(SingleMemRegion) == 40);

struct ConfigHeader {
  uint32_t offset;
  uint32_t size;
  uint32_t flags;
};

// SET_VRING_KICK/CALL/ERR payload: ring index in bits 0-7, bit 8 = no fd.
inline constexpr uint64_t kVringIndexMask = 0xff;
inline constexpr uint64_t kVringNoFdFlag = 0x100;

// The largest payload any supported message has: GET/SET_CONFIG.
inline constexpr size_t kMaxPayload = sizeof(ConfigHeader) + kMaxConfigSize;

struct Message {
  MsgHeader hdr{};
  std::array<uint8_t, kMaxPayload> payload{};
  std::vector<UniqueFd> fds;

  Request request() const { return static_cast<Request>(hdr.request); }

  template <typename T>
  T read_as(size_t offset = 0) const {
    static_assert(sizeof(T) <= kMaxPayload);
    T v;
    std::memcpy(&v, payload.data() + offset, sizeof v);
    return v;
  }
  uint64_t u64() const { return read_as<uint64_t>(); }

  template <typename T>
  void set_payload(const T& v) {
    static_assert(sizeof(T) <= kMaxPayload);
    std::memcpy(payload.data(), &v, sizeof v);
    hdr.size = sizeof v;
  }
};

const char* request_name(uint32_t request);

}  // namespace vhost
