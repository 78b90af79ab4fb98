// The daemon's command line: what parses, what is refused and why.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "vhost/app/options.hpp"

namespace {

std::optional<vhost::Options> parse(std::initializer_list<const char*> args, std::string& error) {
  std::vector<std::string> storage{"vhost-notify"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  return vhost::parse_options(static_cast<int>(storage.size()), argv.data(), error);
}

TEST(Options, RepeatedPortsInCommandLineOrder) {
  std::string err;
  auto o = parse({"--socket-path", "/tmp/a", "--socket-path=/tmp/b", "--client", "/tmp/c", "--mode", "loopback",
                  "--queues", "4", "--stats", "0.5"},
                 err);
  ASSERT_TRUE(o) << err;
  EXPECT_EQ(o->socket_paths, (std::vector<std::string>{"/tmp/a", "/tmp/b"}));
  EXPECT_EQ(o->client_paths, (std::vector<std::string>{"/tmp/c"}));
  EXPECT_EQ(o->mode, "loopback");
  EXPECT_EQ(o->queues, 4u);
  EXPECT_DOUBLE_EQ(o->stats_seconds, 0.5);
}

TEST(Options, DefaultsToOneQueuePairSwitchAndNoStats) {
  std::string err;
  auto o = parse({"--socket-path", "/tmp/a"}, err);
  ASSERT_TRUE(o) << err;
  EXPECT_EQ(o->mode, "switch");
  EXPECT_EQ(o->queues, 1u);
  EXPECT_EQ(o->stats_seconds, 0);
}

TEST(Options, RefusesBadValues) {
  struct Case {
    std::initializer_list<const char*> args;
    const char* expect;
  };
  const Case cases[] = {
      {{"--socket-path", "/tmp/a", "--mode", "hub"}, "unknown --mode"},
      {{"--socket-path", "/tmp/a", "--queues", "0"}, "--queues"},
      {{"--socket-path", "/tmp/a", "--queues", "129"}, "--queues"},
      {{"--socket-path", "/tmp/a", "--queues", "1.5"}, "--queues"},
      {{"--socket-path", "/tmp/a", "--stats", "-1"}, "--stats"},
      {{"--socket-path", "/tmp/a", "--stats", "soon"}, "--stats"},
      {{"--socket-path", "/tmp/a", "stray"}, "unexpected argument"},
      {{"--mode", "sink"}, "no port"},
      {{"--socket-path", "/tmp/a", "--bogus"}, "invalid option"},
  };
  for (const Case& c : cases) {
    std::string err;
    EXPECT_FALSE(parse(c.args, err));
    EXPECT_NE(err.find(c.expect), std::string::npos) << "error was: " << err;
  }
}

TEST(Options, HelpAndCapabilitiesNeedNoPort) {
  std::string err;
  auto help = parse({"--help"}, err);
  ASSERT_TRUE(help) << err;
  EXPECT_TRUE(help->help);
  auto caps = parse({"--print-capabilities"}, err);
  ASSERT_TRUE(caps) << err;
  EXPECT_TRUE(caps->print_capabilities);
}

}  // namespace
