#include "vhost/device/request_table.hpp"

#include <array>

namespace vhost {

namespace {

using P = PayloadRule;
using F = FdRule;
using R = ReplyRule;
using D = Device;

constexpr RequestSpec kRequests[] = {
    {Request::kGetFeatures, "GET_FEATURES", {P::kNone, F::kNone, R::kAlways}, &D::get_features},
    {Request::kSetFeatures, "SET_FEATURES", {P::kU64, F::kNone, R::kAck}, &D::set_features},
    {Request::kSetOwner, "SET_OWNER", {P::kNone, F::kNone, R::kAck}, &D::set_owner},
    {Request::kResetOwner, "RESET_OWNER", {P::kNone, F::kNone, R::kAck}, &D::reset_owner},
    {Request::kSetMemTable, "SET_MEM_TABLE", {P::kMemTable, F::kPerRegion, R::kAck}, &D::set_mem_table},
    {Request::kSetVringNum, "SET_VRING_NUM", {P::kVringState, F::kNone, R::kAck}, &D::set_vring_num},
    {Request::kSetVringAddr, "SET_VRING_ADDR", {P::kVringAddr, F::kNone, R::kAck}, &D::set_vring_addr},
    {Request::kSetVringBase, "SET_VRING_BASE", {P::kVringState, F::kNone, R::kAck}, &D::set_vring_base},
    {Request::kGetVringBase, "GET_VRING_BASE", {P::kVringState, F::kNone, R::kAlways}, &D::get_vring_base},
    {Request::kSetVringKick, "SET_VRING_KICK", {P::kU64, F::kVringFd, R::kAck}, &D::set_vring_kick},
    {Request::kSetVringCall, "SET_VRING_CALL", {P::kU64, F::kVringFd, R::kAck}, &D::set_vring_call},
    {Request::kSetVringErr, "SET_VRING_ERR", {P::kU64, F::kVringFd, R::kAck}, &D::set_vring_err},
    {Request::kGetProtocolFeatures, "GET_PROTOCOL_FEATURES", {P::kNone, F::kNone, R::kAlways},
     &D::get_protocol_features},
    {Request::kSetProtocolFeatures, "SET_PROTOCOL_FEATURES", {P::kU64, F::kNone, R::kAck},
     &D::set_protocol_features},
    {Request::kGetQueueNum, "GET_QUEUE_NUM", {P::kNone, F::kNone, R::kAlways}, &D::get_queue_num},
    {Request::kSetVringEnable, "SET_VRING_ENABLE", {P::kVringState, F::kNone, R::kAck}, &D::set_vring_enable},
    {Request::kNetSetMtu, "NET_SET_MTU", {P::kU64, F::kNone, R::kAck}, &D::net_set_mtu},
    {Request::kGetConfig, "GET_CONFIG", {P::kConfig, F::kNone, R::kAlways}, &D::get_config},
    {Request::kSetConfig, "SET_CONFIG", {P::kConfig, F::kNone, R::kAck}, &D::set_config},
    {Request::kResetDevice, "RESET_DEVICE", {P::kNone, F::kNone, R::kAck}, &D::reset_device},
    {Request::kGetMaxMemSlots, "GET_MAX_MEM_SLOTS", {P::kNone, F::kNone, R::kAlways}, &D::get_max_mem_slots},
    {Request::kAddMemReg, "ADD_MEM_REG", {P::kSingleRegion, F::kOne, R::kAck}, &D::add_mem_reg},
    {Request::kRemMemReg, "REM_MEM_REG", {P::kSingleRegion, F::kOptionalOne, R::kAck}, &D::rem_mem_reg},
    {Request::kSetStatus, "SET_STATUS", {P::kU64, F::kNone, R::kAck}, &D::set_status},
    {Request::kGetStatus, "GET_STATUS", {P::kNone, F::kNone, R::kAlways}, &D::get_status},
};

// Indexed by request id for an O(1) lookup on every message.
constexpr uint32_t kMaxRequestId = 64;
constexpr auto kById = [] {
  std::array<const RequestSpec*, kMaxRequestId> by_id{};
  for (const RequestSpec& s : kRequests) by_id[static_cast<uint32_t>(s.request)] = &s;
  return by_id;
}();

}  // namespace

const RequestSpec* find_request(uint32_t request) { return request < kMaxRequestId ? kById[request] : nullptr; }

const char* request_name(uint32_t request) {
  const RequestSpec* s = find_request(request);
  return s ? s->name : "unknown request";
}

}  // namespace vhost
