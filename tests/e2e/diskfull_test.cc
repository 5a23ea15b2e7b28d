// A full disk under the database: the daemon pauses article fetching with a clear log line
// before RocksDB runs out of space (storage.min_free_space), keeps running, loses nothing,
// and stores and alerts what it could not once space returns. Needs root (a small tmpfs is
// mounted for the database); skips otherwise.
#include <signal.h>

#include <atomic>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "tests/support/sandbox.h"

namespace newswatch {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::run_command;
using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;
using testing::wait_until;

constexpr int kStories = 30;

class DiskFull : public testing::SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    m_volume = sandbox() / "volume";
    std::filesystem::create_directories(m_volume);
    const auto mounted = run_command(
        {"/bin/mount", "-t", "tmpfs", "-o", "size=48m", "newswatch-test", m_volume.string()});
    if (mounted.exit_code != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs (needs root): " << mounted.err;
    }
    m_mounted = true;
    m_site = std::make_unique<TestHttpServer>([this](const TestRequest& r) { return site(r); });
    m_hook = std::make_unique<TestHttpServer>([](const TestRequest&) {
      return TestResponse{200, {}, "ok"};
    });
  }

  void TearDown() override {
    if (m_mounted) run_command({"/bin/umount", "-l", m_volume.string()});
    SandboxTest::TearDown();
  }

  TestResponse site(const TestRequest& r) {
    if (r.target == "/feed.xml") {
      std::string items;
      for (int n = 0; n < m_published; ++n) {
        items += "<item><title>Nordkorea Meldung " + std::to_string(n) + "</title><link>" +
                 "http://" + r.header("host") + "/a/" + std::to_string(n) + ".html" +
                 "</link></item>";
      }
      return {200,
              {{"Content-Type", "application/rss+xml"}},
              "<rss version=\"2.0\"><channel><title>T</title>" + items + "</channel></rss>"};
    }
    if (r.target.rfind("/a/", 0) == 0) {
      const std::string n = r.target.substr(3, r.target.size() - 8);
      // Distinct words per story (no near-duplicates of each other), 20 KB of them.
      std::mt19937 rng(static_cast<unsigned>(std::stoi(n)) + 1);
      std::string body = "<p>Nordkorea";
      const int words = 3000;
      for (int i = 0; i < words; ++i) {
        body += ' ';
        for (int k = 0; k < 6; ++k) body += static_cast<char>('a' + rng() % 26);
        if (i % 50 == 49) body += ".</p><p>";
      }
      body += ".</p>";
      return {200,
              {{"Content-Type", "text/html; charset=utf-8"}},
              "<html lang=\"de\"><head><title>Meldung " + n +
                  "</title></head><body><article><h1>Meldung " + n + "</h1>" + body +
                  "</article></body></html>"};
    }
    return {404, {{"Content-Type", "text/plain"}}, "not found"};
  }

  std::size_t alerts() const { return m_hook->request_count(); }

  std::filesystem::path m_volume;
  bool m_mounted = false;
  std::atomic<int> m_published{2};
  std::unique_ptr<TestHttpServer> m_site;
  std::unique_ptr<TestHttpServer> m_hook;
};

TEST_F(DiskFull, WritesFailClearlyAndResumeWhenSpaceReturns) {
  const auto config = write_file(
      "newswatch.toml", "[storage]\npath = \"" + (m_volume / "db").string() +
                            "\"\n"
                            "min_free_space = \"8MiB\"\n"
                            "[fetch]\nallow_private_networks = true\nhost_delay = \"50ms\"\n"
                            "robots = false\n[metrics]\nlisten = \"\"\n"
                            "[[sources]]\nname = \"news\"\nurl = \"" +
                            m_site->url("/feed.xml") +
                            "\"\nkind = \"feed\"\ninterval = \"1s\"\n"
                            "[[channels]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
                            m_hook->url("/alerts") +
                            "\"\n[[topics]]\nname = \"korea\"\nquery = \"Nordkorea\"\n"
                            "channels = [\"hook\"]\n");
  const auto log_path = sandbox() / "daemon.log";
  const auto log = [&] { return testing::read_file(log_path); };
  ChildProcess daemon({NEWSWATCH_BINARY, "run", "--config", config.string()}, log_path.string());
  ASSERT_TRUE(wait_until([&] { return alerts() >= 2; }, 30s)) << log();

  // Fill the volume to the last byte.
  {
    std::ofstream filler(m_volume / "filler", std::ios::binary);
    const std::string mib(1 << 20, 'x');
    while (filler.write(mib.data(), static_cast<std::streamsize>(mib.size())) && filler.flush()) {
    }
  }
  {
    std::ofstream small(m_volume / "filler2", std::ios::binary);
    const std::string kib(1024, 'x');
    while (small.write(kib.data(), static_cast<std::streamsize>(kib.size())) && small.flush()) {
    }
  }
  m_published = kStories;
  ASSERT_TRUE(wait_until([&] { return log().find("store.disk_full") != std::string::npos; }, 30s))
      << log();
  std::this_thread::sleep_for(3s);
  ASSERT_TRUE(daemon.running()) << log();
  const std::size_t during = alerts();

  std::filesystem::remove(m_volume / "filler");
  std::filesystem::remove(m_volume / "filler2");
  EXPECT_LT(during, static_cast<std::size_t>(kStories));
  EXPECT_TRUE(wait_until([&] { return alerts() >= kStories; }, 60s))
      << during << " alerts while full, " << alerts() << " after\n"
      << log();
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(20s), 0) << log();
  std::printf("[ disk full ] %zu of %d alerts before space returned, %zu after\n", during, kStories,
              alerts());
  EXPECT_NE(log().find("store.disk_ok"), std::string::npos) << log();
  EXPECT_EQ(log().find("No space left"), std::string::npos) << log();
  const auto listed =
      run_command({NEWSWATCH_BINARY, "list", "--config", config.string(), "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), kStories) << listed.out;
}

}  // namespace
}  // namespace newswatch
