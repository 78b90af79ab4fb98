// What a well-formed request looks like: its payload shape, the fds it
// carries and whether it is answered. The request table pairs one of these
// with each handler; validate() is the single place that enforces them.
#pragma once

#include <cstdint>

#include "vhost/protocol/message.hpp"

namespace vhost {

enum class PayloadRule : uint8_t {
  kNone,          // no payload
  kU64,           // one u64
  kVringState,    // struct VringState
  kVringAddr,     // struct VringAddr
  kMemTable,      // MemTableHeader + nregions (1..8) MemRegionDesc
  kSingleRegion,  // struct SingleMemRegion
  kConfig,        // ConfigHeader + size (<= 256) bytes
};

enum class FdRule : uint8_t {
  kNone,         // no fds
  kPerRegion,    // exactly one per SET_MEM_TABLE region
  kVringFd,      // one, unless bit 8 (no fd) of the u64 payload is set
  kOne,          // exactly one
  kOptionalOne,  // zero or one (QEMU sends the region fd with REM_MEM_REG)
};

enum class ReplyRule : uint8_t {
  kAck,     // answered only with REPLY_ACK and NEED_REPLY
  kAlways,  // always answered with data; the frontend blocks on it
};

struct RequestRule {
  PayloadRule payload;
  FdRule fds;
  ReplyRule reply;
};

// nullptr if msg obeys rule and the header is a valid request; otherwise why not.
const char* validate(const RequestRule& rule, const Message& msg);

}  // namespace vhost
