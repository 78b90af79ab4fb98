// Command line of the vhost-notify daemon.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vhost {

struct Options {
  std::vector<std::string> socket_paths;  // server mode, one port each
  std::vector<std::string> client_paths;  // client mode, one port each
  std::string mode = "switch";
  unsigned queues = 1;                    // queue pairs per port
  double stats_seconds = 0;               // 0: no periodic stats
  bool print_capabilities = false;
  bool help = false;
  int verbosity = 2;                      // LogLevel; -v raises, -q lowers
};

// nullopt with `error` set when the command line is invalid.
std::optional<Options> parse_options(int argc, char** argv, std::string& error);
const char* usage();

}  // namespace vhost
