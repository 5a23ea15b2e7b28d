// Crash consistency: the real daemon against a news site that keeps publishing (and a partner
// site that republishes some stories), killed with SIGKILL at random moments fifty times and
// restarted, then left to finish. Afterwards every story is stored exactly once and readable,
// every matching story was alerted at least once under one idempotency key, and the database
// opened cleanly every time. NEWSWATCH_CRASH_KILLS (default 50) sets the number of kills and
// NEWSWATCH_CRASH_SEED the random seed (printed, to replay a failure).
#include <signal.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "tests/support/sandbox.h"

namespace newswatch {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::ChildProcess;
using testing::run_command;
using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;
using testing::wait_until;

constexpr int kStories = 40;
constexpr auto kPublishEvery = 300ms;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && std::atoi(v) > 0 ? std::atoi(v) : fallback;
}

// Story n's body: 90 words drawn from a vocabulary with n as the seed, so that two stories share
// few word shingles (they are not near-duplicates of each other) while a republished copy of one
// story shares them all.
std::string story_text(int n) {
  static const char* const kWords[] = {
      "Regierung",  "Ministerium",  "Grenze",      "Verhandlung", "Gipfel",      "Botschafter",
      "Raketen",    "Manöver",      "Sanktionen",  "Handel",      "Energie",     "Gaspreis",
      "Hafen",      "Flotte",       "Abkommen",    "Delegation",  "Präsident",   "Parlament",
      "Wahl",       "Opposition",   "Armee",       "Soldaten",    "Flüchtlinge", "Hilfe",
      "Wirtschaft", "Inflation",    "Zinsen",      "Export",      "Import",      "Zoll",
      "Satellit",   "Test",         "Start",       "Warnung",     "Bündnis",     "Partner",
      "Konflikt",   "Frieden",      "Gespräche",   "Erklärung",   "Sprecher",    "Agentur",
      "Bericht",    "Quelle",       "Militär",     "Übung",       "Küste",       "Insel",
      "Hauptstadt", "Provinz",      "Bevölkerung", "Versorgung",  "Strom",       "Netz",
      "Angriff",    "Verteidigung", "Budget",      "Steuern",     "Reform",      "Gericht",
      "Urteil",     "Klage",        "Protest",     "Polizei",     "Medien",      "Zensur"};
  std::mt19937 rng(static_cast<unsigned>(n) * 7919u + 17u);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(kWords) - 1);
  std::string text = "<p>Kennung " + std::to_string(n) + ".";
  for (int i = 0; i < 90; ++i) {
    text += ' ';
    text += kWords[pick(rng)];
    if (i % 15 == 14) text += ".</p><p>";
  }
  return text + ".</p>";
}

bool matches_topic(int n) { return n % 2 == 0; }
bool republished(int n) { return n % 3 == 0; }

class CrashConsistency : public testing::SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    m_t0 = Clock::now();
    m_site = std::make_unique<TestHttpServer>([this](const TestRequest& r) { return site(r); });
    std::random_device rd;
    m_seed = static_cast<unsigned>(env_int("NEWSWATCH_CRASH_SEED", static_cast<int>(rd() >> 1)));
    m_hook = std::make_unique<TestHttpServer>([this](const TestRequest&) {
      std::lock_guard lock(m_hook_mutex);
      // A receiver that takes a moment widens the window between send and acknowledgement.
      return TestResponse{200, {}, "ok", std::chrono::milliseconds(m_hook_rng() % 30)};
    });
    m_config = write_file("newswatch.toml",
                          "[storage]\npath = \"db\"\n"
                          "[fetch]\nallow_private_networks = true\ntimeout = \"5s\"\n"
                          "host_delay = \"20ms\"\nrobots = false\n"
                          "[metrics]\nlisten = \"\"\n"
                          "[[sources]]\nname = \"wire\"\nurl = \"" +
                              m_site->url("/wire.xml") +
                              "\"\nkind = \"feed\"\ninterval = \"1s\"\n"
                              "[[sources]]\nname = \"partner\"\nurl = \"" +
                              m_site->url("/partner.xml") +
                              "\"\nkind = \"feed\"\ninterval = \"1s\"\n"
                              "[[channels]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
                              m_hook->url("/alerts") +
                              "\"\n"
                              "[[topics]]\nname = \"korea\"\nquery = \"Nordkorea\"\n"
                              "channels = [\"hook\"]\n")
                   .string();
  }

  int published() const {
    return std::min(kStories, static_cast<int>((Clock::now() - m_t0) / kPublishEvery) + 1);
  }

  TestResponse site(const TestRequest& r) {
    const std::string rss_head = "<rss version=\"2.0\"><channel><title>T</title>";
    if (r.target == "/wire.xml" || r.target == "/partner.xml") {
      const bool wire = r.target == "/wire.xml";
      std::string items;
      for (int n = 0; n < published(); ++n) {
        if (!wire && !republished(n)) continue;
        items += "<item><title>Meldung " + std::to_string(n) + "</title><link>" + "http://" +
                 r.header("host") + (wire ? "/wire/" : "/partner/") + std::to_string(n) + ".html" +
                 "</link></item>";
      }
      return {
          200, {{"Content-Type", "application/rss+xml"}}, rss_head + items + "</channel></rss>"};
    }
    for (const std::string prefix : {"/wire/", "/partner/"}) {
      if (r.target.rfind(prefix, 0) == 0) {
        const int n = std::atoi(r.target.c_str() + prefix.size());
        const std::string subject = matches_topic(n) ? "Nordkorea" : "Das Wetter";
        return {200,
                {{"Content-Type", "text/html; charset=utf-8"}},
                "<html lang=\"de\"><head><title>Meldung " + std::to_string(n) +
                    "</title></head><body><nav><a href=\"/\">Start</a></nav><article><h1>Meldung " +
                    std::to_string(n) + "</h1><p>" + subject + " heute.</p>" + story_text(n) +
                    "</article></body></html>"};
      }
    }
    return {404, {{"Content-Type", "text/plain"}}, "not found"};
  }

  Clock::time_point m_t0;
  unsigned m_seed = 0;
  std::mutex m_hook_mutex;
  std::minstd_rand m_hook_rng{42};
  std::unique_ptr<TestHttpServer> m_site;
  std::unique_ptr<TestHttpServer> m_hook;
  std::string m_config;
};

TEST_F(CrashConsistency, SigkillAtRandomMomentsLosesNothingAndDuplicatesNothing) {
#if defined(__SANITIZE_THREAD__)
  // 51 daemon starts: each opens RocksDB, whose uninstrumented background threads TSan reports
  // (without a rocksdb:: frame to suppress by) often enough to kill a run. This test is about
  // crash consistency, which the normal and ASan builds check; TSan covers the daemon's threads
  // in the other e2e tests.
  GTEST_SKIP() << "not under ThreadSanitizer (see comment)";
#endif
  const int kills = env_int("NEWSWATCH_CRASH_KILLS", 50);
  std::printf("[ crash ] seed %u (NEWSWATCH_CRASH_SEED to replay), %d kills\n", m_seed, kills);
  std::mt19937 rng(m_seed);
  std::uniform_int_distribution<int> lifetime_ms(100, 1000);
  const auto log_path = [&](int run) {
    return sandbox() / ("run-" + std::to_string(run) + ".log");
  };
  for (int run = 0; run < kills; ++run) {
    ChildProcess daemon({NEWSWATCH_BINARY, "run", "--config", m_config}, log_path(run).string());
    std::this_thread::sleep_for(std::chrono::milliseconds(lifetime_ms(rng)));
    ASSERT_TRUE(daemon.running()) << "run " << run << " ended by itself before the kill:\n"
                                  << testing::read_file(log_path(run));
    daemon.signal(SIGKILL);
    EXPECT_EQ(daemon.wait(10s), 128 + SIGKILL);
  }
  // Everything published; a last run finishes the work and stops cleanly.
  ASSERT_TRUE(wait_until([&] { return published() == kStories; }, 30s));
  int matching = 0;
  for (int n = 0; n < kStories; ++n) matching += matches_topic(n);
  const auto alerted_stories = [&] {
    std::set<std::string> titles;
    for (const auto& r : m_hook->requests()) {
      titles.insert(nlohmann::json::parse(r.body)["article"]["title"].get<std::string>());
    }
    return titles;
  };
  {
    ChildProcess daemon({NEWSWATCH_BINARY, "run", "--config", m_config}, log_path(kills).string());
    EXPECT_TRUE(wait_until(
        [&] { return alerted_stories().size() >= static_cast<std::size_t>(matching); }, 60s))
        << testing::read_file(log_path(kills));
    std::this_thread::sleep_for(2s);  // room for a wrong extra alert to show up
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(20s), 0) << testing::read_file(log_path(kills));
  }
  for (int run = 0; run <= kills; ++run) {
    const std::string text = testing::read_file(log_path(run));
    EXPECT_EQ(text.find("daemon.store_open_failed"), std::string::npos) << "run " << run << ":\n"
                                                                        << text;
  }

  // Every story stored once, intact and readable.
  const auto listed =
      run_command({NEWSWATCH_BINARY, "list", "--config", m_config, "--json", "--limit", "1000"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::map<std::string, int> stored_titles;
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);) {
    const auto row = nlohmann::json::parse(line);
    const std::string title = row["title"];
    ++stored_titles[title];
    const auto shown = run_command(
        {NEWSWATCH_BINARY, "show", "--config", m_config, "--json", row["id"].get<std::string>()});
    ASSERT_EQ(shown.exit_code, 0) << title << ": " << shown.err;
    const auto article = nlohmann::json::parse(shown.out);
    const std::string number = title.substr(title.find(' ') + 1);
    EXPECT_NE(article["text"].get<std::string>().find("Kennung " + number + "."), std::string::npos)
        << title << " is not intact: " << article["text"];
  }
  ASSERT_EQ(stored_titles.size(), static_cast<std::size_t>(kStories)) << listed.out;
  for (const auto& [title, count] : stored_titles) EXPECT_EQ(count, 1) << title << " stored twice";

  // Every matching story alerted, under exactly one idempotency key; a repeated POST of one key
  // (a kill between the receiver's answer and the outbox update) is the at-least-once margin
  // receivers dedup by the key, and must stay rare.
  std::map<std::string, std::set<std::string>> keys_per_story;
  std::map<std::string, int> posts_per_key;
  for (const auto& r : m_hook->requests()) {
    const std::string key = r.header("x-newswatch-idempotency-key");
    const std::string title = nlohmann::json::parse(r.body)["article"]["title"];
    keys_per_story[title].insert(key);
    ++posts_per_key[key];
  }
  EXPECT_EQ(keys_per_story.size(), static_cast<std::size_t>(matching));
  for (int n = 0; n < kStories; ++n) {
    const std::string title = "Meldung " + std::to_string(n);
    EXPECT_EQ(keys_per_story.count(title), matches_topic(n) ? 1u : 0u) << title;
    if (keys_per_story.count(title)) {
      EXPECT_EQ(keys_per_story[title].size(), 1u) << title;
    }
  }
  int repeated = 0;
  for (const auto& [key, posts] : posts_per_key) repeated += posts - 1;
  std::printf("[ crash ] %zu alerts delivered, %d repeated POSTs of one key over %d kills\n",
              posts_per_key.size(), repeated, kills);
  EXPECT_LE(repeated, kills / 5);

  const auto stats = run_command({NEWSWATCH_BINARY, "stats", "--config", m_config, "--json"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(nlohmann::json::parse(stats.out)["pending_alerts"], 0);
}

}  // namespace
}  // namespace newswatch
