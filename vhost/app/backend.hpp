// The daemon assembled: one event loop, the forwarder, the ports with their
// listening sockets or client connectors, signals and the stats timer.
#pragma once

#include <memory>
#include <vector>

#include "vhost/app/options.hpp"
#include "vhost/app/stats_report.hpp"
#include "vhost/loop/epoll_loop.hpp"
#include "vhost/net/forwarder.hpp"
#include "vhost/net/port.hpp"
#include "vhost/transport/client_connector.hpp"
#include "vhost/transport/listener.hpp"

namespace vhost {

class Backend {
 public:
  explicit Backend(const Options& options);
  ~Backend();

  // Opens every socket; false (with `error`) if one cannot be opened.
  bool start(std::string& error);
  // Serves until SIGINT/SIGTERM, then prints the final stats.
  void run();

 private:
  Port& add_port(const std::string& path);

  Options options_;
  // Declared first so it is destroyed last: everything below watches fds in it.
  EpollLoop loop_;
  std::unique_ptr<Forwarder> forwarder_;
  std::vector<std::unique_ptr<Port>> ports_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<ClientConnector>> connectors_;
  UniqueFd signal_fd_;
  UniqueFd stats_timer_;
  std::vector<FdWatch> watches_;
  RateReporter rates_;
};

}  // namespace vhost
