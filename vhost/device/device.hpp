// One vhost-user device: the state a single frontend connection configures
// (features, memory table, vrings, config space, status) and the handlers
// for its requests. Which handler runs, with what payload size and which
// fds, is declared in request_table.cpp; handlers see only validated
// messages. The device lives exactly as long as its connection: destroying
// it closes every fd and unmaps every region it held.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "vhost/device/memory_map.hpp"
#include "vhost/device/vring.hpp"
#include "vhost/loop/event_loop.hpp"
#include "vhost/protocol/message.hpp"

namespace vhost {

struct DeviceConfig {
  uint16_t queue_pairs = 1;
  std::array<uint8_t, 6> mac{};
  uint16_t mtu = 1500;
};

// What the data path (the net port) learns from the device.
class DeviceObserver {
 public:
  virtual ~DeviceObserver() = default;
  // A ring has work to look at: it was kicked, started or enabled.
  virtual void on_vring_ready(uint16_t vring_index) = 0;
};

enum class HandlerResult {
  kOk,
  kFailed,      // the request was refused; the connection goes on
  kDisconnect,  // the frontend must be dropped
};

class Device {
 public:
  Device(EventLoop& loop, DeviceObserver& observer, const DeviceConfig& config);

  // Validates and executes one request. Returns false if the connection
  // must be dropped. `reply` is filled and `send_reply` set when the
  // frontend expects an answer.
  bool handle(Message& msg, Message& reply, bool& send_reply);

  uint64_t features() const { return acked_features_; }
  size_t vring_count() const { return vrings_.size(); }
  Vring& vring(size_t i) { return vrings_[i]; }
  const Vring& vring(size_t i) const { return vrings_[i]; }
  const MemoryMap& memory() const { return memory_; }
  uint8_t status() const { return status_; }

  static uint64_t offered_features();
  static uint64_t offered_protocol_features();

  // Handlers (request_table.cpp points at these).
  HandlerResult get_features(Message& msg, Message& reply);
  HandlerResult set_features(Message& msg, Message& reply);
  HandlerResult set_owner(Message& msg, Message& reply);
  HandlerResult reset_owner(Message& msg, Message& reply);
  HandlerResult get_protocol_features(Message& msg, Message& reply);
  HandlerResult set_protocol_features(Message& msg, Message& reply);
  HandlerResult get_queue_num(Message& msg, Message& reply);
  HandlerResult net_set_mtu(Message& msg, Message& reply);
  HandlerResult get_config(Message& msg, Message& reply);
  HandlerResult set_config(Message& msg, Message& reply);
  HandlerResult reset_device(Message& msg, Message& reply);
  HandlerResult set_status(Message& msg, Message& reply);
  HandlerResult get_status(Message& msg, Message& reply);
  // device_memory.cpp
  HandlerResult set_mem_table(Message& msg, Message& reply);
  HandlerResult get_max_mem_slots(Message& msg, Message& reply);
  HandlerResult add_mem_reg(Message& msg, Message& reply);
  HandlerResult rem_mem_reg(Message& msg, Message& reply);
  // device_vring.cpp
  HandlerResult set_vring_num(Message& msg, Message& reply);
  HandlerResult set_vring_addr(Message& msg, Message& reply);
  HandlerResult set_vring_base(Message& msg, Message& reply);
  HandlerResult get_vring_base(Message& msg, Message& reply);
  HandlerResult set_vring_kick(Message& msg, Message& reply);
  HandlerResult set_vring_call(Message& msg, Message& reply);
  HandlerResult set_vring_err(Message& msg, Message& reply);
  HandlerResult set_vring_enable(Message& msg, Message& reply);

 private:
  bool protocol_features_acked() const;
  RingFeatures ring_features() const;
  void remap_vrings();
  void reset_state();
  void make_vrings();
  // Looks up the vring a message names; logs and returns null if out of range.
  Vring* vring_for(uint64_t index, const char* request);
  HandlerResult refuse(const char* request, const std::string& why);
  // Ring and eventfd of SET_VRING_KICK/CALL/ERR; fd stays empty with the no-fd flag.
  HandlerResult take_vring_fd(Message& msg, const char* request, Vring*& vring, UniqueFd& fd);

  EventLoop& loop_;
  DeviceObserver& observer_;
  DeviceConfig config_;
  uint64_t acked_features_ = 0;
  uint64_t acked_protocol_features_ = 0;
  uint8_t status_ = 0;
  MemoryMap memory_;
  std::vector<Vring> vrings_;
};

}  // namespace vhost
