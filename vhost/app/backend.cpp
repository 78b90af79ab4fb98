#include "vhost/app/backend.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cmath>
#include <stdexcept>

#include "vhost/sys/log.hpp"

namespace vhost {

Backend::Backend(const Options& options) : options_(options), forwarder_(make_forwarder(options.mode)) {
  if (!forwarder_) throw std::invalid_argument("unknown mode " + options.mode);
}

Backend::~Backend() {
  // Ports first: their connections unwatch fds from the loop as they close.
  connectors_.clear();
  listeners_.clear();
  ports_.clear();
  watches_.clear();
}

Port& Backend::add_port(const std::string& path) {
  DeviceConfig cfg;
  cfg.queue_pairs = static_cast<uint16_t>(options_.queues);
  // Locally administered MAC, distinct per port; only GET_CONFIG shows it.
  cfg.mac = {0x02, 0x76, 0x6e, 0x00, 0x00, static_cast<uint8_t>(ports_.size() + 1)};
  ports_.push_back(std::make_unique<Port>(ports_.size(), path, loop_, *forwarder_, cfg));
  forwarder_->add_port(*ports_.back());
  return *ports_.back();
}

bool Backend::start(std::string& error) {
  // A frontend that closes its end while we write must not kill the backend.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal_fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  watches_.push_back(loop_.watch(signal_fd_.get(), [this] {
    signalfd_siginfo si;
    if (::read(signal_fd_.get(), &si, sizeof si) == sizeof si) {
      VN_LOG(kInfo, "signal %u: shutting down", si.ssi_signo);
      loop_.stop();
    }
  }));

  for (const std::string& path : options_.socket_paths) {
    Port& port = add_port(path);
    auto l = Listener::open(loop_, path, [&port](UniqueFd s) { port.attach(std::move(s)); }, error);
    if (!l) return false;
    listeners_.push_back(std::move(l));
  }
  for (const std::string& path : options_.client_paths) {
    Port& port = add_port(path);
    connectors_.push_back(
        std::make_unique<ClientConnector>(loop_, path, [&port](UniqueFd s) { port.attach(std::move(s)); }));
    ClientConnector& c = *connectors_.back();
    port.on_detached = [&c] { c.reconnect_later(); };
    c.connect_now();
  }

  if (options_.stats_seconds > 0) {
    stats_timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    itimerspec its{};
    its.it_interval.tv_sec = static_cast<time_t>(options_.stats_seconds);
    its.it_interval.tv_nsec = static_cast<long>(std::fmod(options_.stats_seconds, 1.0) * 1e9);
    its.it_value = its.it_interval;
    ::timerfd_settime(stats_timer_.get(), 0, &its, nullptr);
    watches_.push_back(loop_.watch(stats_timer_.get(), [this] {
      uint64_t expirations;
      if (::read(stats_timer_.get(), &expirations, sizeof expirations) > 0) rates_.report(stdout, ports_);
    }));
  }
  return true;
}

void Backend::run() {
  loop_.run();
  print_final_stats(stdout, ports_);
}

}  // namespace vhost
