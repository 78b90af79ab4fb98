#include "vhost/net/port.hpp"

#include "vhost/net/forwarder.hpp"
#include "vhost/sys/log.hpp"
#include "virtio/chain_io.hpp"

namespace vhost {

namespace {

// Chains popped between used-ring publications: one used->idx store and at
// most one interrupt per batch.
constexpr unsigned kTxBatch = 64;
// Frames handled per wakeup before other fds get a turn; the rest continue
// from a posted task with kicks still off.
constexpr unsigned kTxBudget = 1024;
// RX buffers one frame may span with MRG_RXBUF (64 KiB / 1.5 KiB buffers).
constexpr size_t kMaxRxBuffers = 64;
constexpr uint32_t kMaxFrame = 65535 + virtio::kEthHeaderSize;

}  // namespace

Port::Port(size_t id, std::string path, EventLoop& loop, Forwarder& forwarder, const DeviceConfig& config)
    : id_(id),
      path_(std::move(path)),
      loop_(loop),
      forwarder_(forwarder),
      config_(config),
      retired_(2 * config.queue_pairs),
      rx_chains_(kMaxRxBuffers) {}

Port::~Port() = default;

void Port::attach(UniqueFd sock) {
  if (conn_) {
    VN_LOG(kWarn, "port %zu (%s): a frontend is already attached; refusing another", id_, path_.c_str());
    return;
  }
  ++generation_;
  conn_ = std::make_unique<Connection>(loop_, std::move(sock), *this, config_,
                                       [this](const char* why) { detach(why); });
  VN_LOG(kInfo, "port %zu (%s): frontend attached", id_, path_.c_str());
}

void Port::detach(const char* why) {
  VN_LOG(kInfo, "port %zu (%s): frontend detached: %s", id_, path_.c_str(), why);
  retired_ = queue_stats();
  forwarder_.port_down(*this);
  ++generation_;
  rx_dirty_ = false;
  // Called from inside the connection's own callback: destroy it (closing
  // its fds, unmapping its memory) once that callback has returned.
  std::shared_ptr<Connection> dying(std::move(conn_));
  loop_.post([dying] {});
  if (on_detached) on_detached();
}

void Port::on_vring_ready(uint16_t vring_index) {
  if (!conn_) return;
  if (vring_index % 2 == 1) return service_tx(vring_index / 2);
  // A frame that finds no RX buffer is dropped, not queued, so new RX
  // buffers need no wakeup: keep the guest from kicking for them.
  Vring& rx = conn_->device().vring(vring_index);
  if (rx.started() && !rx.broken()) rx.queue().disable_notifications();
}

void Port::service_tx(uint16_t pair) {
  Device& dev = conn_->device();
  Vring& vr = dev.vring(2 * pair + 1);
  if (!vr.started() || vr.broken()) return;
  const size_t header_len = virtio::net_header_size(dev.features());
  virtio::SplitQueue& q = vr.queue();
  q.disable_notifications();
  for (unsigned done = 1;; ++done) {
    const virtio::PopResult r = q.pop(tx_chain_);
    if (r.status == virtio::PopStatus::kEmpty) {
      // Kicks back on, then look once more: a frame added in between is
      // processed now instead of waiting for a kick that will not come.
      if (!q.enable_notifications()) break;
      q.disable_notifications();
      continue;
    }
    if (r.status == virtio::PopStatus::kBroken) {
      vr.mark_broken(q.broken_reason());
      forwarder_.flush();
      return;
    }
    if (r.status == virtio::PopStatus::kBadChain) {
      VN_LOG(kDebug, "port %zu: TX chain dropped: %s", id_, virtio::to_string(r.chain_error));
      ++stats_.rx_drops;
    } else {
      handle_tx_chain(vr, tx_chain_, pair, header_len);
    }
    q.add_used(tx_chain_.head(), 0);
    if (done % kTxBatch == 0) {
      vr.publish_and_notify();
      forwarder_.flush();
    }
    if (done == kTxBudget) {
      loop_.post([this, pair, gen = generation_] {
        if (gen == generation_) service_tx(pair);
      });
      break;
    }
  }
  vr.publish_and_notify();
  forwarder_.flush();
}

void Port::handle_tx_chain(Vring& vr, const virtio::DescriptorChain& chain, uint16_t pair, size_t header_len) {
  const uint64_t total = chain.readable_bytes();
  if (!chain.writable().empty() || total < header_len + virtio::kEthHeaderSize || total - header_len > kMaxFrame ||
      !vr.enabled()) {
    // Malformed, runt, oversized, or a started-but-disabled ring: consumed and discarded.
    ++stats_.rx_drops;
    return;
  }
  Frame f{chain, static_cast<uint32_t>(header_len), static_cast<uint32_t>(total - header_len), pair, {}};
  virtio::ChainReader reader(chain.readable());
  reader.skip(header_len);
  reader.read(f.macs.data(), f.macs.size());
  ++stats_.rx_pkts;
  stats_.rx_bytes += f.len;
  forwarder_.forward(*this, f);
}

size_t Port::gather_rx_buffers(Vring& vr, uint64_t need, bool mergeable) {
  virtio::SplitQueue& q = vr.queue();
  uint64_t room = 0;
  size_t n = 0;
  while (room < need) {
    if (n == rx_chains_.size() || (!mergeable && n == 1)) {
      q.unpop(static_cast<uint16_t>(n));  // the frame cannot fit: leave the buffers to the next one
      return 0;
    }
    virtio::DescriptorChain& c = rx_chains_[n];
    const virtio::PopResult r = q.pop(c);
    if (r.status == virtio::PopStatus::kEmpty) {
      q.unpop(static_cast<uint16_t>(n));
      return 0;
    }
    if (r.status == virtio::PopStatus::kBroken) {
      vr.mark_broken(q.broken_reason());
      return 0;
    }
    if (r.status == virtio::PopStatus::kBadChain || !c.readable().empty()) {
      // A bad RX buffer cannot be put back: return it and the ones gathered
      // so far empty, so the guest recycles them, and drop the frame.
      VN_LOG(kDebug, "port %zu: bad RX chain: %s", id_,
             r.status == virtio::PopStatus::kBadChain ? virtio::to_string(r.chain_error) : "device-readable buffer");
      for (size_t i = 0; i <= n; ++i) q.add_used(rx_chains_[i].head(), 0);
      rx_dirty_ = true;
      return 0;
    }
    room += c.writable_bytes();
    ++n;
  }
  return n;
}

void Port::deliver(const Frame& frame, const uint8_t* mac_rewrite) {
  if (!conn_) {
    ++stats_.tx_drops;
    return;
  }
  Device& dev = conn_->device();
  // Same queue pair as the sender when this frontend runs it, else pair 0.
  Vring* target = &dev.vring(2 * (frame.queue_pair % config_.queue_pairs));
  if (!target->active()) target = &dev.vring(0);
  Vring& vr = *target;
  if (!vr.active()) {
    ++stats_.tx_drops;
    return;
  }
  const size_t header_len = virtio::net_header_size(dev.features());
  const bool mergeable = virtio::has(dev.features(), virtio::feature::kNetMrgRxbuf);
  const size_t n = gather_rx_buffers(vr, header_len + frame.len, mergeable);
  if (n == 0 || rx_chains_[0].writable_bytes() < header_len) {
    if (n != 0) vr.queue().unpop(static_cast<uint16_t>(n));
    ++stats_.tx_drops;
    return;
  }
  virtio::NetHeader hdr{};
  hdr.num_buffers = static_cast<uint16_t>(n);
  virtio::ChainReader src(frame.chain.readable());
  src.skip(frame.header_len);
  size_t rewrite_left = mac_rewrite ? frame.macs.size() : 0;
  if (mac_rewrite) src.skip(rewrite_left);
  for (size_t i = 0; i < n; ++i) {
    virtio::ChainWriter dst(rx_chains_[i].writable());
    if (i == 0) dst.write(&hdr, header_len);
    if (rewrite_left) rewrite_left -= dst.write(mac_rewrite + frame.macs.size() - rewrite_left, rewrite_left);
    dst.copy_from(src, src.remaining());
    vr.queue().add_used(rx_chains_[i].head(), static_cast<uint32_t>(rx_chains_[i].writable_bytes() - dst.remaining()));
  }
  ++stats_.tx_pkts;
  stats_.tx_bytes += frame.len;
  rx_dirty_ = true;
}

void Port::flush_rx() {
  if (!rx_dirty_ || !conn_) return;
  rx_dirty_ = false;
  Device& dev = conn_->device();
  for (size_t i = 0; i < dev.vring_count(); i += 2) dev.vring(i).publish_and_notify();
}

std::vector<QueueStats> Port::queue_stats() const {
  std::vector<QueueStats> out = retired_;
  if (conn_)
    for (size_t i = 0; i < out.size(); ++i) out[i] += conn_->device().vring(i).stats();
  return out;
}

PortStats Port::stats() const {
  PortStats s = stats_;
  for (const QueueStats& q : queue_stats()) s.queues += q;
  return s;
}

}  // namespace vhost
