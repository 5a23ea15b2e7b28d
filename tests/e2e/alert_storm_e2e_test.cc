// No alert storms, end to end: the real daemon with a topic rate limit, a digest, copies from a
// second source and a dead-lettered alert requeued by `newswatch alerts --retry`, against a news
// site and a webhook receiver on 127.0.0.1.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "tests/support/sandbox.h"
#include "tests/support/smtp_sink.h"

namespace newswatch {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::run_command;
using testing::StaticSite;
using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;
using testing::wait_until;

const char* kTexts[] = {
    "Nordkorea hat erneut eine ballistische Rakete getestet, die ins Japanische Meer stürzte.",
    "Die Regierung in Nordkorea kündigte neue Manöver an der Grenze zum Süden an.",
    "Ein Gipfel zwischen Nordkorea und China soll im Frühjahr in Peking stattfinden.",
    "Hilfsorganisationen berichten von einer schlechten Ernte in Nordkorea nach Dürre.",
};

class AlertStormE2E : public testing::SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    m_site = std::make_unique<TestHttpServer>(std::ref(m_pages));
    m_hook = std::make_unique<TestHttpServer>([this](const TestRequest&) {
      return TestResponse{m_hook_status.load(), {}, "ok"};
    });
  }

  // A feed at /NAME.xml listing `count` stories (texts from kTexts) at /NAME/N.html.
  void add_feed(const std::string& name, int count, const std::string& page_prefix = "") {
    std::string items;
    for (int i = 0; i < count; ++i) {
      const std::string path =
          "/" + (page_prefix.empty() ? name : page_prefix) + "/" + std::to_string(i) + ".html";
      items += "<item><title>Meldung " + std::to_string(i) + "</title><link>" + m_site->url(path) +
               "</link></item>";
      m_pages.add(path,
                  "<html><head><title>Meldung " + std::to_string(i) +
                      "</title></head><body><article><h1>Meldung " + std::to_string(i) +
                      "</h1><p>" + kTexts[i] + "</p></article></body></html>",
                  "text/html; charset=utf-8");
    }
    m_pages.add(
        "/" + name + ".xml",
        "<rss version=\"2.0\"><channel><title>" + name + "</title>" + items + "</channel></rss>",
        "application/rss+xml");
  }

  std::string write_config(const std::string& sources, const std::string& topic_extra) {
    m_config =
        write_file("newswatch.toml",
                   "[storage]\npath = \"db\"\n"
                   "[fetch]\nallow_private_networks = true\nhost_delay = \"0s\"\n"
                   "robots = false\n"
                   "[metrics]\nlisten = \"\"\n" +
                       sources + "[[channels]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
                       m_hook->url("/alerts") +
                       "\"\n"
                       "[[topics]]\nname = \"korea\"\nquery = \"Nordkorea\"\n"
                       "channels = [\"hook\"]\n" +
                       topic_extra)
            .string();
    return m_config;
  }

  std::string source(const std::string& name) const {
    return "[[sources]]\nname = \"" + name + "\"\nurl = \"" + m_site->url("/" + name + ".xml") +
           "\"\nkind = \"feed\"\ninterval = \"1s\"\n";
  }

  std::unique_ptr<ChildProcess> start_daemon() {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{NEWSWATCH_BINARY, "run", "--config", m_config},
        (sandbox() / "daemon.log").string());
  }

  std::string log() const { return testing::read_file(sandbox() / "daemon.log"); }

  // Every delivered webhook body, parsed.
  std::vector<nlohmann::json> received() const {
    std::vector<nlohmann::json> out;
    for (const auto& r : m_hook->requests()) out.push_back(nlohmann::json::parse(r.body));
    return out;
  }

  // Stories carried by the accepted messages (the receiver answered 2xx), by article id.
  std::multiset<std::string> stories_delivered() const {
    std::multiset<std::string> ids;
    for (const auto& j : received()) {
      if (j.contains("articles")) {
        for (const auto& a : j["articles"]) ids.insert(a["id"].get<std::string>());
      } else {
        ids.insert(j["article"]["id"].get<std::string>());
      }
    }
    return ids;
  }

  // `newswatch alerts --json FILTER`; empty while the daemon has not created the database yet.
  std::vector<nlohmann::json> cli_alerts(const std::string& filter) const {
    const auto r =
        run_command({NEWSWATCH_BINARY, "alerts", "--config", m_config, "--json", filter});
    if (r.exit_code != 0) return {};
    std::vector<nlohmann::json> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    }
    return out;
  }

  StaticSite m_pages;
  std::unique_ptr<TestHttpServer> m_site;
  std::unique_ptr<TestHttpServer> m_hook;
  std::atomic<int> m_hook_status{200};
  std::string m_config;
};

TEST_F(AlertStormE2E, RateLimitHoldsAcrossRestartThenFoldsTheRest) {
  add_feed("news", 1);
  write_config(source("news"), "max_alerts = 1\nrate_window = \"1h\"\n");
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return received().size() == 1; }, 30s)) << log();
  // Three more stories: the window's one message is used, so they wait in the outbox.
  add_feed("news", 4);
  ASSERT_TRUE(wait_until([&] { return cli_alerts("--pending").size() == 3; }, 30s)) << log();
  const std::size_t held = 3;
  EXPECT_TRUE(wait_until(
      [&] {
        return log().find("alert.held topic=korea channel=hook reason=rate_limit alerts=3") !=
               std::string::npos;
      },
      10s))
      << log();
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), 0) << log();

  // The window's send is remembered: after a restart nothing more goes out.
  daemon = start_daemon();
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(received().size(), 1u) << log();
  EXPECT_EQ(cli_alerts("--pending").size(), held);

  // A shorter window (SIGHUP) frees a slot: the held stories leave as one folded message.
  write_config(source("news"), "max_alerts = 1\nrate_window = \"1s\"\n");
  daemon->signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return stories_delivered().size() == 4; }, 20s)) << log();
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), 0) << log();
  const auto messages = received();
  const auto& last = messages.back();
  EXPECT_EQ(last["kind"], "folded") << last.dump();
  EXPECT_EQ(last["more"], held - 1) << last.dump();
  EXPECT_EQ(last["articles"].size(), held) << last.dump();
  EXPECT_EQ(messages.size(), 2u);
  const auto ids = stories_delivered();
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 4u) << "each story once";
  EXPECT_TRUE(cli_alerts("--pending").empty());
}

TEST_F(AlertStormE2E, DigestSendsEveryStoryOnceInOneMessagePerPeriod) {
  add_feed("news", 3);
  write_config(source("news"), "digest = \"3s\"\n");
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return stories_delivered().size() >= 3; }, 30s)) << log();
  std::this_thread::sleep_for(4s);  // a later period must not repeat a story
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), 0) << log();
  const auto ids = stories_delivered();
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 3u);
  for (const auto& j : received()) {
    EXPECT_EQ(j["kind"], "digest") << j.dump();
    EXPECT_EQ(j["count"], j["articles"].size());
    EXPECT_EQ(j["idempotency_key"].get<std::string>()[0], 'd');
  }
  EXPECT_LE(received().size(), 2u) << "stories of one period share a message";
  for (const auto& a : cli_alerts("--delivered")) {
    EXPECT_FALSE(a["bundle"].get<std::string>().empty()) << a.dump();
  }
}

TEST_F(AlertStormE2E, ACopyFromAnotherSourceIsNotedOnThePendingAlert) {
  add_feed("first", 1);
  add_feed("second", 1);  // the same text at another URL
  write_config(source("first") + source("second"), "digest = \"1d\"\n");
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until(
      [&] {
        const auto pending = cli_alerts("--pending");
        return pending.size() == 1 && !pending[0]["also_reported_by"].empty();
      },
      30s))
      << log();
  EXPECT_NE(log().find("alert.also_reported"), std::string::npos) << log();
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), 0) << log();
  const auto pending = cli_alerts("--pending");
  ASSERT_EQ(pending.size(), 1u);
  const std::string also = pending[0]["also_reported_by"][0];
  EXPECT_TRUE(also == "first" || also == "second") << also;
  const auto shown = run_command(
      {NEWSWATCH_BINARY, "show", "--config", m_config, pending[0]["article"].get<std::string>()});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("also reported by " + also), std::string::npos) << shown.out;
  // The source that came second is not the original's.
  EXPECT_EQ(shown.out.find("source:    " + also), std::string::npos) << shown.out;
}

TEST_F(AlertStormE2E, DeadAlertsAreRequeuedDirectlyOrThroughTheRunningDaemon) {
  add_feed("news", 2);
  write_config(source("news"), "");
  m_hook_status = 400;  // permanent: dead-lettered at once
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return cli_alerts("--dead").size() == 2; }, 30s)) << log();
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), 0) << log();
  const std::string key = cli_alerts("--dead")[0]["idempotency_key"];

  // Daemon stopped: the database is changed at once.
  const auto none = run_command(
      {NEWSWATCH_BINARY, "alerts", "--config", m_config, "--retry", "0000000000000000"});
  EXPECT_EQ(none.exit_code, 1) << none.out;
  const auto direct =
      run_command({NEWSWATCH_BINARY, "alerts", "--config", m_config, "--retry", key});
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_NE(direct.out.find("requeued 1 dead alert"), std::string::npos) << direct.out;
  const auto pending = cli_alerts("--pending");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0]["idempotency_key"], key);
  EXPECT_EQ(pending[0]["attempts"], 0);

  m_hook_status = 200;
  daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return cli_alerts("--delivered").size() == 1; }, 20s)) << log();
  // Daemon running: the request is handed over.
  const auto all = run_command({NEWSWATCH_BINARY, "alerts", "--config", m_config, "--all-dead"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("requested"), std::string::npos) << all.out;
  ASSERT_TRUE(wait_until([&] { return cli_alerts("--delivered").size() == 2; }, 20s)) << log();
  EXPECT_NE(log().find("alert.requeued alerts=1 request=all-dead"), std::string::npos) << log();
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), 0) << log();
  EXPECT_EQ(m_hook->requests().size(), 4u);  // two refused attempts, two requeued deliveries
  EXPECT_TRUE(cli_alerts("--dead").empty());
}

TEST_F(AlertStormE2E, QuietHoursHoldDeliveriesUntilTheyEnd) {
  add_feed("news", 2);
  // A window around the current UTC time, so the channel is quiet now.
  const auto now = std::chrono::system_clock::now();
  const auto minute_of_day =
      std::chrono::duration_cast<std::chrono::minutes>(now.time_since_epoch()).count() % 1440;
  const auto hhmm = [](long m) {
    m = ((m % 1440) + 1440) % 1440;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", m / 60, m % 60);
    return std::string(buf);
  };
  const std::string quiet = hhmm(minute_of_day - 60) + "-" + hhmm(minute_of_day + 60);
  const auto config_with = [&](const std::string& channel_extra) {
    write_config(source("news"), "");
    // The channel table is the last-but-one; append its keys by rewriting the file.
    std::string text = testing::read_file(m_config);
    const auto at = text.find("[[topics]]");
    text.insert(at, channel_extra);
    write_file("newswatch.toml", text);
  };
  config_with("quiet_hours = \"" + quiet + "\"\ntimezone = \"UTC\"\n");
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until(
      [&] {
        return log().find("alert.held topic=korea channel=hook reason=quiet_hours alerts=2") !=
               std::string::npos;
      },
      30s))
      << log();
  EXPECT_TRUE(received().empty());
  // Without quiet hours (SIGHUP), the held alerts go out.
  config_with("");
  daemon->signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return received().size() == 2; }, 20s)) << log();
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), 0) << log();
}

TEST_F(AlertStormE2E, EmailDigestIsOneMailListingEveryStory) {
  if (!testing::SmtpSink::available()) {
    GTEST_SKIP() << "python3-aiosmtpd is not installed (scripts/bootstrap.sh installs it)";
  }
  testing::SmtpSink smtp(sandbox());
  ASSERT_TRUE(smtp.ready()) << smtp.log();
  add_feed("news", 3);
  m_config = write_file("newswatch.toml",
                        "[storage]\npath = \"db\"\n"
                        "[fetch]\nallow_private_networks = true\nhost_delay = \"0s\"\n"
                        "robots = false\n[metrics]\nlisten = \"\"\n" +
                            source("news") +
                            "[[channels]]\nname = \"mail\"\ntype = \"email\"\n"
                            "smtp_url = \"" +
                            smtp.url() +
                            "\"\nfrom = \"newswatch <alerts@newswatch.example>\"\n"
                            "to = [\"reader@example.org\"]\n"
                            "[[topics]]\nname = \"korea\"\nquery = \"Nordkorea\"\n"
                            "channels = [\"mail\"]\ndigest = \"3s\"\n")
                 .string();
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return cli_alerts("--delivered").size() == 3; }, 30s)) << log();
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), 0) << log();
  smtp.stop();
  const auto got = smtp.messages();
  ASSERT_GE(got.size(), 1u);
  ASSERT_LE(got.size(), 2u) << "one mail per digest period";
  std::size_t listed = 0;
  for (const auto& m : got) {
    EXPECT_NE(m.find("Subject: [korea] digest: "), std::string::npos) << m;
    EXPECT_NE(m.find("Message-ID: <d"), std::string::npos) << m;
    EXPECT_NE(m.find("multipart/alternative"), std::string::npos) << m;
    for (const auto& a : cli_alerts("--delivered")) {
      // The idempotency header names the bundle, which every alert of the mail carries.
      listed += m.find("X-Newswatch-Idempotency-Key: " + a["bundle"].get<std::string>()) !=
                std::string::npos;
    }
  }
  EXPECT_EQ(listed, 3u) << "every story in exactly one mail";
}

}  // namespace
}  // namespace newswatch
