// Poll state across restarts: the daemon writes it in batches from its CPU pool (daemon.cc
// mark_dirty), so even a SIGKILL a second after a poll must not lose the schedule or the
// validators.
#include <signal.h>

#include <gtest/gtest.h>

#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "tests/support/sandbox.h"

namespace newswatch {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;
using testing::wait_until;

class PollStateE2E : public testing::SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    m_site = std::make_unique<TestHttpServer>([](const TestRequest& r) {
      if (r.target != "/slow.xml" && r.target != "/fast.xml") return TestResponse{404, {}, ""};
      const std::string etag = "\"v1" + r.target + "\"";
      if (r.header("if-none-match") == etag) return TestResponse{304, {{"ETag", etag}}, ""};
      return TestResponse{200,
                          {{"Content-Type", "application/rss+xml"}, {"ETag", etag}},
                          "<rss version=\"2.0\"><channel><title>T</title><item><title>One</title>"
                          "<guid>one</guid></item></channel></rss>"};
    });
    m_config =
        write_file("newswatch.toml",
                   "[storage]\npath = \"db\"\n[fetch]\nrobots = false\n"
                   "[[sources]]\nname = \"slow\"\nurl = \"" +
                       m_site->url("/slow.xml") +
                       "\"\ninterval = \"1h\"\n"
                       "[[sources]]\nname = \"fast\"\nurl = \"" +
                       m_site->url("/fast.xml") +
                       "\"\ninterval = \"2s\"\nmin_interval = \"1s\"\nmax_interval = \"2s\"\n")
            .string();
  }

  std::unique_ptr<ChildProcess> start_daemon() {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{NEWSWATCH_BINARY, "run", "--config", m_config},
        (sandbox() / "daemon.log").string());
  }

  std::vector<TestRequest> polls_of(const std::string& target) const {
    std::vector<TestRequest> out;
    for (const auto& r : m_site->requests()) {
      if (r.target == target) out.push_back(r);
    }
    return out;
  }

  std::string log() const { return testing::read_file(sandbox() / "daemon.log"); }

  std::unique_ptr<TestHttpServer> m_site;
  std::string m_config;
};

TEST_F(PollStateE2E, ASigkilledDaemonResumesTheScheduleAndTheValidators) {
  {
    auto daemon = start_daemon();
    ASSERT_TRUE(wait_until(
        [&] { return polls_of("/slow.xml").size() == 1 && polls_of("/fast.xml").size() >= 1; },
        20s))
        << log();
    std::this_thread::sleep_for(1s);  // longer than a state batch takes to be written
    daemon->signal(SIGKILL);
    EXPECT_EQ(daemon->wait(10s), 128 + SIGKILL);
  }
  const std::size_t fast_before = polls_of("/fast.xml").size();
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return polls_of("/fast.xml").size() > fast_before; }, 20s)) << log();
  // The first poll after the restart is conditional: the validators were persisted.
  const TestRequest first = polls_of("/fast.xml")[fast_before];
  EXPECT_EQ(first.header("if-none-match"), "\"v1/fast.xml\"");
  // A source not due for an hour is not polled again (a lost state would be overdue and polled
  // within the 2 s start-up spread).
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(polls_of("/slow.xml").size(), 1u) << log();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0) << log();
}

}  // namespace
}  // namespace newswatch
