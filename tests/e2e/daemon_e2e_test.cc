// The whole pipeline as a user runs it: the real `newswatch` binary against a news site and a
// webhook receiver on 127.0.0.1, driven by real signals.
#include <signal.h>

#include <algorithm>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <nlohmann/json.hpp>

#include "alerts/delivery.h"
#include "core/time.h"
#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "tests/support/sandbox.h"

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

// A whole-second time `ago` before now, and its RFC 822 form as feeds write it.
TimePoint time_ago(std::chrono::hours ago) {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() - ago);
}

std::string rfc822(TimePoint t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string article_page(const std::string& title, const std::string& body_paragraphs) {
  return "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>" + title +
         " | Testnachrichten</title></head><body>"
         "<nav><a href=\"/\">Start</a> <a href=\"/politik\">Politik</a></nav>"
         "<article><h1>" +
         title + "</h1>" + body_paragraphs +
         "</article><footer><p>Impressum und Datenschutz der Testnachrichten.</p></footer>"
         "</body></html>";
}

class DaemonE2E : public testing::SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    m_site = std::make_unique<TestHttpServer>(std::ref(m_pages));
    m_hook = std::make_unique<TestHttpServer>([this](const TestRequest&) {
      return TestResponse{m_hook_status.load(), {}, "ok"};
    });
    const std::string base = m_site->url("");
    m_pages.add("/feed.xml",
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                "<rss version=\"2.0\"><channel><title>Testnachrichten</title><link>" +
                    base +
                    "/</link>"
                    "<item><title>Nordkorea testet Rakete</title><link>" +
                    base +
                    "/politik/nordkorea-rakete.html</link><guid>a1</guid>"
                    "<pubDate>" +
                    rfc822(m_published) +
                    "</pubDate></item>"
                    "<item><title>Wetter am Wochenende</title><link>" +
                    base +
                    "/wetter/wochenende.html</link><guid>a2</guid></item>"
                    "<item><title>Gipfel in Pjöngjang</title><link>/politik/gipfel.html</link>"
                    "<guid>a3</guid></item>"
                    "</channel></rss>",
                "application/rss+xml");
    m_pages.add("/politik/nordkorea-rakete.html",
                article_page("Nordkorea testet Rakete",
                             "<p>Nordkorea hat nach Angaben aus Seoul erneut eine ballistische "
                             "Rakete getestet.</p><p>Die Rakete flog rund 600 Kilometer weit und "
                             "stürzte ins Meer.</p>"),
                "text/html; charset=utf-8");
    m_pages.add("/wetter/wochenende.html",
                article_page("Wetter am Wochenende",
                             "<p>Am Wochenende wird es sonnig und mild.</p><p>Erst am Montag "
                             "zieht Regen auf.</p>"),
                "text/html; charset=utf-8");
    m_pages.add("/politik/gipfel.html",
                article_page("Gipfel in Pjöngjang",
                             "<p>In der Hauptstadt von Nordkorea trafen sich die Delegationen.</p>"
                             "<p>Ergebnisse wurden nicht bekannt.</p>"),
                "text/html; charset=utf-8");
    m_config = write_config("");
  }

  // `extra` goes after the tables, `storage` into [storage].
  std::string write_config(const std::string& extra, const std::string& storage = "") {
    return write_file("newswatch.toml",
                      "[storage]\npath = \"db\"\n" + storage +
                          "[fetch]\nallow_private_networks = true\ntimeout = \"5s\"\n"
                          "[log]\nlevel = \"debug\"\n"
                          "[metrics]\nlisten = \"127.0.0.1:0\"\n"
                          "[[sources]]\nname = \"testnews\"\nurl = \"" +
                          m_site->url("/feed.xml") +
                          "\"\nkind = \"feed\"\ninterval = \"1s\"\n"
                          "[[channels]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
                          m_hook->url("/alerts") +
                          "\"\nsecret = \"topsecret\"\n"
                          "[[topics]]\nname = \"korea\"\nquery = \"Nordkorea\"\n"
                          "channels = [\"hook\"]\n" +
                          extra)
        .string();
  }

  std::unique_ptr<ChildProcess> start_daemon() {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{NEWSWATCH_BINARY, "run", "--config", m_config},
        (sandbox() / "daemon.log").string());
  }

  std::size_t feed_polls() const {
    std::size_t n = 0;
    for (const auto& r : m_site->requests()) n += r.target == "/feed.xml";
    return n;
  }

  std::vector<TestRequest> alerts_received() const { return m_hook->requests(); }

  std::string log() const { return testing::read_file(sandbox() / "daemon.log"); }

  // Two hours ago: recent enough to alert (matching.max_age), whole seconds.
  const TimePoint m_published = time_ago(std::chrono::hours(2));
  StaticSite m_pages;
  std::unique_ptr<TestHttpServer> m_site;
  std::unique_ptr<TestHttpServer> m_hook;
  std::atomic<int> m_hook_status{200};
  std::string m_config;
};

// A plain HTTP/1.0 GET on loopback: the response's status line, headers and body.
std::string http_get(std::uint16_t port, const std::string& target) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  const std::string request = "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(request));
  std::string response;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    const std::size_t n = socket.read_some(boost::asio::buffer(buf), ec);
    response.append(buf, n);
    if (ec) break;
  }
  return response;
}

// The value of the first sample line starting with `series` ("name{labels}"), or -1.
double sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

TEST_F(DaemonE2E, MetricsAndHealthReportWhatThePipelineDid) {
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return alerts_received().size() >= 2; }, 30s)) << log();
  const std::string started = log();
  const auto at = started.find("metrics.listening");
  ASSERT_NE(at, std::string::npos) << started;
  const auto port_at = started.find("port=", at);
  ASSERT_NE(port_at, std::string::npos);
  const auto port = static_cast<std::uint16_t>(std::stoi(started.substr(port_at + 5)));

  std::string metrics;
  // The delivery counter is bumped after the receiver answers; allow the loop a moment.
  ASSERT_TRUE(wait_until(
      [&] {
        metrics = http_get(port, "/metrics");
        return sample(metrics,
                      "newswatch_deliveries_total{channel=\"hook\",result=\"delivered\"}") == 2;
      },
      10s))
      << metrics;
  EXPECT_NE(metrics.find(" 200 OK"), std::string::npos) << metrics;
  EXPECT_EQ(sample(metrics, "newswatch_articles_stored_total"), 3) << metrics;
  EXPECT_EQ(sample(metrics, "newswatch_topic_matches_total"), 2) << metrics;
  EXPECT_GE(sample(metrics, "newswatch_feed_polls_total{result=\"new_items\"}"), 1) << metrics;
  EXPECT_EQ(sample(metrics, "newswatch_sources"), 1) << metrics;
  EXPECT_EQ(sample(metrics, "newswatch_outbox_pending"), 0) << metrics;
  EXPECT_GE(sample(metrics, "newswatch_extract_seconds_count"), 3) << metrics;
  EXPECT_GT(sample(metrics, "process_resident_memory_bytes"), 1e6) << metrics;
  // The store's parts: the near-duplicate index and the filters hold the three stories, the
  // memtables their records.
  EXPECT_GT(sample(metrics, "newswatch_store_memory_bytes{part=\"near_index\"}"), 0) << metrics;
  EXPECT_GT(sample(metrics, "newswatch_store_memory_bytes{part=\"key_filters\"}"), 0) << metrics;
  EXPECT_GT(sample(metrics, "newswatch_store_memory_bytes{part=\"memtables\"}"), 0) << metrics;
  EXPECT_GE(sample(metrics, "newswatch_store_memory_bytes{part=\"block_cache\"}"), 0) << metrics;
  EXPECT_GE(sample(metrics, "newswatch_store_memory_bytes{part=\"table_readers\"}"), 0) << metrics;
  // The io loop's probe timer has ticked and its lag is measured.
  EXPECT_GE(sample(metrics, "newswatch_io_loop_lag_seconds_count"), 1) << metrics;
  EXPECT_GE(sample(metrics, "newswatch_io_loop_lag_max_seconds"), 0) << metrics;

  const std::string health = http_get(port, "/healthz");
  EXPECT_NE(health.find(" 200 OK"), std::string::npos) << health;

  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0) << log();
}

TEST_F(DaemonE2E, FeedToStoreToWebhookExactlyOnceAcrossRestart) {
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return alerts_received().size() >= 2; }, 30s)) << log();

  // While the daemon runs, the CLI reads the store.
  const auto listed = run_command({NEWSWATCH_BINARY, "list", "--config", m_config, "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::vector<nlohmann::json> rows;
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);) rows.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(rows.size(), 3u) << listed.out;
  for (const auto& row : rows) {
    for (const char* key : {"id", "url", "title", "published", "source"}) {
      EXPECT_TRUE(row.contains(key)) << key;
    }
    EXPECT_EQ(row["source"], "testnews");
  }

  // `match` replays a query over what is stored, highlighting the stemmed match.
  const auto matched = run_command(
      {NEWSWATCH_BINARY, "match", "--config", m_config, "--query", "Raketen", "--json"});
  ASSERT_EQ(matched.exit_code, 0) << matched.err;
  const auto hit = nlohmann::json::parse(matched.out.substr(0, matched.out.find('\n')));
  EXPECT_EQ(hit["url"], m_site->url("/politik/nordkorea-rakete.html"));
  EXPECT_NE(hit["snippet"].get<std::string>().find("«Rakete»"), std::string::npos) << hit;
  EXPECT_EQ(std::count(matched.out.begin(), matched.out.end(), '\n'), 1) << matched.out;
  const auto topic =
      run_command({NEWSWATCH_BINARY, "match", "--config", m_config, "--topic", "korea", "--json"});
  EXPECT_EQ(std::count(topic.out.begin(), topic.out.end(), '\n'), 2) << topic.out;
  const auto bad =
      run_command({NEWSWATCH_BINARY, "match", "--config", m_config, "--query", "Kim AND (Putin"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("column"), std::string::npos) << bad.err;

  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0) << log();
  EXPECT_NE(log().find("daemon.stopped"), std::string::npos);

  std::set<std::string> urls;
  for (const auto& req : alerts_received()) {
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.header("x-newswatch-signature"),
              "sha256=" + alerts::hmac_sha256_hex("topsecret", req.body));
    EXPECT_EQ(req.header("x-newswatch-idempotency-key").size(), 16u);
    const auto body = nlohmann::json::parse(req.body);
    EXPECT_EQ(body["topic"], "korea");
    for (const char* key : {"id", "url", "title", "published", "source", "snippet"}) {
      EXPECT_TRUE(body["article"].contains(key)) << key;
    }
    EXPECT_NE(body["article"]["snippet"].get<std::string>().find("Nordkorea"), std::string::npos);
    urls.insert(body["article"]["url"]);
  }
  ASSERT_EQ(alerts_received().size(), 2u);
  EXPECT_EQ(urls, (std::set<std::string>{m_site->url("/politik/nordkorea-rakete.html"),
                                         m_site->url("/politik/gipfel.html")}));

  // `show --json` returns the clean text: body paragraphs, no navigation or footer.
  std::string id;
  for (const auto& row : rows) {
    if (row["url"] == m_site->url("/politik/nordkorea-rakete.html")) id = row["id"];
  }
  ASSERT_FALSE(id.empty());
  const auto shown = run_command({NEWSWATCH_BINARY, "show", "--config", m_config, "--json", id});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const auto article = nlohmann::json::parse(shown.out);
  const std::string text = article["text"];
  EXPECT_NE(text.find("ballistische Rakete"), std::string::npos) << text;
  EXPECT_NE(text.find("600 Kilometer"), std::string::npos) << text;
  EXPECT_EQ(text.find("Impressum"), std::string::npos) << text;
  EXPECT_EQ(article["title"], "Nordkorea testet Rakete");
  // The feed's RFC 822 pubDate fills in a date the page does not carry.
  EXPECT_EQ(article["published"], format_iso8601(m_published));

  // A restart polls again but neither stores nor sends anything twice.
  const std::size_t polls_before = feed_polls();
  const std::size_t requests_before = m_site->request_count();
  auto again = start_daemon();
  ASSERT_TRUE(wait_until([&] { return feed_polls() >= polls_before + 2; }, 30s)) << log();
  again->signal(SIGINT);
  EXPECT_EQ(again->wait(20s), 0) << log();
  EXPECT_EQ(alerts_received().size(), 2u);
  EXPECT_EQ(m_site->request_count() - requests_before, feed_polls() - polls_before)
      << "articles were fetched again after the restart";
  const auto relisted = run_command({NEWSWATCH_BINARY, "list", "--config", m_config, "--json"});
  EXPECT_EQ(std::count(relisted.out.begin(), relisted.out.end(), '\n'), 3);

  // The operator's views: source health, the delivery log, store statistics.
  const auto sources = run_command({NEWSWATCH_BINARY, "sources", "--config", m_config, "--json"});
  ASSERT_EQ(sources.exit_code, 0) << sources.err;
  const auto src = nlohmann::json::parse(sources.out);
  EXPECT_EQ(src["name"], "testnews");
  EXPECT_EQ(src["status"], "ok");
  EXPECT_EQ(src["items_seen"], 3);
  EXPECT_GE(src["polls"].get<int>(), 3);
  EXPECT_FALSE(src["next_poll"].is_null());
  // Per-source counters: every poll got the whole feed (this server sends no validators) except
  // one per daemon run that its stop may have cut short; 3 items in the first hour are 72 a day.
  const std::size_t feed_bytes = m_pages(TestRequest{"GET", "/feed.xml", {}, "", {}}).body.size();
  const auto polls = src["polls"].get<std::size_t>();
  EXPECT_LE(src["bytes"].get<std::size_t>(), polls * feed_bytes);
  EXPECT_GE(src["bytes"].get<std::size_t>(), (polls - 2) * feed_bytes);
  EXPECT_EQ(src["not_modified"], 0);
  EXPECT_EQ(src["failures"], 0);
  EXPECT_FALSE(src["first_poll"].is_null());
  EXPECT_NEAR(src["items_per_day"].get<double>(), 72.0, 0.01);
  EXPECT_LT(src["last_latency_ms"].get<int>(), 5000);
  const auto alerts = run_command({NEWSWATCH_BINARY, "alerts", "--config", m_config, "--json"});
  ASSERT_EQ(alerts.exit_code, 0) << alerts.err;
  EXPECT_EQ(std::count(alerts.out.begin(), alerts.out.end(), '\n'), 2);
  EXPECT_NE(alerts.out.find("\"state\":\"delivered\""), std::string::npos) << alerts.out;
  const auto stats = run_command({NEWSWATCH_BINARY, "stats", "--config", m_config, "--json"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  const auto st = nlohmann::json::parse(stats.out);
  EXPECT_EQ(st["articles"], 3);
  EXPECT_EQ(st["pending_alerts"], 0);
  EXPECT_GT(st["disk_bytes"].get<long>(), 0);
}

TEST_F(DaemonE2E, ArticlesOlderThanMaxAgeAreStoredButNotAlerted) {
  // A feed added today still lists last week's story: it is kept and searchable, not sent.
  const std::string base = m_site->url("");
  m_pages.add("/feed.xml",
              "<rss version=\"2.0\"><channel><title>T</title>"
              "<item><title>Nordkorea testet Rakete</title><link>" +
                  base + "/politik/nordkorea-rakete.html</link><pubDate>" +
                  rfc822(time_ago(std::chrono::hours(24 * 10))) +
                  "</pubDate></item>"
                  "<item><title>Gipfel in Pjöngjang</title><link>" +
                  base + "/politik/gipfel.html</link><pubDate>" +
                  rfc822(time_ago(std::chrono::hours(1))) + "</pubDate></item></channel></rss>",
              "application/rss+xml");
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return alerts_received().size() >= 1; }, 30s)) << log();
  ASSERT_TRUE(wait_until([&] { return log().find("alert.skipped_old") != std::string::npos; }, 30s))
      << log();
  std::this_thread::sleep_for(2s);  // room for a wrong second alert
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), 0) << log();
  const auto got = alerts_received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].body.find("/politik/gipfel.html"), std::string::npos) << got[0].body;
  EXPECT_NE(log().find("/politik/nordkorea-rakete.html"), std::string::npos);
  // Both stored; the old one still counts for its topic.
  const auto found = run_command(
      {NEWSWATCH_BINARY, "search", "--config", m_config, "--json", "--topic", "korea", "Rakete"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_NE(found.out.find("nordkorea-rakete.html"), std::string::npos) << found.out;
}

TEST_F(DaemonE2E, SitemapIndexLeadsToRecentArticlesOnly) {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const std::string recent = format_iso8601(now - std::chrono::hours(1));
  m_pages.add("/sitemap-index.xml",
              "<?xml version=\"1.0\"?><sitemapindex "
              "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><sitemap><loc>" +
                  m_site->url("/sitemap-news.xml") + "</loc></sitemap></sitemapindex>",
              "application/xml");
  m_pages.add("/sitemap-news.xml",
              "<?xml version=\"1.0\"?><urlset "
              "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>" +
                  m_site->url("/politik/sitemap-neu.html") + "</loc><lastmod>" + recent +
                  "</lastmod></url><url><loc>" + m_site->url("/archiv/alt.html") +
                  "</loc><lastmod>2019-03-01T10:00:00Z</lastmod></url></urlset>",
              "application/xml");
  m_pages.add("/politik/sitemap-neu.html",
              article_page("Neue Gespräche mit Nordkorea",
                           "<p>Diplomaten aus Seoul und Pjöngjang trafen sich am Morgen.</p>"),
              "text/html; charset=utf-8");
  m_pages.add("/archiv/alt.html", article_page("Alte Meldung", "<p>Aus dem Archiv.</p>"),
              "text/html; charset=utf-8");
  m_config =
      write_config("[[sources]]\nname = \"sitemap\"\nurl = \"" + m_site->url("/sitemap-index.xml") +
                   "\"\nkind = \"sitemap\"\ninterval = \"1s\"\n");
  auto daemon = start_daemon();
  const auto fetched = [&](const std::string& path) {
    for (const auto& r : m_site->requests()) {
      if (r.target == path) return true;
    }
    return false;
  };
  ASSERT_TRUE(wait_until([&] { return fetched("/politik/sitemap-neu.html"); }, 30s)) << log();
  ASSERT_TRUE(wait_until(
      [&] {
        const auto listed = run_command({NEWSWATCH_BINARY, "list", "--config", m_config, "--json"});
        return listed.out.find("sitemap-neu.html") != std::string::npos;
      },
      20s))
      << log();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0) << log();
  EXPECT_FALSE(fetched("/archiv/alt.html")) << "a sitemap's archive is not news";
  EXPECT_NE(log().find("fetch.sitemap_polled source=sitemap"), std::string::npos) << log();
}

TEST_F(DaemonE2E, RobotsTxtIsFetchedOnceAndObeyed) {
  m_pages.add("/robots.txt",
              "User-agent: *\nDisallow: /wetter/\n\nUser-agent: otherbot\nDisallow: /\n",
              "text/plain");
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return alerts_received().size() >= 2; }, 30s)) << log();
  ASSERT_TRUE(
      wait_until([&] { return log().find("fetch.robots_disallowed") != std::string::npos; }, 10s))
      << log();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0) << log();

  std::size_t robots = 0;
  for (const auto& r : m_site->requests()) {
    EXPECT_NE(r.target, "/wetter/wochenende.html") << "robots.txt disallows it";
    robots += r.target == "/robots.txt";
  }
  EXPECT_EQ(robots, 1u) << "cached per origin";
  EXPECT_GE(feed_polls(), 1u) << "configured feeds are not subject to robots.txt";
  const auto listed = run_command({NEWSWATCH_BINARY, "list", "--config", m_config, "--json"});
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 2) << listed.out;
}

TEST_F(DaemonE2E, RobotsTxtCanBeTurnedOff) {
  m_pages.add("/robots.txt", "User-agent: *\nDisallow: /\n", "text/plain");
  m_config = write_config("");
  // [fetch] is already in the file: rewrite it with robots = false.
  std::string text = testing::read_file(m_config);
  text.replace(text.find("[fetch]\n"), 8, "[fetch]\nrobots = false\n");
  write_file("newswatch.toml", text);
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return alerts_received().size() >= 2; }, 30s)) << log();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0) << log();
  for (const auto& r : m_site->requests()) EXPECT_NE(r.target, "/robots.txt");
}

TEST_F(DaemonE2E, SectionPageSourceLeadsToItsArticles) {
  m_pages.add("/politik/",
              "<html><head><title>Politik</title></head><body><nav><a href=\"/wetter/"
              "wochenende.html\">Das Wetter am Wochenende im Überblick</a></nav><main>"
              "<article><h2><a href=\"/politik/nordkorea-rakete.html\">Nordkorea testet "
              "Rakete</a></h2><p>Seoul meldet einen neuen Start.</p></article>"
              "<article><h2><a href=\"/politik/gipfel.html\">Gipfel in Pjöngjang</a></h2>"
              "</article></main></body></html>",
              "text/html; charset=utf-8");
  m_config = write_config("");
  std::string text = testing::read_file(m_config);
  text.replace(text.find("/feed.xml"), 9, "/politik/");
  text.replace(text.find("kind = \"feed\""), 13, "kind = \"page\"");
  write_file("newswatch.toml", text);
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return alerts_received().size() >= 2; }, 30s)) << log();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0) << log();
  for (const auto& r : m_site->requests()) {
    EXPECT_NE(r.target, "/wetter/wochenende.html") << "navigation links are not articles";
  }
  EXPECT_NE(log().find("kind=page entries=2"), std::string::npos) << log();
}

TEST_F(DaemonE2E, DiscoverFindsAnnouncedFeedsAndRobotsSitemaps) {
  m_pages.add("/",
              "<html><head><link rel=\"alternate\" type=\"application/rss+xml\" "
              "href=\"/feed.xml\"></head><body>Start</body></html>",
              "text/html; charset=utf-8");
  m_pages.add("/robots.txt", "User-agent: *\nSitemap: " + m_site->url("/news-map.xml") + "\n",
              "text/plain");
  m_pages.add("/news-map.xml",
              "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>" +
                  m_site->url("/politik/gipfel.html") + "</loc></url></urlset>",
              "application/xml");
  const auto found =
      run_command({NEWSWATCH_BINARY, "discover", "--json", "--allow-private", m_site->url("/")});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  std::map<std::string, std::string> kinds;
  std::istringstream lines(found.out);
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    kinds[j["url"]] = j["kind"];
  }
  EXPECT_EQ(kinds[m_site->url("/feed.xml")], "rss") << found.out;
  EXPECT_EQ(kinds[m_site->url("/news-map.xml")], "sitemap") << found.out;
  // Without --allow-private, loopback is refused like any URL found on the web.
  EXPECT_NE(run_command({NEWSWATCH_BINARY, "discover", m_site->url("/")}).exit_code, 0);
  EXPECT_EQ(run_command({NEWSWATCH_BINARY, "discover"}).exit_code, 2);
}

TEST_F(DaemonE2E, SyndicatedCopiesAndTrackingUrlsAlertOncePerStory) {
  const std::string body =
      "<p>Nordkorea hat nach Angaben des Generalstabs in Seoul am Morgen erneut eine ballistische "
      "Rakete in Richtung Japanisches Meer abgefeuert.</p><p>Die Rakete sei von einem Gebiet "
      "nahe der Hauptstadt Pjöngjang gestartet worden und habe rund 600 Kilometer zurückgelegt, "
      "teilte das Militär mit.</p><p>Japan verurteilte den Start als klaren Verstoß gegen "
      "Resolutionen des Sicherheitsrats der Vereinten Nationen und berief eine Sitzung ein.</p>";
  m_pages.add("/agentur/rakete-original.html", article_page("Rakete über dem Meer", body),
              "text/html; charset=utf-8");
  // The same wire story on a partner site's page: other chrome, an extra credit line.
  m_pages.add("/partner/rakete-kopie.html",
              "<html lang=\"de\"><head><title>Partnerblatt</title></head><body><div "
              "class=\"menu\"><a href=\"/\">Home</a></div><article><h1>Rakete über dem "
              "Meer</h1>" +
                  body + "<p>Mit Material der Nachrichtenagenturen.</p></article></body></html>",
              "text/html; charset=utf-8");
  const std::string base = m_site->url("");
  m_pages.add("/feed.xml",
              "<rss version=\"2.0\"><channel><title>T</title>"
              "<item><title>Rakete</title><link>" +
                  base + "/agentur/rakete-original.html</link></item>" +
                  "<item><title>Rakete (Partner)</title><link>" + base +
                  "/partner/rakete-kopie.html</link></item>" +
                  "<item><title>Rakete (Tracking)</title><link>" + base +
                  "/agentur/rakete-original.html?utm_source=rss&amp;fbclid=abc</link></item>"
                  "</channel></rss>",
              "application/rss+xml");
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return alerts_received().size() >= 1; }, 30s)) << log();
  ASSERT_TRUE(
      wait_until([&] { return log().find("store.duplicate kind=near") != std::string::npos; }, 20s))
      << log();
  std::this_thread::sleep_for(1500ms);  // room for a wrong second alert to show up
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0) << log();
  EXPECT_EQ(alerts_received().size(), 1u) << log();
  std::size_t tracked_fetches = 0;
  for (const auto& r : m_site->requests())
    tracked_fetches += r.target.find("utm_source") != std::string::npos;
  EXPECT_EQ(tracked_fetches, 0u) << "a tracking variant of a stored URL is not fetched again";
  const auto listed = run_command({NEWSWATCH_BINARY, "list", "--config", m_config, "--json"});
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 1) << listed.out;
  const auto row = nlohmann::json::parse(listed.out.substr(0, listed.out.find('\n')));
  const auto shown = run_command(
      {NEWSWATCH_BINARY, "show", "--config", m_config, "--json", row["id"].get<std::string>()});
  const auto article = nlohmann::json::parse(shown.out);
  ASSERT_EQ(article["duplicate_urls"].size(), 1u) << shown.out;
  EXPECT_EQ(article["duplicate_urls"][0], base + "/partner/rakete-kopie.html");

  // The search index sees the stored story (flushed by the daemon within seconds).
  const auto found =
      run_command({NEWSWATCH_BINARY, "search", "--config", m_config, "--json", "Raketen Japan"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_NE(found.out.find(row["id"].get<std::string>()), std::string::npos) << found.out;
}

TEST_F(DaemonE2E, ArticleFetchesToOneHostAreSpacedByHostDelay) {
  // The test config's [fetch] table sets no host_delay, so the default of 1 s applies.
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return alerts_received().size() >= 2; }, 30s)) << log();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0);
  std::vector<std::chrono::steady_clock::time_point> starts;
  for (const auto& r : m_site->requests()) {
    // robots.txt (404 here) is read once per origin before the first article, unspaced.
    if (r.target != "/feed.xml" && r.target != "/robots.txt") starts.push_back(r.received);
  }
  ASSERT_EQ(starts.size(), 3u);
  std::sort(starts.begin(), starts.end());
  for (size_t i = 1; i < starts.size(); ++i) {
    EXPECT_GE(starts[i] - starts[i - 1], 900ms) << "requests " << i - 1 << " and " << i;
  }
}

TEST_F(DaemonE2E, FailedWebhookIsRetriedUntilItSucceeds) {
  m_hook_status = 503;
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return alerts_received().size() >= 2; }, 30s)) << log();
  m_hook_status = 200;
  // Backoff starts at 5-10 s; both alerts arrive once more, then nothing further.
  ASSERT_TRUE(wait_until(
      [&] {
        return log().find("alert.delivered") != std::string::npos && alerts_received().size() >= 4;
      },
      60s))
      << log();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0);
  std::map<std::string, int> per_key;
  for (const auto& req : alerts_received()) ++per_key[req.header("x-newswatch-idempotency-key")];
  EXPECT_EQ(per_key.size(), 2u);
  for (const auto& [key, count] : per_key) EXPECT_EQ(count, 2) << key;  // one failure, one success
  EXPECT_NE(log().find("alert.delivery_failed"), std::string::npos);
}

TEST_F(DaemonE2E, SighupReloadsTopicsAndKeepsRunningOnABadConfig) {
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return alerts_received().size() >= 2; }, 30s)) << log();

  // A broken config is rejected and the daemon keeps polling with the old one.
  write_file("newswatch.toml", "[[sources]]\nname = \"x\"\ninterval = \"soon\"\n");
  daemon->signal(SIGHUP);
  ASSERT_TRUE(
      wait_until([&] { return log().find("daemon.reload_failed") != std::string::npos; }, 10s));
  const std::size_t polls = feed_polls();
  ASSERT_TRUE(wait_until([&] { return feed_polls() >= polls + 2; }, 15s)) << log();

  // A valid new config takes effect: a new topic matches the next new article.
  write_config("[[topics]]\nname = \"weather\"\nquery = \"Regen\"\nchannels = [\"hook\"]\n");
  daemon->signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return log().find("daemon.reloaded") != std::string::npos; }, 10s));
  m_pages.add(
      "/wetter/montag.html",
      article_page("Regen am Montag", "<p>Am Montag kommt der Regen.</p><p>Viel Regen.</p>"),
      "text/html");
  const std::string base = m_site->url("");
  m_pages.add("/feed.xml",
              "<rss version=\"2.0\"><channel><title>T</title><item><title>Regen</title><link>" +
                  base + "/wetter/montag.html</link></item></channel></rss>",
              "application/rss+xml");
  ASSERT_TRUE(wait_until([&] { return alerts_received().size() >= 3; }, 30s)) << log();
  const auto body = nlohmann::json::parse(alerts_received().back().body);
  EXPECT_EQ(body["topic"], "weather");
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0);
}

// Retention deletes old stories but remembers their URLs and texts (storage.remember_urls): a feed
// that still lists them brings back neither the stories nor their alerts. Forgotten, they come
// back.
TEST_F(DaemonE2E, RetentionKeepsPurgedStoriesFromComingBackUntilTheirUrlsAreForgotten) {
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return alerts_received().size() >= 2; }, 30s)) << log();
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), 0) << log();
  const auto stats = [&] {
    const auto r = run_command({NEWSWATCH_BINARY, "stats", "--config", m_config, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  };
  EXPECT_EQ(stats()["articles"], 3);
  EXPECT_EQ(stats()["purged_urls"], 0);
  EXPECT_EQ(stats()["purged_texts"], 0);

  // Every story now fetched over a second ago, in whole seconds.
  std::this_thread::sleep_for(2100ms);
  m_config = write_config("", "retention = \"1s\"\n");
  const std::size_t polls_before = feed_polls();
  const std::size_t requests_before = m_site->request_count();
  daemon = start_daemon();
  ASSERT_TRUE(wait_until(
      [&] {
        return log().find("store.purged articles=3") != std::string::npos &&
               feed_polls() >= polls_before + 2;
      },
      30s))
      << log();
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), 0) << log();
  EXPECT_EQ(m_site->request_count() - requests_before, feed_polls() - polls_before)
      << "purged articles were fetched again";
  EXPECT_EQ(alerts_received().size(), 2u);
  auto st = stats();
  EXPECT_EQ(st["articles"], 0);
  EXPECT_GE(st["purged_urls"].get<int>(), 3);
  EXPECT_EQ(st["purged_texts"], 3);  // and their texts, each its own

  // Without the memory, the next purge forgets them and the feed brings them back as new.
  m_config = write_config("", "retention = \"1s\"\nremember_urls = \"0s\"\n");
  daemon = start_daemon();
  ASSERT_TRUE(wait_until([&] { return alerts_received().size() >= 4; }, 30s)) << log();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0) << log();
}

TEST_F(DaemonE2E, InvalidConfigExitsWithUsageErrorNamingTheLine) {
  const auto path = write_file("bad.toml", "[fetch]\ntimeout = \"fast\"\n");
  const auto r = run_command({NEWSWATCH_BINARY, "run", "--config", path.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.toml:2:11: fetch.timeout: expected a duration"), std::string::npos)
      << r.err;
  const auto c = run_command({NEWSWATCH_BINARY, "check-config", "--config", path.string()});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("1 error in"), std::string::npos) << c.err;
  const auto ok = run_command({NEWSWATCH_BINARY, "check-config", "--config", m_config});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_F(DaemonE2E, ListBeforeTheDaemonEverRanIsAClearError) {
  const auto r = run_command({NEWSWATCH_BINARY, "list", "--config", m_config});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no database here yet"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace newswatch
