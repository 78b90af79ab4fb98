#include "vhost/device/device.hpp"

#include <cstring>

#include "vhost/device/request_table.hpp"
#include "vhost/sys/log.hpp"
#include "virtio/features.hpp"

namespace vhost {

namespace {

// virtio-net config space (virtio 1.2, 5.1.4) up to mtu: mac, status,
// max_virtqueue_pairs, mtu.
struct __attribute__((packed)) NetConfig {
  uint8_t mac[6];
  uint16_t status;
  uint16_t max_virtqueue_pairs;
  uint16_t mtu;
};
constexpr uint16_t kNetStatusLinkUp = 1;
constexpr uint64_t kMinMtu = 68;
constexpr uint64_t kMaxMtu = 65535;

}  // namespace

Device::Device(EventLoop& loop, DeviceObserver& observer, const DeviceConfig& config)
    : loop_(loop), observer_(observer), config_(config), memory_(kMaxMemSlots) {
  make_vrings();
}

void Device::make_vrings() {
  // Counters survive a reset: they describe the connection, not the rings.
  std::vector<QueueStats> stats(2 * config_.queue_pairs);
  for (size_t i = 0; i < vrings_.size(); ++i) stats[i] = vrings_[i].stats();
  vrings_.clear();
  for (uint16_t i = 0; i < 2 * config_.queue_pairs; ++i) {
    vrings_.emplace_back(i);
    vrings_.back().stats() = stats[i];
  }
}

uint64_t Device::offered_features() {
  using namespace virtio::feature;
  return virtio::bit(kVersion1) | virtio::bit(kNetMrgRxbuf) | virtio::bit(kRingEventIdx) |
         virtio::bit(kRingIndirectDesc) | virtio::bit(kNetMtu) | virtio::bit(kNetMq) | virtio::bit(kAnyLayout) |
         virtio::bit(kProtocolFeaturesBit);
}

uint64_t Device::offered_protocol_features() {
  using namespace protocol_feature;
  return virtio::bit(kMq) | virtio::bit(kReplyAck) | virtio::bit(kMtu) | virtio::bit(kConfig) |
         virtio::bit(kResetDevice) | virtio::bit(kConfigureMemSlots) | virtio::bit(kStatus);
}

bool Device::protocol_features_acked() const { return virtio::has(acked_features_, kProtocolFeaturesBit); }

RingFeatures Device::ring_features() const {
  return {virtio::has(acked_features_, virtio::feature::kRingEventIdx),
          virtio::has(acked_features_, virtio::feature::kRingIndirectDesc)};
}

bool Device::handle(Message& msg, Message& reply, bool& send_reply) {
  send_reply = false;
  const bool want_ack = virtio::has(acked_protocol_features_, protocol_feature::kReplyAck) &&
                        (msg.hdr.flags & msg_flag::kNeedReply);
  reply = Message{};
  reply.hdr.request = msg.hdr.request;
  reply.hdr.flags = msg_flag::kVersion | msg_flag::kReply;
  auto ack = [&](bool ok) {
    if (!want_ack) return;
    reply.set_payload<uint64_t>(ok ? 0 : 1);
    send_reply = true;
  };

  const RequestSpec* spec = find_request(msg.hdr.request);
  if (spec == nullptr) {
    VN_LOG(kWarn, "unsupported request %u (size %u, %zu fds): refused", msg.hdr.request, msg.hdr.size,
           msg.fds.size());
    ack(false);
    return true;
  }
  if (const char* why = validate(spec->rule, msg)) {
    VN_LOG(kWarn, "malformed %s (size %u, %zu fds): %s", spec->name, msg.hdr.size, msg.fds.size(), why);
    // A frontend waiting for data we cannot produce would hang: drop it.
    if (spec->rule.reply == ReplyRule::kAlways) return false;
    ack(false);
    return true;
  }
  const HandlerResult r = (this->*spec->handler)(msg, reply);
  if (r == HandlerResult::kDisconnect) return false;
  if (spec->rule.reply == ReplyRule::kAlways) {
    if (r != HandlerResult::kOk) return false;
    send_reply = true;
    return true;
  }
  ack(r == HandlerResult::kOk);
  return true;
}

HandlerResult Device::refuse(const char* request, const std::string& why) {
  VN_LOG(kWarn, "%s refused: %s", request, why.c_str());
  return HandlerResult::kFailed;
}

HandlerResult Device::get_features(Message&, Message& reply) {
  uint64_t f = offered_features();
  if (config_.queue_pairs < 2) f &= ~virtio::bit(virtio::feature::kNetMq);
  reply.set_payload<uint64_t>(f);
  return HandlerResult::kOk;
}

HandlerResult Device::set_features(Message& msg, Message&) {
  const uint64_t f = msg.u64();
  if (f & ~offered_features()) return refuse("SET_FEATURES", "feature bits the backend did not offer");
  acked_features_ = f;
  // Without protocol features a ring is enabled as soon as it starts.
  if (!protocol_features_acked())
    for (Vring& v : vrings_) v.set_enabled(true);
  remap_vrings();  // EVENT_IDX / INDIRECT may have changed
  return HandlerResult::kOk;
}

// The connection is the ownership: there is nothing else to claim.
HandlerResult Device::set_owner(Message&, Message&) { return HandlerResult::kOk; }

HandlerResult Device::reset_owner(Message&, Message&) {
  reset_state();
  return HandlerResult::kOk;
}

HandlerResult Device::get_protocol_features(Message&, Message& reply) {
  reply.set_payload<uint64_t>(offered_protocol_features());
  return HandlerResult::kOk;
}

HandlerResult Device::set_protocol_features(Message& msg, Message&) {
  const uint64_t f = msg.u64();
  if (f & ~offered_protocol_features()) return refuse("SET_PROTOCOL_FEATURES", "bits the backend did not offer");
  acked_protocol_features_ = f;
  return HandlerResult::kOk;
}

HandlerResult Device::get_queue_num(Message&, Message& reply) {
  reply.set_payload<uint64_t>(config_.queue_pairs);
  return HandlerResult::kOk;
}

HandlerResult Device::net_set_mtu(Message& msg, Message&) {
  const uint64_t mtu = msg.u64();
  if (mtu < kMinMtu || mtu > kMaxMtu) return refuse("NET_SET_MTU", "mtu " + std::to_string(mtu) + " out of range");
  config_.mtu = static_cast<uint16_t>(mtu);
  return HandlerResult::kOk;
}

HandlerResult Device::get_config(Message& msg, Message& reply) {
  const auto hdr = msg.read_as<ConfigHeader>();
  NetConfig cfg{};
  std::memcpy(cfg.mac, config_.mac.data(), sizeof cfg.mac);
  cfg.status = kNetStatusLinkUp;
  cfg.max_virtqueue_pairs = config_.queue_pairs;
  cfg.mtu = config_.mtu;
  if (hdr.offset > sizeof cfg || hdr.size > sizeof cfg - hdr.offset) {
    // The spec's failure reply: no config bytes. The frontend waits for an
    // answer, so refusing (which drops the connection) is not an option.
    VN_LOG(kWarn, "GET_CONFIG refused: range beyond the net config space");
    reply.set_payload(ConfigHeader{hdr.offset, 0, hdr.flags});
    return HandlerResult::kOk;
  }
  reply.set_payload(hdr);
  std::memcpy(reply.payload.data() + sizeof hdr, reinterpret_cast<uint8_t*>(&cfg) + hdr.offset, hdr.size);
  reply.hdr.size = static_cast<uint32_t>(sizeof hdr + hdr.size);
  return HandlerResult::kOk;
}

HandlerResult Device::set_config(Message& msg, Message&) {
  // Only the MAC is driver-writable (legacy drivers set it this way).
  const auto hdr = msg.read_as<ConfigHeader>();
  if (hdr.offset > sizeof config_.mac || hdr.size > sizeof config_.mac - hdr.offset)
    return refuse("SET_CONFIG", "only the mac field is writable");
  std::memcpy(config_.mac.data() + hdr.offset, msg.payload.data() + sizeof hdr, hdr.size);
  return HandlerResult::kOk;
}

HandlerResult Device::reset_device(Message&, Message&) {
  reset_state();
  return HandlerResult::kOk;
}

HandlerResult Device::set_status(Message& msg, Message&) {
  const uint64_t s = msg.u64();
  if (s > 0xff) return refuse("SET_STATUS", "status wider than 8 bits");
  status_ = static_cast<uint8_t>(s);
  return HandlerResult::kOk;
}

HandlerResult Device::get_status(Message&, Message& reply) {
  reply.set_payload<uint64_t>(status_);
  return HandlerResult::kOk;
}

void Device::reset_state() {
  // Back to the state of a fresh connection, ownership aside: every ring
  // stopped and disabled, fds closed, memory unmapped, features forgotten.
  make_vrings();
  memory_.clear();
  acked_features_ = acked_protocol_features_ = 0;
  status_ = 0;
}

void Device::remap_vrings() {
  for (Vring& v : vrings_) v.remap(memory_.guest(), ring_features());
}

Vring* Device::vring_for(uint64_t index, const char* request) {
  if (index < vrings_.size()) return &vrings_[index];
  VN_LOG(kWarn, "%s refused: vring index %llu beyond the %zu rings", request, static_cast<unsigned long long>(index),
         vrings_.size());
  return nullptr;
}

}  // namespace vhost
