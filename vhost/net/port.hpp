// A network port: one vhost-user socket endpoint and, while a frontend is
// connected, its device. The port runs the data path of its rings: it
// drains TX rings into the forwarder and delivers frames into RX rings.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vhost/device/device.hpp"
#include "vhost/net/frame.hpp"
#include "vhost/transport/connection.hpp"

namespace vhost {

class Forwarder;

struct PortStats {
  uint64_t rx_pkts = 0;   // frames received from the guest (its TX)
  uint64_t rx_bytes = 0;
  uint64_t rx_drops = 0;  // malformed TX chains, or TX on a disabled ring
  uint64_t tx_pkts = 0;   // frames delivered into the guest's RX ring
  uint64_t tx_bytes = 0;
  uint64_t tx_drops = 0;  // no RX buffer, buffer too small, ring not ready
  QueueStats queues;      // summed over the port's rings
};

class Port final : public DeviceObserver {
 public:
  Port(size_t id, std::string path, EventLoop& loop, Forwarder& forwarder, const DeviceConfig& config);
  ~Port() override;

  size_t id() const { return id_; }
  const std::string& path() const { return path_; }
  bool connected() const { return conn_ != nullptr; }

  // A frontend connected; refused if one is already attached.
  void attach(UniqueFd sock);
  // Runs after the frontend left (client mode reconnects from here).
  std::function<void()> on_detached;

  void on_vring_ready(uint16_t vring_index) override;

  // Copies `frame` into this port's RX ring of `queue_pair` (taken modulo
  // the port's pairs). `mac_rewrite`, if set, replaces the frame's first 12
  // bytes (loopback swaps the MACs this way without a second copy).
  void deliver(const Frame& frame, const uint8_t* mac_rewrite = nullptr);
  // Publishes delivered frames and interrupts the guest, once per batch.
  void flush_rx();

  PortStats stats() const;
  // Per-queue counters, summed over every connection the port has had.
  std::vector<QueueStats> queue_stats() const;

 private:
  void detach(const char* why);
  void service_tx(uint16_t pair);
  void handle_tx_chain(Vring& vr, const virtio::DescriptorChain& chain, uint16_t pair, size_t header_len);
  // Pops RX chains until `need` bytes fit; returns how many (0: none available).
  size_t gather_rx_buffers(Vring& vr, uint64_t need, bool mergeable);

  size_t id_;
  std::string path_;
  EventLoop& loop_;
  Forwarder& forwarder_;
  DeviceConfig config_;
  std::unique_ptr<Connection> conn_;
  uint64_t generation_ = 0;  // bumped per connection: stale posted work checks it
  PortStats stats_;
  std::vector<QueueStats> retired_;  // per queue, from connections that have ended
  bool rx_dirty_ = false;
  virtio::DescriptorChain tx_chain_;
  std::vector<virtio::DescriptorChain> rx_chains_;  // scratch, reused per frame
};

}  // namespace vhost
