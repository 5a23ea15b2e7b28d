// Soak and polling-capacity benchmark (issues 3 and 9; not run by CI). Serves N local news sources
// spread over H loopback hosts (127.0.1.1, 127.0.1.2, ...), each publishing a new article every
// P seconds, runs the real `newswatch` daemon against them with a webhook receiver, and reports
// every 10 s: feed polls served, articles fetched, alerts received, the daemon's RSS, open file
// descriptors and CPU. At the end: throughput, alert latency from publication to webhook (p50,
// p99, max), and RSS/fd drift. Before the daemon starts, the bare HTTP engine (fetchers::
// HttpClient, no parsing, no store) fetches every feed once as the baseline for the same
// servers on the same machine.
//
//   build/bench/soak_bench [--sources=2000] [--hosts=50] [--minutes=60] [--publish=300]
//                          [--interval=60s] [--binary=build/newswatch]
//
// A 1-hour run at the defaults is the soak of issue 9; `--sources=10000 --minutes=5
// --interval=1m` measures polling capacity (issue 3).
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_args.h"
#include "bench/proc_stat.h"
#include "fetchers/http_client.h"
#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "tests/support/smtp_sink.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using newswatch::bench::process_cpu_seconds;
using newswatch::testing::ChildProcess;
using newswatch::testing::TestHttpServer;
using newswatch::testing::TestRequest;
using newswatch::testing::TestResponse;

struct Options {
  int sources = 2000;
  int hosts = 50;
  int minutes = 60;
  int publish = 300;  // seconds between two articles of one source
  std::string interval = "60s";
  std::string binary = "build/newswatch";
};

Options parse(int argc, char** argv) {
  using newswatch::bench::arg_int;
  using newswatch::bench::arg_str;
  Options o;
  o.sources = arg_int(argc, argv, "--sources", o.sources);
  o.hosts = arg_int(argc, argv, "--hosts", o.hosts);
  o.minutes = arg_int(argc, argv, "--minutes", o.minutes);
  o.publish = arg_int(argc, argv, "--publish", o.publish);
  o.interval = arg_str(argc, argv, "--interval", o.interval);
  o.binary = arg_str(argc, argv, "--binary", o.binary);
  return o;
}

// The news sites: source s publishes article k at start + offset(s) + k * publish.
class Sites {
 public:
  Sites(const Options& o) : m_o(o), m_start(Clock::now()) {
    for (int h = 0; h < o.hosts; ++h) {
      const std::string address = "127.0.1." + std::to_string(h + 1);
      m_servers.push_back(std::make_unique<TestHttpServer>(
          [this](const TestRequest& r) { return serve(r); }, address));
      m_servers.back()->set_recording(false);
    }
  }

  std::string feed_url(int s) const {
    return m_servers[static_cast<std::size_t>(s % m_o.hosts)]->url("/s" + std::to_string(s) +
                                                                   "/feed.xml");
  }

  Clock::time_point published_at(int s, int k) const {
    return m_start + offset(s) + std::chrono::seconds(static_cast<long>(k) * m_o.publish);
  }

  std::size_t feed_polls() const { return m_polls; }
  std::size_t article_fetches() const { return m_articles; }

 private:
  std::chrono::milliseconds offset(int s) const {
    return std::chrono::milliseconds((static_cast<long>(s) * 7919) % (m_o.publish * 1000L));
  }

  int published(int s) const {
    const auto since = Clock::now() - m_start - offset(s);
    if (since < 0s) return 0;
    return static_cast<int>(since / std::chrono::seconds(m_o.publish)) + 1;
  }

  TestResponse serve(const TestRequest& r) {
    int s = -1, k = -1;
    if (std::sscanf(r.target.c_str(), "/s%d/a%d.html", &s, &k) == 2) {
      ++m_articles;
      std::mt19937 rng(static_cast<unsigned>(s * 100003 + k));
      std::string body = std::string("<p>") + (k % 2 == 0 ? "Nordkorea" : "Wetter");
      for (int i = 0; i < 400; ++i) {
        body += ' ';
        for (int c = 0; c < 7; ++c) body += static_cast<char>('a' + rng() % 26);
        if (i % 40 == 39) body += ".</p><p>";
      }
      return {200,
              {{"Content-Type", "text/html; charset=utf-8"}},
              "<html lang=\"de\"><head><title>Meldung " + std::to_string(s) + "-" +
                  std::to_string(k) + "</title></head><body><article><h1>Meldung</h1>" + body +
                  ".</p></article></body></html>"};
    }
    if (std::sscanf(r.target.c_str(), "/s%d/feed.xml", &s) == 1) {
      ++m_polls;
      const int n = published(s);
      const std::string etag = "\"" + std::to_string(n) + "\"";
      if (r.header("if-none-match") == etag) return {304, {{"ETag", etag}}, ""};
      std::string items;
      for (int i = std::max(0, n - 10); i < n; ++i) {
        items += "<item><title>Meldung " + std::to_string(s) + "-" + std::to_string(i) +
                 "</title><link>" +
                 m_servers[static_cast<std::size_t>(s % m_o.hosts)]->url(
                     "/s" + std::to_string(s) + "/a" + std::to_string(i) + ".html") +
                 "</link></item>";
      }
      return {200,
              {{"Content-Type", "application/rss+xml"}, {"ETag", etag}},
              "<rss version=\"2.0\"><channel><title>S</title>" + items + "</channel></rss>"};
    }
    if (r.target == "/robots.txt") return {404, {}, ""};
    return {404, {}, "not found"};
  }

  Options m_o;
  Clock::time_point m_start;
  std::vector<std::unique_ptr<TestHttpServer>> m_servers;
  std::atomic<std::size_t> m_polls{0};
  std::atomic<std::size_t> m_articles{0};
};

// The baseline: the bare HTTP engine fetches every feed once, all queued at once.
void baseline(const Options& o, const Sites& sites) {
  boost::asio::io_context io;
  newswatch::fetchers::HttpClient client(io, {});
  std::size_t ok = 0;
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  const auto t0 = Clock::now();
  for (int s = 0; s < o.sources; ++s) {
    newswatch::fetchers::HttpRequest req;
    req.url = sites.feed_url(s);
    req.allow_private_networks = true;
    client.fetch(std::move(req), [&](newswatch::Result<newswatch::fetchers::HttpResponse> r) {
      ok += r && r->status == 200;
    });
  }
  io.run();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  getrusage(RUSAGE_SELF, &after);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  const double cpu =
      secs(after.ru_utime) - secs(before.ru_utime) + secs(after.ru_stime) - secs(before.ru_stime);
  std::printf(
      "baseline: bare HttpClient fetched %zu/%d feeds in %.2f s (%.0f fetches/s; %.2f CPU s "
      "for client and servers together)\n",
      ok, o.sources, wall, o.sources / wall, cpu);
}

// The daemon's io-loop lag lines from its /metrics.
std::string io_loop_lag(int port) {
  boost::asio::io_context io;
  newswatch::fetchers::HttpClient client(io, {});
  newswatch::fetchers::HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
  req.allow_private_networks = true;
  std::string out;
  client.fetch(std::move(req), [&](newswatch::Result<newswatch::fetchers::HttpResponse> r) {
    if (!r) return;
    std::istringstream lines(r->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("newswatch_io_loop_lag", 0) == 0) out += "  " + line + "\n";
    }
  });
  io.run();
  return "io loop lag (daemon /metrics):\n" + out;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::printf(
      "soak: %d sources on %d hosts, a new article per source every %d s, interval %s, "
      "%d minutes\n",
      o.sources, o.hosts, o.publish, o.interval.c_str(), o.minutes);
  Sites sites(o);
  baseline(o, sites);
  const std::size_t baseline_polls = sites.feed_polls();

  std::mutex mutex;
  std::vector<double> latencies;
  std::size_t alerts = 0;
  TestHttpServer hook([&](const TestRequest& r) {
    int s = -1, k = -1;
    for (auto at = r.body.find("/s"); at != std::string::npos; at = r.body.find("/s", at + 1)) {
      if (std::sscanf(r.body.c_str() + at, "/s%d/a%d.html", &s, &k) == 2) break;
    }
    if (k >= 0) {
      const double l = std::chrono::duration<double>(r.received - sites.published_at(s, k)).count();
      std::lock_guard lock(mutex);
      latencies.push_back(l);
    }
    std::lock_guard lock(mutex);
    ++alerts;
    return TestResponse{200, {}, "ok"};
  });
  hook.set_recording(false);

  const int metrics_port = newswatch::testing::free_loopback_port();
  const auto dir =
      std::filesystem::temp_directory_path() / ("newswatch-soak-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string config =
      "[storage]\npath = \"db\"\n[fetch]\nallow_private_networks = true\n"
      "[log]\nlevel = \"warn\"\n[metrics]\nlisten = \"127.0.0.1:" +
      std::to_string(metrics_port) +
      "\"\n"
      "[[channels]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
      hook.url("/alerts") +
      "\"\n[[topics]]\nname = \"korea\"\nquery = \"Nordkorea\"\nchannels = [\"hook\"]\n";
  for (int s = 0; s < o.sources; ++s) {
    config += "[[sources]]\nname = \"s" + std::to_string(s) + "\"\nurl = \"" + sites.feed_url(s) +
              "\"\nkind = \"feed\"\ninterval = \"" + o.interval + "\"\n";
  }
  std::ofstream(dir / "newswatch.toml") << config;
  ChildProcess daemon({o.binary, "run", "--config", (dir / "newswatch.toml").string()},
                      (dir / "daemon.log").string());

  std::printf("%8s %10s %10s %8s %9s %6s %7s\n", "t[s]", "polls", "articles", "alerts", "RSS[MiB]",
              "fds", "CPU[%]");
  const auto start = Clock::now();
  double last_cpu = 0;
  auto last = start;
  long rss_first = -1, rss_min = 1L << 40, rss_max = 0, fd_min = 1L << 30, fd_max = 0;
  while (Clock::now() - start < std::chrono::minutes(o.minutes)) {
    std::this_thread::sleep_for(10s);
    if (!daemon.running()) {
      std::printf("the daemon exited; see %s\n", (dir / "daemon.log").c_str());
      return 1;
    }
    const auto now = Clock::now();
    const double cpu = process_cpu_seconds(daemon.pid());
    const double pct = 100 * (cpu - last_cpu) / std::chrono::duration<double>(now - last).count();
    last_cpu = cpu;
    last = now;
    const long rss = newswatch::testing::proc_status_kb(daemon.pid(), "VmRSS") / 1024;
    const long fds = newswatch::testing::open_fds(daemon.pid());
    const double t = std::chrono::duration<double>(now - start).count();
    if (t > std::min(120.0, o.minutes * 15.0)) {  // after the first catching up
      if (rss_first < 0) rss_first = rss;
      rss_min = std::min(rss_min, rss);
      rss_max = std::max(rss_max, rss);
      fd_min = std::min(fd_min, fds);
      fd_max = std::max(fd_max, fds);
    }
    std::size_t a;
    {
      std::lock_guard lock(mutex);
      a = alerts;
    }
    std::printf("%8.0f %10zu %10zu %8zu %9ld %6ld %7.1f\n", t, sites.feed_polls() - baseline_polls,
                sites.article_fetches(), a, rss, fds, pct);
    std::fflush(stdout);
  }
  std::printf("%s", io_loop_lag(metrics_port).c_str());
  const double total_cpu = process_cpu_seconds(daemon.pid());
  daemon.signal(SIGTERM);
  const int code = daemon.wait(60s);
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const std::size_t polls = sites.feed_polls() - baseline_polls;
  std::lock_guard lock(mutex);
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty() ? -1.0
                             : latencies[std::min(latencies.size() - 1,
                                                  static_cast<std::size_t>(p * latencies.size()))];
  };
  std::printf(
      "summary: %.0f s, %zu polls (%.1f/s), %zu articles fetched (%.1f/s), %zu alerts; daemon "
      "CPU %.1f s (%.2f ms per poll); alert latency from publication p50 %.1f s, p99 %.1f s, "
      "max %.1f s; RSS after warm-up %ld..%ld MiB (first %ld); fds %ld..%ld; exit %d\n",
      wall, polls, polls / wall, sites.article_fetches(), sites.article_fetches() / wall, alerts,
      total_cpu, 1000 * total_cpu / std::max<std::size_t>(1, polls), pct(0.5), pct(0.99), pct(1.0),
      rss_min, rss_max, rss_first, fd_min, fd_max, code);
  std::filesystem::remove_all(dir);
  return code == 0 ? 0 : 1;
}
