// The real daemon against a hostile web: servers on their own loopback addresses that never
// answer, drip, send gigabytes or gzip bombs, loop redirects, lie about lengths and charsets,
// reset mid-body, break chunking or serve an error page instead of a feed, a feed of 100,000
// items and a 5 MB article of 50,000 nested divs, beside two good sources that publish a story
// every two seconds. The good sources must stay on schedule and alert within seconds, every bad
// source must be logged with its reason and backed off, memory must stay bounded, and nothing
// may crash. NEWSWATCH_HOSTILE_SECONDS (default 40) sets how long the daemon runs.
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "tests/support/raw_server.h"
#include "tests/support/sandbox.h"

namespace newswatch {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::ChildProcess;
using testing::open_fds;
using testing::proc_status_kb;
using testing::RawConnection;
using testing::RawHttpServer;
using testing::run_command;
using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;
using testing::wait_until;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

constexpr auto kPublishEvery = 2s;

std::chrono::seconds run_length() {
  const char* env = std::getenv("NEWSWATCH_HOSTILE_SECONDS");
  const long s = env ? std::strtol(env, nullptr, 10) : 0;
  return std::chrono::seconds(s > 0 ? s : 40);
}

std::string rss(const std::string& title, const std::string& items) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>" +
         title + "</title>" + items + "</channel></rss>";
}

std::string item(const std::string& title, const std::string& link) {
  return "<item><title>" + title + "</title><link>" + link + "</link><guid>" + link +
         "</guid></item>";
}

std::string page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>" + title +
         "</title></head><body><nav><a href=\"/\">Start</a></nav><article><h1>" + title + "</h1>" +
         body + "</article><footer>Impressum</footer></body></html>";
}

// One answer with a correct length, then the connection closes.
void answer(RawConnection& c, const std::string& content_type, const std::string& body) {
  c.send(testing::raw_head(200, "Content-Type: " + content_type + "\r\nContent-Length: " +
                                    std::to_string(body.size()) + "\r\nConnection: close\r\n") +
         body);
}

class HostileWeb : public testing::SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    m_t0 = Clock::now();
    m_good = std::make_unique<TestHttpServer>([this](const TestRequest& r) { return good(r); });
    m_hook = std::make_unique<TestHttpServer>([](const TestRequest&) {
      return TestResponse{200, {}, "ok"};
    });
    m_bomb = testing::gzip_zeros(256ull << 20);
  }

  // Two well-behaved feeds publishing "Nordkorea" stories every kPublishEvery, their articles,
  // and the articles of the HTTP/1.0 source.
  TestResponse good(const TestRequest& r) {
    const auto published = static_cast<int>((Clock::now() - m_t0) / kPublishEvery) + 1;
    for (const std::string feed : {"good1", "good2"}) {
      if (r.target == "/" + feed + ".xml") {
        std::string items;
        for (int n = std::max(0, published - 15); n < published; ++n) {
          items +=
              item("Nordkorea Meldung " + feed + " " + std::to_string(n),
                   "http://" + r.header("host") + "/" + feed + "/" + std::to_string(n) + ".html");
        }
        return {200, {{"Content-Type", "application/rss+xml"}}, rss(feed, items)};
      }
    }
    if (r.target.ends_with(".html") && r.target != "/robots.txt") {
      const std::string story = r.target.substr(1, r.target.size() - 6);
      return {200,
              {{"Content-Type", "text/html; charset=utf-8"}},
              page("Nordkorea: Bericht " + story,
                   "<p>Nordkorea meldet heute Neuigkeiten unter dem Kennzeichen " + story +
                       ".</p><p>Die Regierung in Pjöngjang äußerte sich zunächst nicht weiter "
                       "zu den Berichten aus Seoul und Tokio.</p>")};
    }
    return {404, {{"Content-Type", "text/plain"}}, "not found"};
  }

  // A source served by its own misbehaving host.
  void hostile(const std::string& name, testing::RawBehaviour behaviour,
               const std::string& kind = "feed") {
    const std::string address = "127.0.0." + std::to_string(10 + m_servers.size());
    m_servers[name] = std::make_unique<RawHttpServer>(address, std::move(behaviour));
    m_sources.push_back({name, m_servers[name]->url("/" + name + ".xml"), kind});
  }

  std::string config() const {
    std::string c =
        "[storage]\npath = \"db\"\n"
        "[fetch]\nallow_private_networks = true\ntimeout = \"3s\"\nconnect_timeout = \"2s\"\n"
        "host_delay = \"100ms\"\n"
        "[log]\nlevel = \"info\"\n"
        "[metrics]\nlisten = \"\"\n"
        "[[channels]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
        m_hook->url("/alerts") +
        "\"\n"
        "[[topics]]\nname = \"korea\"\nquery = \"Nordkorea\"\nchannels = [\"hook\"]\n";
    for (const auto& s : m_sources) {
      c += "[[sources]]\nname = \"" + s.name + "\"\nurl = \"" + s.url + "\"\nkind = \"" + s.kind +
           "\"\ninterval = \"1s\"\n";
    }
    return c;
  }

  struct Source {
    std::string name;
    std::string url;
    std::string kind;
  };
  Clock::time_point m_t0;
  std::unique_ptr<TestHttpServer> m_good;
  std::unique_ptr<TestHttpServer> m_hook;
  std::map<std::string, std::unique_ptr<RawHttpServer>> m_servers;
  std::vector<Source> m_sources;
  std::string m_bomb;
};

TEST_F(HostileWeb, GoodSourcesStayOnScheduleWhileBadOnesAreLoggedAndBackedOff) {
  m_sources.push_back({"good1", m_good->url("/good1.xml"), "feed"});
  m_sources.push_back({"good2", m_good->url("/good2.xml"), "feed"});

  // --- misbehaving feed hosts ---
  hostile("hang", [](RawConnection& c) { c.sleep(10min); });
  hostile("drip", [](RawConnection& c) {
    if (!c.send(testing::raw_head(200,
                                  "Content-Type: application/rss+xml\r\n"
                                  "Content-Length: 100000\r\n"))) {
      return;
    }
    const std::string feed = rss("drip", "");
    for (char ch : feed) {
      if (!c.send(std::string(1, ch)) || !c.sleep(1s)) return;
    }
  });
  hostile("huge", [](RawConnection& c) {
    if (!c.send(testing::raw_head(200,
                                  "Content-Type: application/rss+xml\r\n"
                                  "Content-Length: 2147483648\r\n"))) {
      return;
    }
    const std::string chunk(1 << 16, ' ');
    while (c.bytes_sent() < (2ull << 30) && c.send(chunk)) {
    }
  });
  hostile("endless", [](RawConnection& c) {
    if (!c.send(testing::raw_head(200,
                                  "Content-Type: application/rss+xml\r\n"
                                  "Transfer-Encoding: chunked\r\n"))) {
      return;
    }
    const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
    while (c.bytes_sent() < (2ull << 30) && c.send(chunk)) {
    }
  });
  hostile("bomb", [this](RawConnection& c) {
    c.send(testing::raw_head(200,
                             "Content-Type: application/rss+xml\r\nContent-Encoding: "
                             "gzip\r\nContent-Length: " +
                                 std::to_string(m_bomb.size()) + "\r\n") +
           m_bomb);
  });
  std::atomic<int> loop_polls{0};  // first requests only, not the redirects they lead to
  hostile("loop", [&loop_polls](RawConnection& c) {
    if (c.target().find("?n=") == std::string::npos) ++loop_polls;
    const std::string next =
        c.target().find("?n=") == std::string::npos
            ? "/loop.xml?n=1"
            : "/loop.xml?n=" +
                  std::to_string(std::stoi(c.target().substr(c.target().find("?n=") + 3)) + 1);
    c.send(testing::raw_head(302, "Location: " + next + "\r\nContent-Length: 0\r\n"));
  });
  hostile("wronglen", [](RawConnection& c) {
    const std::string body = rss("wronglen", item("Nordkorea kurz", "/x.html"));
    c.send(testing::raw_head(200, "Content-Type: application/rss+xml\r\nContent-Length: " +
                                      std::to_string(body.size() + 5000) + "\r\n") +
           body);
  });
  hostile("reset", [](RawConnection& c) {
    c.send(testing::raw_head(200, "Content-Type: application/rss+xml\r\nContent-Length: 5000\r\n") +
           "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>re");
    c.sleep(100ms);
    c.reset();
  });
  hostile("badchunk", [](RawConnection& c) {
    c.send(testing::raw_head(200,
                             "Content-Type: application/rss+xml\r\n"
                             "Transfer-Encoding: chunked\r\n") +
           "zz\r\n<rss>\r\n0\r\n\r\n");
  });
  hostile("errorpage", [](RawConnection& c) {
    answer(c, "text/html; charset=utf-8",
           "<html><head><title>Wartungsarbeiten</title></head><body><h1>Wir sind gleich "
           "zurück</h1><p>Diese Seite ist vorübergehend nicht erreichbar.</p></body></html>");
  });
  // HTTP/1.0 without Content-Length, ended by the close: old but legal; its stories count.
  hostile("http10", [this](RawConnection& c) {
    const auto published = static_cast<int>((Clock::now() - m_t0) / kPublishEvery) + 1;
    std::string items;
    for (int n = std::max(0, published - 15); n < published; ++n) {
      items += item("Nordkorea Altmeldung " + std::to_string(n),
                    m_good->url("/legacy/" + std::to_string(n) + ".html"));
    }
    c.send("HTTP/1.0 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n" + rss("http10", items));
  });

  // --- a host of strange articles, listed by a feed of 100,000 items and a small feed ---
  std::string deep = "<!DOCTYPE html><html><head><title>Tief</title></head><body>";
  for (int i = 0; i < 50'000; ++i) {
    deep += "<div class=\"l\">Ebene " + std::to_string(i) +
            ": Nordkorea und Russland verhandeln weiter über Lieferungen und Sanktionen. ";
  }
  deep += "</body></html>";
  std::string bad_utf8 = page("Nordkorea ungültig",
                              "<p>Nordkorea \xff\xfe kaputt \xc3 und \xe2\x82 abgeschnitten.</p>"
                              "<p>Mit NUL-Bytes mitten im Text.</p>");
  bad_utf8.insert(bad_utf8.find("NUL-Bytes") + 3, std::string("\0\0", 2));
  // Windows-1251 bytes ("Северная Корея") behind a header that claims UTF-8.
  const std::string liar =
      "<html><head><title>Korea</title></head><body><article><h1>\xd1\xe5\xe2\xe5\xf0\xed\xe0"
      "\xff \xca\xee\xf0\xe5\xff</h1><p>Nordkorea \xd1\xe5\xe2\xe5\xf0\xed\xe0\xff "
      "\xca\xee\xf0\xe5\xff \xe8 \xd0\xee\xf1\xf1\xe8\xff.</p></article></body></html>";
  auto* self = this;
  hostile("weird", [self, deep, bad_utf8, liar](RawConnection& c) {
    const std::string& t = c.target();
    if (t == "/weird.xml") {
      std::string items;
      for (const char* p : {"deep", "badutf8", "liar", "slowarticle", "bombarticle"}) {
        items += item(std::string("Nordkorea ") + p, std::string("/") + p + ".html");
      }
      answer(c, "application/rss+xml", rss("weird", items));
    } else if (t == "/deep.html") {
      answer(c, "text/html", deep);
    } else if (t == "/badutf8.html") {
      answer(c, "text/html; charset=utf-8", bad_utf8);
    } else if (t == "/liar.html") {
      answer(c, "text/html; charset=utf-8", liar);
    } else if (t == "/slowarticle.html") {
      c.sleep(10min);
    } else if (t == "/bombarticle.html") {
      c.send(testing::raw_head(200,
                               "Content-Type: text/html\r\nContent-Encoding: gzip\r\n"
                               "Content-Length: " +
                                   std::to_string(self->m_bomb.size()) + "\r\n") +
             self->m_bomb);
    } else {
      c.send(testing::raw_head(404, "Content-Length: 0\r\n"));
    }
  });
  // 100,000 items on a host of its own; 500 queue slots at a time are its share.
  std::string big_items;
  for (int i = 0; i < 100'000; ++i)
    big_items += "<item><link>/a/" + std::to_string(i) + "</link></item>";
  const std::string big = rss("big", big_items);
  hostile("big", [big](RawConnection& c) {
    if (c.target() == "/big.xml") {
      answer(c, "application/rss+xml", big);
    } else if (c.target().rfind("/a/", 0) == 0) {
      answer(c, "text/html; charset=utf-8",
             page("Archiv " + c.target(),
                  "<p>Ein alter Bericht ohne Bezug, Nummer " + c.target() + ".</p>"));
    } else {
      c.send(testing::raw_head(404, "Content-Length: 0\r\n"));
    }
  });

  const auto config_path = write_file("newswatch.toml", config());
  const auto log_path = sandbox() / "daemon.log";
  auto daemon = std::make_unique<ChildProcess>(
      std::vector<std::string>{NEWSWATCH_BINARY, "run", "--config", config_path.string()},
      log_path.string());
  const auto log = [&] { return testing::read_file(log_path); };

  const auto length = run_length();
  const auto started = Clock::now();
  long fds_early = -1;
  while (Clock::now() - started < length) {
    std::this_thread::sleep_for(1s);
    ASSERT_TRUE(daemon->running()) << "the daemon died\n" << log();
    if (fds_early < 0 && Clock::now() - started > 10s) fds_early = open_fds(daemon->pid());
  }
  const long peak_rss_kb = proc_status_kb(daemon->pid(), "VmHWM");
  const long fds_late = open_fds(daemon->pid());
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(30s), 0) << "SIGTERM with transfers hanging must still drain\n" << log();
  const std::string text = log();

  std::printf(
      "[ hostile ] %lds run: peak RSS %ld MiB, open fds %ld after 10 s and %ld at the end\n",
      static_cast<long>(length.count()), peak_rss_kb / 1024, fds_early, fds_late);
  RecordProperty("peak_rss_kb", std::to_string(peak_rss_kb));
  EXPECT_LT(peak_rss_kb, (kSanitized ? 1536L : 512L) * 1024) << "memory must stay bounded";
  EXPECT_LE(fds_late, fds_early + 20) << "descriptors leak";

  // Good sources: polled on schedule all along (adaptive interval 0.5-6 s plus jitter). A
  // sanitized daemon parses the hostile pages several times slower and its io thread competes
  // with the pool for the two cores, so there the bound is doubled (a CI run on a machine at
  // load 15 saw 10.3 s under ASan).
  const auto max_gap = kSanitized ? 16s : 8s;
  for (const std::string feed : {"/good1.xml", "/good2.xml"}) {
    std::vector<Clock::time_point> polls;
    for (const auto& r : m_good->requests()) {
      if (r.target == feed) polls.push_back(r.received);
    }
    ASSERT_GE(polls.size(), static_cast<std::size_t>(length / max_gap)) << feed << "\n" << text;
    for (std::size_t i = 1; i < polls.size(); ++i) {
      EXPECT_LT(polls[i] - polls[i - 1], max_gap) << feed << " poll " << i << " was late";
    }
  }

  // Their stories (and the HTTP/1.0 source's) were alerted within seconds of publication.
  std::map<std::string, Clock::time_point> alerted;
  for (const auto& r : m_hook->requests()) {
    const auto body = nlohmann::json::parse(r.body);
    const std::string url = body["article"]["url"];
    alerted.emplace(url.substr(url.find('/', 8)), r.received);
  }
  std::vector<double> latency;
  const int published_until_margin =
      static_cast<int>((length - 12s) / kPublishEvery);  // the last stories may still be due
  for (const std::string prefix : {"/good1/", "/good2/", "/legacy/"}) {
    for (int n = 0; n < published_until_margin; ++n) {
      const std::string path = prefix + std::to_string(n) + ".html";
      const auto it = alerted.find(path);
      if (it == alerted.end()) {
        ADD_FAILURE() << "no alert for " << path;
        continue;
      }
      latency.push_back(
          std::chrono::duration<double>(it->second - (m_t0 + n * kPublishEvery)).count());
    }
  }
  ASSERT_FALSE(latency.empty()) << text;
  std::sort(latency.begin(), latency.end());
  std::printf("[ hostile ] %zu good stories alerted, latency p50 %.1f s, max %.1f s\n",
              latency.size(), latency[latency.size() / 2], latency.back());
  // Doubled when sanitized, like the poll gap above (a TSan CI run saw p50 8.1 s, max 20.3 s).
  EXPECT_LT(latency[latency.size() / 2], kSanitized ? 16.0 : 8.0);

  // Every bad source: a clear reason in the log, and polled far less often than every second.
  for (const std::string bad : {"hang", "drip", "huge", "endless", "bomb", "loop", "wronglen",
                                "reset", "badchunk", "errorpage"}) {
    const auto at = text.find("fetch.source_failed source=" + bad + " ");
    ASSERT_NE(at, std::string::npos) << bad << " was not reported\n" << text;
    const std::string line = text.substr(at, text.find('\n', at) - at);
    EXPECT_NE(line.find("error="), std::string::npos) << line;
    const int polls = bad == "loop" ? loop_polls.load() : m_servers[bad]->hits("/" + bad + ".xml");
    EXPECT_GE(polls, 1) << bad;
    EXPECT_LE(polls, static_cast<int>(length / 1s) / 4 + 1) << bad << " was not backed off";
  }
  EXPECT_NE(text.find("source=errorpage"), std::string::npos);

  // The strange articles were survived: the deep and the mis-encoded ones are stored as valid
  // UTF-8 text, the slow and the bomb were given up on with a reason.
  EXPECT_NE(text.find("fetch.article_failed source=weird url=" +
                      m_servers["weird"]->url("/slowarticle.html")),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("fetch.article_failed source=weird url=" +
                      m_servers["weird"]->url("/bombarticle.html")),
            std::string::npos)
      << text;
  const auto listed = run_command(
      {NEWSWATCH_BINARY, "list", "--config", config_path.string(), "--json", "--limit", "100000"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::set<std::string> stored;
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);) {
    const auto row = nlohmann::json::parse(line);  // throws on invalid UTF-8
    stored.insert(row["url"].get<std::string>());
  }
  for (const char* p : {"/deep.html", "/badutf8.html", "/liar.html"}) {
    EXPECT_TRUE(stored.count(m_servers["weird"]->url(p))) << p << " was not stored\n" << text;
  }
  // The 100,000-item feed was read, and its articles queued without starving anyone.
  EXPECT_NE(text.find("source=big kind=rss entries=100000"), std::string::npos) << text;
}

}  // namespace
}  // namespace newswatch

namespace newswatch {
namespace {

// With fetch.allow_private_networks off (the default), article links that point into loopback
// or private networks are refused before any connection is made, with a clear log line; the
// configured feed itself is still fetched.
TEST_F(HostileWeb, ArticleLinksIntoPrivateNetworksAreRefused) {
  RawHttpServer internal("127.0.0.40", [](RawConnection& c) {
    answer(c, "text/html", page("Intern", "<p>Nordkorea intern.</p>"));
  });
  const std::string feed =
      rss("ssrf", item("Nordkorea intern", internal.url("/admin.html")) +
                      item("Nordkorea Metadaten", "http://169.254.169.254/latest/meta-data/"));
  m_good->stop();
  TestHttpServer site([&](const TestRequest&) {
    return TestResponse{200, {{"Content-Type", "application/rss+xml"}}, feed};
  });
  const auto config_path =
      write_file("newswatch.toml",
                 "[storage]\npath = \"db\"\n[fetch]\nrobots = false\n"
                 "[metrics]\nlisten = \"\"\n[[sources]]\nname = \"ssrf\"\nurl = \"" +
                     site.url("/feed.xml") + "\"\nkind = \"feed\"\ninterval = \"1s\"\n");
  const auto log_path = sandbox() / "daemon.log";
  ChildProcess daemon({NEWSWATCH_BINARY, "run", "--config", config_path.string()},
                      log_path.string());
  const auto log = [&] { return testing::read_file(log_path); };
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string t = log();
        return t.find("url=" + internal.url("/admin.html")) != std::string::npos &&
               t.find("url=http://169.254.169.254/") != std::string::npos;
      },
      20s))
      << log();
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(20s), 0) << log();
  EXPECT_EQ(internal.hits("/admin.html"), 0) << "the guard must act before connecting";
  const std::string text = log();
  const auto at = text.find("fetch.article_failed source=ssrf url=" + internal.url("/admin.html"));
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_NE(text.substr(at, text.find('\n', at) - at).find("refused"), std::string::npos) << text;
}

}  // namespace
}  // namespace newswatch
