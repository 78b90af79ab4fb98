// Listening sockets and client-mode connections, run on a real EpollLoop in
// the test thread.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/temp_dir.hpp"
#include "vhost/loop/epoll_loop.hpp"
#include "vhost/transport/client_connector.hpp"
#include "vhost/transport/listener.hpp"

namespace {

using testing_support::TempDir;
using vhost::UniqueFd;

UniqueFd connect_to(const std::string& path) {
  sockaddr_un addr;
  EXPECT_TRUE(vhost::make_unix_address(path, addr));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return UniqueFd();
  return fd;
}

UniqueFd listen_on(const std::string& path) {
  sockaddr_un addr;
  EXPECT_TRUE(vhost::make_unix_address(path, addr));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::listen(fd.get(), 4), 0);
  return fd;
}

// Runs the loop until stop() or `limit`, whichever comes first.
void run_for(vhost::EpollLoop& loop, std::chrono::milliseconds limit) {
  UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  itimerspec its{};
  its.it_value.tv_sec = limit.count() / 1000;
  its.it_value.tv_nsec = (limit.count() % 1000) * 1000000;
  ::timerfd_settime(timer.get(), 0, &its, nullptr);
  vhost::FdWatch w = loop.watch(timer.get(), [&loop] { loop.stop(); });
  loop.run();
}

TEST(Listener, CreatesTheSocketMode0600AndRemovesItOnClose) {
  TempDir dir;
  vhost::EpollLoop loop;
  const std::string path = dir / "a.sock";
  int accepted = 0;
  std::string err;
  {
    auto l = vhost::Listener::open(loop, path, [&](UniqueFd) { ++accepted, loop.stop(); }, err);
    ASSERT_TRUE(l) << err;
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    UniqueFd c = connect_to(path);
    ASSERT_TRUE(c);
    run_for(loop, std::chrono::seconds(5));
    EXPECT_EQ(accepted, 1);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Listener, RefusesToReplaceAFileThatIsNotASocket) {
  TempDir dir;
  vhost::EpollLoop loop;
  const std::string path = dir / "precious";
  std::ofstream(path) << "data";
  std::string err;
  EXPECT_FALSE(vhost::Listener::open(loop, path, [](UniqueFd) {}, err));
  EXPECT_NE(err.find("not a socket"), std::string::npos) << err;
  std::ifstream in(path);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "data");
}

TEST(Listener, RefusesASocketSomeoneIsListeningOnButReplacesAStaleOne) {
  TempDir dir;
  vhost::EpollLoop loop;
  const std::string path = dir / "b.sock";
  std::string err;
  {
    UniqueFd live = listen_on(path);
    EXPECT_FALSE(vhost::Listener::open(loop, path, [](UniqueFd) {}, err));
    EXPECT_NE(err.find("in use"), std::string::npos) << err;
  }
  // The listener above closed without unlinking: a stale socket file.
  ASSERT_TRUE(std::filesystem::exists(path));
  auto l = vhost::Listener::open(loop, path, [](UniqueFd) {}, err);
  EXPECT_TRUE(l) << err;
}

TEST(Listener, RefusesAPathTooLongForSockaddrUn) {
  vhost::EpollLoop loop;
  std::string err;
  EXPECT_FALSE(vhost::Listener::open(loop, "/tmp/" + std::string(200, 'x'), [](UniqueFd) {}, err));
  EXPECT_NE(err.find("too long"), std::string::npos) << err;
}

TEST(ClientConnector, WaitsForTheFrontendThenReconnectsAfterItLeaves) {
  TempDir dir;
  vhost::EpollLoop loop;
  const std::string path = dir / "server.sock";
  int connections = 0;
  vhost::ClientConnector connector(loop, path, [&](UniqueFd) {
    ++connections;
    loop.stop();
  });
  connector.connect_now();  // nobody listens yet: retries with backoff
  EXPECT_EQ(connections, 0);
  run_for(loop, std::chrono::milliseconds(200));
  EXPECT_EQ(connections, 0);

  UniqueFd server = listen_on(path);
  run_for(loop, std::chrono::seconds(5));
  EXPECT_EQ(connections, 1);

  // The frontend went away and came back: a later attempt succeeds again.
  server.reset();
  std::filesystem::remove(path);
  server = listen_on(path);
  connector.reconnect_later();
  run_for(loop, std::chrono::seconds(5));
  EXPECT_EQ(connections, 2);
}

}  // namespace
