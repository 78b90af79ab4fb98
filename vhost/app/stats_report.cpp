#include "vhost/app/stats_report.hpp"

#include <cinttypes>

namespace vhost {

void print_final_stats(std::FILE* out, const std::vector<std::unique_ptr<Port>>& ports) {
  for (const auto& p : ports) {
    const PortStats s = p->stats();
    std::fprintf(out,
                 "final port=%zu path=%s rx_pkts=%" PRIu64 " rx_bytes=%" PRIu64 " tx_pkts=%" PRIu64
                 " tx_bytes=%" PRIu64 " tx_drops=%" PRIu64 " rx_drops=%" PRIu64 " kicks=%" PRIu64
                 " wakeups=%" PRIu64 " calls=%" PRIu64 " calls_suppressed=%" PRIu64 "\n",
                 p->id(), p->path().c_str(), s.rx_pkts, s.rx_bytes, s.tx_pkts, s.tx_bytes, s.tx_drops, s.rx_drops,
                 s.queues.kicks, s.queues.wakeups, s.queues.calls, s.queues.calls_suppressed);
    const std::vector<QueueStats> queues = p->queue_stats();
    for (size_t i = 0; i < queues.size(); ++i)
      std::fprintf(out,
                   "final-queue port=%zu queue=%zu kicks=%" PRIu64 " wakeups=%" PRIu64 " calls=%" PRIu64
                   " calls_suppressed=%" PRIu64 "\n",
                   p->id(), i, queues[i].kicks, queues[i].wakeups, queues[i].calls, queues[i].calls_suppressed);
  }
  std::fflush(out);
}

void RateReporter::report(std::FILE* out, const std::vector<std::unique_ptr<Port>>& ports) {
  const auto now = std::chrono::steady_clock::now();
  const double secs = std::chrono::duration<double>(now - last_time_).count();
  last_time_ = now;
  last_.resize(ports.size());
  for (size_t i = 0; i < ports.size(); ++i) {
    const PortStats s = ports[i]->stats();
    const PortStats& l = last_[i];
    auto rate = [secs](uint64_t now_v, uint64_t then_v) { return secs > 0 ? (now_v - then_v) / secs : 0.0; };
    std::fprintf(out,
                 "stats port=%zu connected=%d rx_pps=%.0f rx_mbps=%.1f tx_pps=%.0f tx_mbps=%.1f drops_ps=%.0f "
                 "kicks_ps=%.0f calls_ps=%.0f\n",
                 ports[i]->id(), ports[i]->connected() ? 1 : 0, rate(s.rx_pkts, l.rx_pkts),
                 rate(s.rx_bytes, l.rx_bytes) * 8 / 1e6, rate(s.tx_pkts, l.tx_pkts),
                 rate(s.tx_bytes, l.tx_bytes) * 8 / 1e6, rate(s.tx_drops + s.rx_drops, l.tx_drops + l.rx_drops),
                 rate(s.queues.kicks, l.queues.kicks), rate(s.queues.calls, l.queues.calls));
    last_[i] = s;
  }
  std::fflush(out);
}

}  // namespace vhost
