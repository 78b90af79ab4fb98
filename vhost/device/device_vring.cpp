// Per-ring requests: SET_VRING_NUM/ADDR/BASE/KICK/CALL/ERR/ENABLE and
// GET_VRING_BASE, following the spec's "Ring states": a ring starts when
// it gets its kick fd and stops on GET_VRING_BASE; enabling is separate.
#include <fcntl.h>

#include "vhost/device/device.hpp"
#include "vhost/sys/log.hpp"

namespace vhost {

namespace {

// Kick/call/err must be eventfds; they are made non-blocking so neither a
// drain nor a signal can ever stall the loop.
bool prepare_eventfd(const UniqueFd& fd, const char* request, std::string& why) {
  if (!is_eventfd(fd.get())) {
    why = std::string(request) + ": fd is not an eventfd";
    return false;
  }
  const int fl = ::fcntl(fd.get(), F_GETFL);
  if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl | O_NONBLOCK) != 0) {
    why = std::string(request) + ": cannot make the eventfd non-blocking";
    return false;
  }
  return true;
}

}  // namespace

HandlerResult Device::set_vring_num(Message& msg, Message&) {
  const auto s = msg.read_as<VringState>();
  Vring* v = vring_for(s.index, "SET_VRING_NUM");
  if (!v) return HandlerResult::kFailed;
  const std::string err = v->set_num(s.num);
  return err.empty() ? HandlerResult::kOk : refuse("SET_VRING_NUM", err);
}

HandlerResult Device::set_vring_addr(Message& msg, Message&) {
  const auto a = msg.read_as<VringAddr>();
  Vring* v = vring_for(a.index, "SET_VRING_ADDR");
  if (!v) return HandlerResult::kFailed;
  v->set_addr(a);
  // A started ring gets new addresses when the frontend toggles logging.
  v->remap(memory_.guest(), ring_features());
  return HandlerResult::kOk;
}

HandlerResult Device::set_vring_base(Message& msg, Message&) {
  const auto s = msg.read_as<VringState>();
  Vring* v = vring_for(s.index, "SET_VRING_BASE");
  if (!v) return HandlerResult::kFailed;
  const std::string err = v->set_base(s.num);
  return err.empty() ? HandlerResult::kOk : refuse("SET_VRING_BASE", err);
}

HandlerResult Device::get_vring_base(Message& msg, Message& reply) {
  const auto s = msg.read_as<VringState>();
  Vring* v = vring_for(s.index, "GET_VRING_BASE");
  if (!v) return HandlerResult::kFailed;
  reply.set_payload(VringState{s.index, v->stop()});
  return HandlerResult::kOk;
}

HandlerResult Device::take_vring_fd(Message& msg, const char* request, Vring*& vring, UniqueFd& fd) {
  const uint64_t payload = msg.u64();
  vring = vring_for(payload & kVringIndexMask, request);
  if (!vring) return HandlerResult::kFailed;
  if (payload & kVringNoFdFlag) return HandlerResult::kOk;
  std::string why;
  if (!prepare_eventfd(msg.fds[0], request, why)) return refuse(request, why);
  fd = std::move(msg.fds[0]);
  return HandlerResult::kOk;
}

HandlerResult Device::set_vring_kick(Message& msg, Message&) {
  Vring* v;
  UniqueFd kick;
  if (HandlerResult r = take_vring_fd(msg, "SET_VRING_KICK", v, kick); r != HandlerResult::kOk) return r;
  if (!kick) return refuse("SET_VRING_KICK", "polled rings (no kick fd) are not supported");
  const uint16_t index = v->index();
  // A new kick fd restarts the ring from where it stopped.
  if (v->started()) v->stop();
  FdWatch watch = loop_.watch(kick.get(), [this, index] {
    vrings_[index].drain_kick();
    observer_.on_vring_ready(index);
  });
  if (!watch.active()) return refuse("SET_VRING_KICK", "kick fd cannot be watched");
  const std::string err = v->start(memory_.guest(), ring_features(), std::move(kick), std::move(watch));
  if (!err.empty()) return refuse("SET_VRING_KICK", "cannot start ring: " + err);
  if (!protocol_features_acked()) v->set_enabled(true);
  // Kicks sent before the ring started were not seen: look now.
  observer_.on_vring_ready(index);
  return HandlerResult::kOk;
}

HandlerResult Device::set_vring_call(Message& msg, Message&) {
  Vring* v;
  UniqueFd call;
  if (HandlerResult r = take_vring_fd(msg, "SET_VRING_CALL", v, call); r != HandlerResult::kOk) return r;
  v->set_call(std::move(call));  // no fd: the driver polls for used buffers
  return HandlerResult::kOk;
}

HandlerResult Device::set_vring_err(Message& msg, Message&) {
  Vring* v;
  UniqueFd err;
  if (HandlerResult r = take_vring_fd(msg, "SET_VRING_ERR", v, err); r != HandlerResult::kOk) return r;
  v->set_err(std::move(err));
  return HandlerResult::kOk;
}

HandlerResult Device::set_vring_enable(Message& msg, Message&) {
  const auto s = msg.read_as<VringState>();
  Vring* v = vring_for(s.index, "SET_VRING_ENABLE");
  if (!v) return HandlerResult::kFailed;
  if (s.num > 1) return refuse("SET_VRING_ENABLE", "enable flag must be 0 or 1");
  v->set_enabled(s.num == 1);
  if (s.num == 1) observer_.on_vring_ready(v->index());
  return HandlerResult::kOk;
}

}  // namespace vhost
