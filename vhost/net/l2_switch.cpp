#include "vhost/net/l2_switch.hpp"

#include <cstring>

#include "vhost/net/port.hpp"

namespace vhost {

namespace {

uint64_t mac_key(const uint8_t* mac) {
  uint64_t k = 0;
  std::memcpy(&k, mac, virtio::kMacSize);
  return k;
}

bool is_multicast(const uint8_t* mac) { return mac[0] & 1; }

}  // namespace

Port* L2Switch::lookup(const uint8_t* mac) const {
  auto it = table_.find(mac_key(mac));
  return it == table_.end() ? nullptr : it->second;
}

void L2Switch::forward(Port& from, const Frame& f) {
  if (!is_multicast(f.src())) table_[mac_key(f.src())] = &from;
  Port* to = is_multicast(f.dst()) ? nullptr : lookup(f.dst());
  if (to == &from) return;  // destination is on the sender's own segment
  if (to != nullptr) {
    to->deliver(f);
    return;
  }
  for (Port* p : ports_)
    if (p != &from) p->deliver(f);
}

void L2Switch::port_down(Port& port) {
  std::erase_if(table_, [&port](const auto& entry) { return entry.second == &port; });
}

}  // namespace vhost
