#include "vhost/protocol/request_rules.hpp"

namespace vhost {

namespace {

const char* check_size(const RequestRule& rule, const Message& msg) {
  const uint32_t size = msg.hdr.size;
  auto exact = [size](size_t want) { return size == want ? nullptr : "payload size does not match the request"; };
  switch (rule.payload) {
    case PayloadRule::kNone: return exact(0);
    case PayloadRule::kU64: return exact(sizeof(uint64_t));
    case PayloadRule::kVringState: return exact(sizeof(VringState));
    case PayloadRule::kVringAddr: return exact(sizeof(VringAddr));
    case PayloadRule::kSingleRegion: return exact(sizeof(SingleMemRegion));
    case PayloadRule::kMemTable: {
      if (size < sizeof(MemTableHeader)) return "memory table shorter than its header";
      const auto n = msg.read_as<MemTableHeader>().nregions;
      if (n == 0 || n > kMaxMemRegions) return "memory table region count not in 1..8";
      return exact(sizeof(MemTableHeader) + n * sizeof(MemRegionDesc));
    }
    case PayloadRule::kConfig: {
      if (size < sizeof(ConfigHeader) || size > kMaxPayload) return "config payload size out of range";
      const auto cfg = msg.read_as<ConfigHeader>();
      if (cfg.size > kMaxConfigSize) return "config size over 256 bytes";
      return exact(sizeof(ConfigHeader) + cfg.size);
    }
  }
  return "unknown payload rule";
}

const char* check_fds(const RequestRule& rule, const Message& msg) {
  const size_t n = msg.fds.size();
  auto want = [n](size_t count) { return n == count ? nullptr : "wrong number of fds for the request"; };
  switch (rule.fds) {
    case FdRule::kNone: return want(0);
    case FdRule::kOne: return want(1);
    case FdRule::kOptionalOne: return n <= 1 ? nullptr : "more than one fd";
    case FdRule::kPerRegion: return want(msg.read_as<MemTableHeader>().nregions);
    case FdRule::kVringFd: return want((msg.u64() & kVringNoFdFlag) ? 0 : 1);
  }
  return "unknown fd rule";
}

}  // namespace

const char* validate(const RequestRule& rule, const Message& msg) {
  if ((msg.hdr.flags & msg_flag::kVersionMask) != msg_flag::kVersion) return "unsupported protocol version";
  if (msg.hdr.flags & msg_flag::kReply) return "reply flag set on a request";
  if (const char* why = check_size(rule, msg)) return why;
  return check_fds(rule, msg);
}

}  // namespace vhost
