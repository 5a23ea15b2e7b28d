// Polling-capacity benchmark against nginx (issue 3; not run by CI). Starts the Debian nginx on
// H loopback addresses (127.0.1.1 ... 127.0.1.H, one "host" each, so the daemon's per-host
// connection limit stays on) with a private prefix in a temp dir, serving N small static feeds
// (nginx answers If-None-Match / If-Modified-Since with 304), and measures in one run:
//
//  1. the ceiling: `wrk` (when installed) and `curl --parallel --parallel-max C` fetching the same
//     N URLs with a conditional header, answered 304 by the same nginx;
//  2. RSS per idle source: the daemon on one database with 0 and with N sources that are not due
//     (polled once before, next poll an hour away), so RocksDB's share is the same in both;
//  3. sustained polling: the real daemon with N sources whose interval is pinned to `--interval`
//     (offered load N / interval polls/s), measured from its /metrics after a warm-up: polls/s,
//     200/304 split, daemon and nginx CPU, RSS, io-loop lag (newswatch_io_loop_lag_seconds).
//
//   build/bench/poll_bench [--sources=10000] [--hosts=100] [--seconds=30] [--warmup=15]
//                          [--interval=2s] [--runs=3] [--connections=64] [--workers=1]
//                          [--binary=build/newswatch] [--keep] [--skip-idle] [--nice=-20]
//
// --nice runs the daemon at that nice value: on a machine shared with other work, io-loop lag
// that disappears at -20 was CPU starvation by other processes, not blocking in the daemon.
//
// Exit 2 when nginx is not installed (it prints the apt-get line to run).
#include <signal.h>
#include <sys/stat.h>

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
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_args.h"
#include "bench/proc_stat.h"
#include "fetchers/http_client.h"
#include "tests/support/process.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using newswatch::bench::process_cpu_seconds;
using newswatch::testing::ChildProcess;

struct Options {
  int sources = 10'000;
  int hosts = 100;
  int seconds = 30;
  int warmup = 15;
  std::string interval = "2s";
  int runs = 3;
  int connections = 64;
  int workers = 1;
  std::string binary = "build/newswatch";
  bool keep = false;
  int nice = 0;  // the daemon's nice value for the load runs (needs root below 0)
  bool skip_idle = false;
};

Options parse(int argc, char** argv) {
  using newswatch::bench::arg_flag;
  using newswatch::bench::arg_int;
  using newswatch::bench::arg_str;
  Options o;
  o.sources = arg_int(argc, argv, "--sources", o.sources);
  o.hosts = std::clamp(arg_int(argc, argv, "--hosts", o.hosts), 1, 250);
  o.seconds = arg_int(argc, argv, "--seconds", o.seconds);
  o.warmup = arg_int(argc, argv, "--warmup", o.warmup);
  o.interval = arg_str(argc, argv, "--interval", o.interval);
  o.runs = std::max(1, arg_int(argc, argv, "--runs", o.runs));
  o.connections = arg_int(argc, argv, "--connections", o.connections);
  o.workers = arg_int(argc, argv, "--workers", o.workers);
  o.binary = arg_str(argc, argv, "--binary", o.binary);
  o.nice = arg_int(argc, argv, "--nice", o.nice);
  o.keep = arg_flag(argc, argv, "--keep");
  o.skip_idle = arg_flag(argc, argv, "--skip-idle");
  return o;
}

std::string find_program(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    const fs::path p = fs::path(dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

// CPU seconds of `pid` and its children (nginx's master and workers).
double tree_cpu_seconds(pid_t pid) {
  double total = process_cpu_seconds(pid);
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string n = e.path().filename().string();
    if (n.empty() || !std::isdigit(static_cast<unsigned char>(n[0]))) continue;
    pid_t parent = 0;
    const double c = process_cpu_seconds(std::atoi(n.c_str()), &parent);
    if (parent == pid) total += c;
  }
  return total;
}

int free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

bool accepts(const std::string& address, int port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  boost::system::error_code ec;
  s.connect({boost::asio::ip::make_address(address), static_cast<unsigned short>(port)}, ec);
  return !ec;
}

// One GET over the project's own HTTP engine (for /metrics and the 304 self-check).
std::optional<newswatch::fetchers::HttpResponse> get(const std::string& url,
                                                     const std::string& last_modified = {}) {
  boost::asio::io_context io;
  newswatch::fetchers::HttpClient client(io, {});
  newswatch::fetchers::HttpRequest req;
  req.url = url;
  req.last_modified = last_modified;
  req.allow_private_networks = true;
  std::optional<newswatch::fetchers::HttpResponse> out;
  client.fetch(std::move(req), [&](newswatch::Result<newswatch::fetchers::HttpResponse> r) {
    if (r) out = std::move(*r);
  });
  io.run();
  return out;
}

// The daemon's /metrics as name{labels} -> value.
std::map<std::string, double> scrape(int port) {
  std::map<std::string, double> m;
  const auto r = get("http://127.0.0.1:" + std::to_string(port) + "/metrics");
  if (!r) return m;
  std::istringstream lines(r->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    m[line.substr(0, sp)] = std::strtod(line.c_str() + sp + 1, nullptr);
  }
  return m;
}

double sum_prefix(const std::map<std::string, double>& m, const std::string& prefix) {
  double s = 0;
  for (const auto& [k, v] : m) {
    if (k.rfind(prefix, 0) == 0) s += v;
  }
  return s;
}

double polls(const std::map<std::string, double>& m) {
  return sum_prefix(m, "newswatch_feed_polls_total");
}

// The 1-minute load average: how busy the shared machine was.
double loadavg() {
  double l = 0;
  std::ifstream("/proc/loadavg") >> l;
  return l;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Site {
  fs::path dir;
  int port = 0;
  int hosts = 0;
  std::string last_modified;  // the same for every feed (all files get one mtime)
  std::unique_ptr<ChildProcess> nginx;

  std::string host(int s) const { return "127.0.1." + std::to_string(s % hosts + 1); }
  std::string url(int s) const {
    return "http://" + host(s) + ":" + std::to_string(port) + "/s" + std::to_string(s) + ".xml";
  }
};

// Writes N feeds (each links two stories that robots.txt disallows, so the benchmark measures
// polling, not article fetching) and nginx's config, and starts nginx in the foreground.
bool start_site(const Options& o, const std::string& nginx, Site& site) {
  site.hosts = o.hosts;
  site.port = free_port();
  const fs::path www = site.dir / "www";
  fs::create_directories(www);
  fs::create_directories(site.dir / "nginx" / "logs");
  fs::permissions(site.dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
  const auto mtime = fs::last_write_time(site.dir) - std::chrono::hours(24);
  for (int s = 0; s < o.sources; ++s) {
    const std::string base = "http://" + site.host(s) + ":" + std::to_string(site.port);
    std::string feed =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>Source " +
        std::to_string(s) + "</title><link>" + base + "/</link>";
    for (int k = 0; k < 2; ++k) {
      const std::string id = std::to_string(s) + "-" + std::to_string(k);
      feed += "<item><title>Story " + id + "</title><link>" + base + "/a/" + id +
              ".html</link><pubDate>Mon, 30 Nov 2026 10:0" + std::to_string(k) +
              ":00 GMT</pubDate></item>";
    }
    feed += "</channel></rss>\n";
    const fs::path p = www / ("s" + std::to_string(s) + ".xml");
    std::ofstream(p) << feed;
    fs::last_write_time(p, mtime);
  }
  std::ofstream(www / "robots.txt") << "User-agent: *\nDisallow: /a/\n";

  const fs::path prefix = site.dir / "nginx";
  std::string listen;
  for (int h = 1; h <= o.hosts; ++h) {
    listen += "    listen 127.0.1." + std::to_string(h) + ":" + std::to_string(site.port) + ";\n";
  }
  std::ofstream(prefix / "nginx.conf")
      << "daemon off;\nmaster_process on;\nworker_processes " << o.workers << ";\npid "
      << (prefix / "nginx.pid").string() << ";\nerror_log "
      << (prefix / "logs" / "error.log").string()
      << " warn;\nworker_rlimit_nofile 65536;\nevents { worker_connections 8192; }\n"
         "http {\n  access_log off;\n  sendfile on;\n  tcp_nodelay on;\n"
         "  keepalive_requests 10000000;\n  keepalive_timeout 300s;\n"
         "  open_file_cache max=20000 inactive=300s;\n  open_file_cache_valid 300s;\n"
         "  types { application/rss+xml xml; text/plain txt; }\n"
         "  client_body_temp_path "
      << (prefix / "body").string() << ";\n  proxy_temp_path " << (prefix / "proxy").string()
      << ";\n  fastcgi_temp_path " << (prefix / "fastcgi").string() << ";\n  uwsgi_temp_path "
      << (prefix / "uwsgi").string() << ";\n  scgi_temp_path " << (prefix / "scgi").string()
      << ";\n  server {\n"
      << listen << "    root " << www.string() << ";\n  }\n}\n";
  site.nginx = std::make_unique<ChildProcess>(
      std::vector<std::string>{nginx, "-p", prefix.string(), "-c", (prefix / "nginx.conf").string(),
                               "-e", (prefix / "logs" / "error.log").string()},
      (prefix / "logs" / "stdout.log").string());
  const auto until = Clock::now() + 10s;
  while (Clock::now() < until) {
    if (!site.nginx->running()) break;
    if (accepts(site.host(o.hosts - 1), site.port)) {
      const auto first = get(site.url(0));
      if (!first || first->status != 200) break;
      site.last_modified = first->last_modified;
      const auto again = get(site.url(0), site.last_modified);
      if (!again || again->status != 304) {
        std::printf("nginx did not answer If-Modified-Since with 304\n");
        return false;
      }
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  std::printf("nginx did not start; see %s\n", (prefix / "logs" / "error.log").c_str());
  return false;
}

struct Ceiling {
  double wrk = 0;   // requests/s, 0 when wrk is missing
  double curl = 0;  // requests/s
  int curl_304 = 0;
};

Ceiling measure_ceiling(const Options& o, const Site& site) {
  Ceiling c;
  const std::string wrk = find_program("wrk");
  if (!wrk.empty()) {
    std::ofstream(site.dir / "cycle.lua")
        << "local i = 0\nlocal n = " << o.sources << "\nlocal lm = \"" << site.last_modified
        << "\"\nrequest = function()\n  i = (i + 1) % n\n"
           "  return wrk.format(\"GET\", \"/s\" .. i .. \".xml\", {[\"If-Modified-Since\"] = lm})\n"
           "end\n";
    const auto r = newswatch::testing::run_command(
        {wrk, "-t2", "-c" + std::to_string(o.connections), "-d10s", "-s",
         (site.dir / "cycle.lua").string(), "http://127.0.1.1:" + std::to_string(site.port) + "/"},
        60s);
    const auto at = r.out.find("Requests/sec:");
    if (at != std::string::npos) c.wrk = std::strtod(r.out.c_str() + at + 13, nullptr);
  }
  {
    std::ofstream cfg(site.dir / "curl.cfg");
    for (int s = 0; s < o.sources; ++s) {
      cfg << "url = \"" << site.url(s) << "\"\noutput = \"/dev/null\"\n";
    }
  }
  const auto t0 = Clock::now();
  const auto r = newswatch::testing::run_command(
      {find_program("curl"), "--silent", "--parallel", "--parallel-max",
       std::to_string(o.connections), "--header", "If-Modified-Since: " + site.last_modified,
       "--write-out", "%{http_code}\n", "--config", (site.dir / "curl.cfg").string()},
      300s);
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::istringstream codes(r.out);
  int n = 0;
  for (std::string line; std::getline(codes, line);) {
    ++n;
    c.curl_304 += line == "304";
  }
  c.curl = n / wall;
  return c;
}

std::string daemon_config(const Site& site, const fs::path& db, int metrics_port, int sources,
                          const std::string& interval) {
  std::string config = "[storage]\npath = \"" + db.string() +
                       "\"\n[log]\nlevel = \"warn\"\n[metrics]\nlisten = \"127.0.0.1:" +
                       std::to_string(metrics_port) + "\"\n";
  for (int s = 0; s < sources; ++s) {
    config += "[[sources]]\nname = \"s" + std::to_string(s) + "\"\nurl = \"" + site.url(s) +
              "\"\nkind = \"feed\"\ninterval = \"" + interval + "\"\nmin_interval = \"" + interval +
              "\"\nmax_interval = \"" + interval + "\"\n";
  }
  return config;
}

// A daemon run: started with `sources` sources, reachable on its metrics port.
struct Daemon {
  Daemon(const Options& o, const Site& site, const fs::path& dir, const fs::path& db, int sources,
         const std::string& interval, int nice = 0)
      : port(free_port()) {
    fs::create_directories(dir);
    std::ofstream(dir / "newswatch.toml") << daemon_config(site, db, port, sources, interval);
    log = dir / "daemon.log";
    std::vector<std::string> args{o.binary, "run", "--config", (dir / "newswatch.toml").string()};
    if (nice != 0) args.insert(args.begin(), {find_program("nice"), "-n", std::to_string(nice)});
    process = std::make_unique<ChildProcess>(args, log.string());
    newswatch::testing::wait_until([&] { return !scrape(port).empty() || !process->running(); },
                                   60s);
  }
  bool stop() {
    process->signal(SIGTERM);
    return process->wait(60s) == 0;
  }
  long rss_kb() const { return newswatch::testing::proc_status_kb(process->pid(), "VmRSS"); }
  int port;
  fs::path log;
  std::unique_ptr<ChildProcess> process;
};

// The control for the daemon's io-loop lag: a thread of this process that only sleeps to 100 ms
// deadlines and records how late it wakes. On a machine shared with other work, lateness that
// this idle thread also sees is the scheduler's, not the daemon's.
class LagProbe {
 public:
  LagProbe()
      : m_thread([this] {
          auto due = Clock::now() + 100ms;
          while (!m_stop) {
            std::this_thread::sleep_until(due);
            const double lag = std::chrono::duration<double>(Clock::now() - due).count();
            ++m_ticks;
            m_over_1ms += lag > 0.001;
            m_over_5ms += lag > 0.005;
            m_max = std::max(m_max.load(), lag);
            due += 100ms;
            if (due < Clock::now()) due = Clock::now() + 100ms;
          }
        }) {}
  ~LagProbe() {
    m_stop = true;
    m_thread.join();
  }
  int ticks() const { return m_ticks; }
  int over_1ms() const { return m_over_1ms; }
  int over_5ms() const { return m_over_5ms; }
  double max() const { return m_max; }

 private:
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_ticks{0}, m_over_1ms{0}, m_over_5ms{0};
  std::atomic<double> m_max{0};
  std::thread m_thread;
};

struct LoadResult {
  double polls_per_s = 0;
  double share_304 = 0;
  double errors = 0;
  double cpu_pct = 0;
  double cpu_ms_per_poll = 0;
  double nginx_cpu_pct = 0;
  long rss_mib = 0;
  double lag_ticks = 0;
  double lag_over_1ms = 0;
  double lag_over_5ms = 0;
  double lag_max = 0;           // since start (includes loading the sources)
  double lag_window_bound = 0;  // the smallest bucket bound holding every tick of the window
  double fetch_mean_ms = 0;
  int control_ticks = 0, control_over_1ms = 0, control_over_5ms = 0;
  double control_max = 0;
};

LoadResult measure_load(const Options& o, const Site& site, const fs::path& dir) {
  Daemon d(o, site, dir, dir / "db", o.sources, o.interval, o.nice);
  LoadResult r;
  std::this_thread::sleep_for(std::chrono::seconds(o.warmup));
  const auto m0 = scrape(d.port);
  const double cpu0 = process_cpu_seconds(d.process->pid());
  const double ncpu0 = tree_cpu_seconds(site.nginx->pid());
  const auto t0 = Clock::now();
  {
    LagProbe control;
    std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
    r.control_ticks = control.ticks();
    r.control_over_1ms = control.over_1ms();
    r.control_over_5ms = control.over_5ms();
    r.control_max = control.max();
  }
  const auto m1 = scrape(d.port);
  const double cpu1 = process_cpu_seconds(d.process->pid());
  const double ncpu1 = tree_cpu_seconds(site.nginx->pid());
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  r.rss_mib = d.rss_kb() / 1024;
  auto delta = [&](const std::string& key) {
    const auto a = m0.find(key), b = m1.find(key);
    return (b == m1.end() ? 0 : b->second) - (a == m0.end() ? 0 : a->second);
  };
  const double n = polls(m1) - polls(m0);
  r.polls_per_s = n / wall;
  r.share_304 = n > 0 ? delta("newswatch_feed_polls_total{result=\"not_modified\"}") / n : 0;
  r.errors = delta("newswatch_feed_polls_total{result=\"error\"}");
  r.cpu_pct = 100 * (cpu1 - cpu0) / wall;
  r.cpu_ms_per_poll = n > 0 ? 1000 * (cpu1 - cpu0) / n : 0;
  r.nginx_cpu_pct = 100 * (ncpu1 - ncpu0) / wall;
  r.lag_ticks = delta("newswatch_io_loop_lag_seconds_count");
  r.lag_over_1ms = r.lag_ticks - delta("newswatch_io_loop_lag_seconds_bucket{le=\"0.001\"}");
  r.lag_over_5ms = r.lag_ticks - delta("newswatch_io_loop_lag_seconds_bucket{le=\"0.005\"}");
  r.lag_window_bound = -1;  // beyond the largest bound
  for (const char* bound :
       {"0.0001", "0.0005", "0.001", "0.002", "0.005", "0.01", "0.05", "0.1", "0.5", "1"}) {
    const std::string key =
        std::string("newswatch_io_loop_lag_seconds_bucket{le=\"") + bound + "\"}";
    if (delta(key) >= r.lag_ticks) {
      r.lag_window_bound = std::strtod(bound, nullptr);
      break;
    }
  }
  r.lag_max = m1.count("newswatch_io_loop_lag_max_seconds")
                  ? m1.at("newswatch_io_loop_lag_max_seconds")
                  : -1;
  const double fetches = delta("newswatch_fetch_seconds_count{kind=\"feed\"}");
  r.fetch_mean_ms =
      fetches > 0 ? 1000 * delta("newswatch_fetch_seconds_sum{kind=\"feed\"}") / fetches : 0;
  if (!d.stop()) std::printf("  (daemon did not exit 0 after SIGTERM; see %s)\n", d.log.c_str());
  return r;
}

// RSS with 0 and with N idle sources on the same database: N sources are polled once (next poll
// an hour away), then the daemon is restarted with 0 and with N of them.
void measure_idle(const Options& o, const Site& site) {
  const fs::path dir = site.dir / "idle";
  {
    Daemon prep(o, site, dir / "prep", dir / "db", o.sources, "1h");
    newswatch::testing::wait_until(
        [&] { return polls(scrape(prep.port)) >= o.sources || !prep.process->running(); }, 300s);
    prep.stop();
  }
  long rss[2] = {0, 0};
  double polled = 0;
  for (int i = 0; i < 2; ++i) {
    Daemon d(o, site, dir / (i == 0 ? "zero" : "all"), dir / "db", i == 0 ? 0 : o.sources, "1h");
    std::this_thread::sleep_for(5s);
    rss[i] = d.rss_kb();
    if (i == 1) polled = polls(scrape(d.port));
    d.stop();
  }
  std::printf(
      "idle: RSS %ld KiB with 0 sources, %ld KiB with %d idle sources (polls during the "
      "measurement: %.0f) -> %.2f KiB per idle source\n",
      rss[0], rss[1], o.sources, polled,
      static_cast<double>(rss[1] - rss[0]) / std::max(1, o.sources));
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const std::string nginx = find_program("nginx");
  if (nginx.empty()) {
    std::printf("nginx is not installed; run:\n  apt-get install -y nginx-light\n");
    return 2;
  }
  if (::access(o.binary.c_str(), X_OK) != 0) {
    std::printf("%s not found (build it, or pass --binary=PATH)\n", o.binary.c_str());
    return 1;
  }
  Site site;
  site.dir = fs::temp_directory_path() / ("newswatch-poll-" + std::to_string(::getpid()));
  std::printf(
      "poll_bench: %d feeds on %d loopback hosts (nginx, %d worker), interval %s (offered: %d "
      "polls per %s), %d s measured after %d s warm-up, %d runs\n",
      o.sources, o.hosts, o.workers, o.interval.c_str(), o.sources, o.interval.c_str(), o.seconds,
      o.warmup, o.runs);
  if (!start_site(o, nginx, site)) return 1;
  if (!o.skip_idle) measure_idle(o, site);

  std::vector<double> ratios, rates, ceilings;
  for (int run = 1; run <= o.runs; ++run) {
    const Ceiling c = measure_ceiling(o, site);
    const LoadResult r = measure_load(o, site, site.dir / ("run" + std::to_string(run)));
    const double ceiling = std::max(c.wrk, c.curl);
    std::printf(
        "run %d (load average %.1f): ceiling wrk -c%d %.0f req/s, curl --parallel-max %d %.0f "
        "req/s (%d of %d 304)\n"
        "  newswatch %.0f polls/s (%.1f %% 304, %.0f errors), fetch mean %.2f ms, daemon CPU "
        "%.0f %% (%.3f ms/poll), nginx CPU %.0f %%, RSS %ld MiB\n"
        "  io-loop lag: %.0f of %.0f ticks > 1 ms, %.0f > 5 ms, all <= %.1f ms in the window, max "
        "since start %.1f ms; "
        "control (idle thread, same window): %d of %d > 1 ms, %d > 5 ms, max %.1f ms\n"
        "  newswatch / ceiling = %.2f\n",
        run, loadavg(), o.connections, c.wrk, o.connections, c.curl, c.curl_304, o.sources,
        r.polls_per_s, 100 * r.share_304, r.errors, r.fetch_mean_ms, r.cpu_pct, r.cpu_ms_per_poll,
        r.nginx_cpu_pct, r.rss_mib, r.lag_over_1ms, r.lag_ticks, r.lag_over_5ms,
        1000 * r.lag_window_bound, 1000 * r.lag_max, r.control_over_1ms, r.control_ticks,
        r.control_over_5ms, 1000 * r.control_max, ceiling > 0 ? r.polls_per_s / ceiling : 0);
    std::fflush(stdout);
    ratios.push_back(ceiling > 0 ? r.polls_per_s / ceiling : 0);
    rates.push_back(r.polls_per_s);
    ceilings.push_back(ceiling);
  }
  std::printf("median of %d runs: newswatch %.0f polls/s, ceiling %.0f req/s, ratio %.2f\n", o.runs,
              median(rates), median(ceilings), median(ratios));
  site.nginx->signal(SIGQUIT);
  site.nginx->wait(10s);
  if (!o.keep) fs::remove_all(site.dir);
  return 0;
}
