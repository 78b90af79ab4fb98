#include "vhost/app/options.hpp"

#include <getopt.h>

#include <cstdlib>

namespace vhost {

namespace {

enum Opt { kSocketPath = 256, kClient, kMode, kQueues, kStats, kPrintCapabilities };

const option kLongOptions[] = {
    {"socket-path", required_argument, nullptr, kSocketPath},
    {"client", required_argument, nullptr, kClient},
    {"mode", required_argument, nullptr, kMode},
    {"queues", required_argument, nullptr, kQueues},
    {"stats", required_argument, nullptr, kStats},
    {"print-capabilities", no_argument, nullptr, kPrintCapabilities},
    {"verbose", no_argument, nullptr, 'v'},
    {"quiet", no_argument, nullptr, 'q'},
    {"help", no_argument, nullptr, 'h'},
    {nullptr, 0, nullptr, 0},
};

bool parse_number(const char* s, double& out) {
  char* end = nullptr;
  out = std::strtod(s, &end);
  return end != s && *end == '\0';
}

}  // namespace

const char* usage() {
  return "usage: vhost-notify [options]\n"
         "  --socket-path PATH     listen on PATH for a vhost-user frontend (repeatable: one port each)\n"
         "  --client PATH          connect to a frontend's socket at PATH, reconnecting when it goes\n"
         "                         away (repeatable: one port each)\n"
         "  --mode MODE            switch (L2 learning switch, default), loopback (frames back to the\n"
         "                         sender, MACs swapped) or sink (count and drop)\n"
         "  --queues N             queue pairs per port (1..128, default 1)\n"
         "  --stats SECONDS        print per-port rates every SECONDS\n"
         "  --print-capabilities   print the backend's capabilities as JSON and exit\n"
         "  -v, --verbose / -q, --quiet   more / less logging\n"
         "  -h, --help             this text\n"
         "Runs until SIGINT or SIGTERM, then prints one `final port=...` line per port.\n";
}

std::optional<Options> parse_options(int argc, char** argv, std::string& error) {
  Options o;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "vqh", kLongOptions, nullptr)) != -1) {
    double n = 0;
    switch (c) {
      case kSocketPath: o.socket_paths.emplace_back(optarg); break;
      case kClient: o.client_paths.emplace_back(optarg); break;
      case kMode:
        o.mode = optarg;
        if (o.mode != "switch" && o.mode != "loopback" && o.mode != "sink") {
          error = "unknown --mode " + o.mode;
          return std::nullopt;
        }
        break;
      case kQueues:
        if (!parse_number(optarg, n) || n < 1 || n > 128 || n != static_cast<unsigned>(n)) {
          error = "--queues takes a whole number from 1 to 128";
          return std::nullopt;
        }
        o.queues = static_cast<unsigned>(n);
        break;
      case kStats:
        if (!parse_number(optarg, n) || n <= 0) {
          error = "--stats takes a positive number of seconds";
          return std::nullopt;
        }
        o.stats_seconds = n;
        break;
      case kPrintCapabilities: o.print_capabilities = true; break;
      case 'v': ++o.verbosity; break;
      case 'q': --o.verbosity; break;
      case 'h': o.help = true; break;
      default: error = "invalid option"; return std::nullopt;
    }
  }
  if (optind < argc) {
    error = std::string("unexpected argument ") + argv[optind];
    return std::nullopt;
  }
  if (!o.help && !o.print_capabilities && o.socket_paths.empty() && o.client_paths.empty()) {
    error = "no port: give at least one --socket-path or --client";
    return std::nullopt;
  }
  return o;
}

}  // namespace vhost
