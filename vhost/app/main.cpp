// vhost-notify: a vhost-user virtio-net backend.
#include <algorithm>
#include <cstdio>

#include "vhost/app/backend.hpp"
#include "vhost/sys/log.hpp"

int main(int argc, char** argv) {
  std::string error;
  const auto options = vhost::parse_options(argc, argv, error);
  if (!options) {
    std::fprintf(stderr, "vhost-notify: %s\n%s", error.c_str(), vhost::usage());
    return 2;
  }
  if (options->help) {
    std::fputs(vhost::usage(), stdout);
    return 0;
  }
  if (options->print_capabilities) {
    // The vhost-user.json backend-program convention libvirt reads.
    std::puts("{\n  \"type\": \"net\"\n}");
    return 0;
  }
  vhost::set_log_level(static_cast<vhost::LogLevel>(std::clamp(options->verbosity, 0, 3)));
  vhost::Backend backend(*options);
  if (!backend.start(error)) {
    std::fprintf(stderr, "vhost-notify: %s\n", error.c_str());
    return 1;
  }
  backend.run();
  return 0;
}
