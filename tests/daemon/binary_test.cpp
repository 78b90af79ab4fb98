// The vhost-notify binary as users and libvirt run it: exit codes, the
// capabilities JSON, refusing a path it must not replace, and the final
// counters after SIGTERM. The binary's path comes from $VHOST_NOTIFY.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace {

using testing_support::TempDir;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class Daemon {
 public:
  explicit Daemon(std::vector<std::string> args) {
    const char* bin = std::getenv("VHOST_NOTIFY");
    if (bin == nullptr) throw std::runtime_error("VHOST_NOTIFY is not set");
    args.insert(args.begin(), bin);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(::open((out_ / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
      ::dup2(::open((out_ / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~Daemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  void signal(int sig) { ::kill(pid_, sig); }

  Result wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(out_ / "out"),
            slurp(out_ / "err")};
  }

 private:
  TempDir out_;  // the daemon's stdout and stderr
  pid_t pid_ = -1;
};

bool wait_for_socket(const std::string& path) {
  for (int i = 0; i < 500; ++i) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(Binary, PrintsCapabilitiesAsJson) {
  Result r = Daemon({"--print-capabilities"}).wait();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("\"type\": \"net\""), std::string::npos) << r.out;
}

TEST(Binary, HelpExitsZeroAndBadUsageExitsTwo) {
  Result help = Daemon({"--help"}).wait();
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--socket-path"), std::string::npos);
  Result bad = Daemon({"--mode", "sink"}).wait();
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("no port"), std::string::npos) << bad.err;
}

TEST(Binary, RefusesToReplaceARegularFile) {
  TempDir dir;
  const std::string path = dir / "not-a-socket";
  std::ofstream(path) << "keep me";
  Result r = Daemon({"--socket-path", path}).wait();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a socket"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(path), "keep me");
}

TEST(Binary, ServesUntilSigtermThenPrintsFinalCountersAndRemovesItsSockets) {
  TempDir dir;
  const std::string a = dir / "a.sock", b = dir / "b.sock";
  Daemon d({"--socket-path", a, "--socket-path", b, "--mode", "switch", "--queues", "2"});
  ASSERT_TRUE(wait_for_socket(a));
  ASSERT_TRUE(wait_for_socket(b));
  struct stat st {};
  ASSERT_EQ(::lstat(a.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  d.signal(SIGTERM);
  Result r = d.wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("final port=0 path=" + a + " rx_pkts=0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("final port=1 path=" + b + " rx_pkts=0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("final-queue port=1 queue=3 "), std::string::npos) << "two pairs: queues 0..3\n" << r.out;
  EXPECT_FALSE(std::filesystem::exists(a));
  EXPECT_FALSE(std::filesystem::exists(b));
}

}  // namespace
