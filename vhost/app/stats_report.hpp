// Human- and script-readable counters: periodic rates and the final totals.
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "vhost/net/port.hpp"

namespace vhost {

// One `final port=N path=... rx_pkts=...` line per port, then one
// `final-queue` line per queue.
void print_final_stats(std::FILE* out, const std::vector<std::unique_ptr<Port>>& ports);

// Prints `stats port=N rx_pps=...` lines with rates since the last call.
class RateReporter {
 public:
  void report(std::FILE* out, const std::vector<std::unique_ptr<Port>>& ports);

 private:
  std::vector<PortStats> last_;
  std::chrono::steady_clock::time_point last_time_ = std::chrono::steady_clock::now();
};

}  // namespace vhost
