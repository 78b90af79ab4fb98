#include "tests/support/test_backend.hpp"

#include <sys/eventfd.h>
#include <sys/socket.h>

#include <future>
#include <stdexcept>
#include <string>

namespace testing_support {

TestBackend::TestBackend(std::string_view mode, size_t ports, uint16_t queue_pairs)
    : forwarder_(vhost::make_forwarder(mode)), wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!forwarder_) throw std::invalid_argument("unknown forwarder mode " + std::string(mode));
  if (!wake_fd_) throw std::runtime_error("eventfd failed");
  for (size_t i = 0; i < ports; ++i) {
    vhost::DeviceConfig cfg;
    cfg.queue_pairs = queue_pairs;
    cfg.mac = {0x02, 0x76, 0x6e, 0x00, 0x00, static_cast<uint8_t>(i + 1)};
    configs_.push_back(cfg);
    ports_.push_back(std::make_unique<vhost::Port>(i, "test-port-" + std::to_string(i), loop_, *forwarder_, cfg));
    forwarder_->add_port(*ports_.back());
  }
  wake_watch_ = loop_.watch(wake_fd_.get(), [this] { on_wake(); });
  // Everything above happens before the thread starts; from here on the
  // loop's state belongs to the loop thread.
  thread_ = std::thread([this] { loop_.run(); });
}

TestBackend::~TestBackend() {
  stop();
  // Ports (and the connections they still hold) go before the loop they watch fds in.
  ports_.clear();
  wake_watch_.reset();
}

void TestBackend::on_wake() {
  eventfd_t n;
  (void)::eventfd_read(wake_fd_.get(), &n);
  std::vector<std::function<void()>> tasks;
  bool stop;
  {
    std::lock_guard lock(mu_);
    tasks.swap(tasks_);
    stop = stop_requested_;
  }
  for (auto& t : tasks) t();
  if (stop) loop_.stop();
}

void TestBackend::run_in_loop(const std::function<void()>& fn) {
  if (!thread_.joinable()) {
    fn();
    return;
  }
  std::promise<void> done;
  auto finished = done.get_future();
  {
    std::lock_guard lock(mu_);
    tasks_.push_back([&fn, &done] {
      fn();
      done.set_value();
    });
  }
  (void)::eventfd_write(wake_fd_.get(), 1);
  finished.wait();
}

void TestBackend::settle() {
  if (!thread_.joinable()) return;
  std::promise<void> done;
  auto finished = done.get_future();
  // A connection that closed is destroyed by a task it posts; tasks posted
  // now run after it, and a task posted from one of them runs on the next
  // loop turn, after the previous batch (and what it captured) is gone.
  run_in_loop([this, &done] { loop_.post([this, &done] { loop_.post([&done] { done.set_value(); }); }); });
  finished.wait();
}

vhost::PortStats TestBackend::stats(size_t port) {
  vhost::PortStats s;
  run_in_loop([&] { s = ports_.at(port)->stats(); });
  return s;
}

std::vector<vhost::QueueStats> TestBackend::queue_stats(size_t port) {
  std::vector<vhost::QueueStats> q;
  run_in_loop([&] { q = ports_.at(port)->queue_stats(); });
  return q;
}

bool TestBackend::connected(size_t port) {
  bool c = false;
  run_in_loop([&] { c = ports_.at(port)->connected(); });
  return c;
}

uint64_t TestBackend::loop_wakeups() {
  uint64_t w = 0;
  run_in_loop([&] { w = loop_.wakeups(); });
  return w;
}

bool TestBackend::wait_detached(size_t port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (connected(port)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  settle();
  return true;
}

vhost::UniqueFd TestBackend::connect(size_t port) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw std::runtime_error("socketpair failed");
  vhost::UniqueFd frontend(sv[0]);
  vhost::UniqueFd backend(sv[1]);
  run_in_loop([&] { ports_.at(port)->attach(std::move(backend)); });
  return frontend;
}

void TestBackend::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
  }
  (void)::eventfd_write(wake_fd_.get(), 1);
  thread_.join();
}

}  // namespace testing_support
