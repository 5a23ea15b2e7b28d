#include "daemon/daemon.h"

#include <sys/statvfs.h>

#include <fcntl.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cctype>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "alerts/delivery.h"
#include "alerts/email.h"
#include "alerts/throttle.h"
#include "core/url.h"
#include "daemon/logging.h"
#include "daemon/metrics.h"
#include "daemon/retry_requests.h"
#include "daemon/topic_query.h"
#include "fetchers/http_client.h"
#include "fetchers/poll_schedule.h"
#include "fetchers/robots.h"
#include "parsers/extractor.h"
#include "parsers/feed_parser.h"
#include "parsers/page_links.h"
#include "storage/store.h"
#include "storage/url_canon.h"

namespace newswatch::daemon {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMaxQueuedArticles = 10'000;
// One source's share of the queue: a feed listing 100,000 links does not crowd out the others.
constexpr std::size_t kMaxQueuedPerSource = 500;
constexpr std::size_t kMaxChildSitemaps = 20;
// Sitemap entries dated before this are archive, not news, and are not fetched.
constexpr auto kSitemapHorizon = std::chrono::hours(72);
constexpr int kMaxArticleFetches = 8;
// Extracted articles are stored in batches of up to this many, or what gathered in this window.
constexpr std::size_t kStoreBatchArticles = 64;
constexpr auto kStoreBatchWindow = std::chrono::milliseconds(20);
constexpr int kMaxDeliveries = 8;
constexpr int kMaxArticleFailures = 3;
constexpr std::size_t kMaxRememberedFailures = 50'000;
constexpr auto kDrainTimeout = 10s;
// Outbox records one delivery scan looks at (held digest and rate-limited alerts included).
constexpr std::size_t kMaxPlannedAlerts = 50'000;

// Quote a value for a key=value log line when it needs it.
// Appends `line` and a newline to `path` and syncs it: a file channel's delivery.
Status append_line(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return make_error(ErrorCode::io_error, path + ": " + std::strerror(errno));
  }
  const std::string data = line + "\n";
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return make_error(ErrorCode::io_error, path + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return make_error(ErrorCode::io_error, path + ": fsync failed");
  return Status();
}

// "newswatch/0.1 (+https://...)" -> "newswatch": the name robots.txt groups are matched by.
std::string product_token(const std::string& user_agent) {
  std::size_t n = 0;
  while (n < user_agent.size() && (std::isalnum(static_cast<unsigned char>(user_agent[n])) ||
                                   user_agent[n] == '_' || user_agent[n] == '-')) {
    ++n;
  }
  return n == 0 ? "newswatch" : user_agent.substr(0, n);
}

// Whether `page_title` is `title` plus a site name set off by a separator, as in
// "Gipfel in Pjöngjang | Testnachrichten" or "Tagesschau: Gipfel in Pjöngjang".
bool decorates(const std::string& page_title, const std::string& title) {
  if (title.empty() || page_title.size() <= title.size()) return false;
  static constexpr std::string_view k_separators[] = {"|",      "-",      "\u2013", "\u2014", ":",
                                                      "\u00b7", "\u00bb", "/",      "::"};
  auto separated = [](std::string_view rest, bool leading) {
    const auto first = rest.find_first_not_of(' ');
    const auto last = rest.find_last_not_of(' ');
    if (first == std::string_view::npos) return false;
    rest = rest.substr(first, last - first + 1);
    for (std::string_view sep : k_separators) {
      if (leading ? rest.starts_with(sep) : rest.ends_with(sep)) return true;
    }
    return false;
  };
  if (page_title.starts_with(title)) {
    return separated(std::string_view(page_title).substr(title.size()), true);
  }
  if (page_title.ends_with(title)) {
    return separated(std::string_view(page_title).substr(0, page_title.size() - title.size()),
                     false);
  }
  return false;
}

std::string q(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \"=") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out + "\"";
}

// The topics' rate limits and digests and the channels' quiet hours, from a validated config.
alerts::ThrottlePolicy make_throttle(const Config& config) {
  alerts::ThrottlePolicy policy;
  for (const auto& t : config.topics) {
    if (t.max_alerts == 0 && t.digest.count() == 0) continue;
    alerts::TopicLimits limits;
    limits.max_alerts = t.max_alerts;
    limits.rate_window = std::chrono::duration_cast<std::chrono::seconds>(t.rate_window);
    limits.digest = std::chrono::duration_cast<std::chrono::seconds>(t.digest);
    policy.topics[t.name] = limits;
  }
  for (const auto& c : config.channels) {
    const auto minutes = alerts::parse_quiet_hours(c.quiet_hours);
    if (!minutes) continue;
    auto zone = alerts::TimeZone::load(c.timezone);
    if (!zone) continue;  // the config loader rejected it already
    policy.quiet[c.name] = alerts::QuietHours{minutes->first, minutes->second, *zone};
  }
  return policy;
}

struct SourceRuntime {
  SourceConfig config;
  storage::SourceState state;
  std::unique_ptr<asio::steady_timer> timer;
  bool polling = false;
  bool removed = false;
  std::chrono::milliseconds next_delay{0};
};

struct PendingArticle {
  std::string source;
  FeedEntry entry;
  std::string key;  // storage::dedup_key of the link: one queue slot per story URL
};

// An extracted and matched article on its way into the store (Daemon::queue_for_store).
struct StoreJob {
  PendingArticle item;
  storage::PutRequest request;
  std::map<std::string, std::vector<std::string>> routes;  // topic -> channels, for duplicates
};

// Article fetching per host (scheme-less authority): its queue and politeness state.
struct HostState {
  std::deque<PendingArticle> queue;  // newest first per source, as the feeds listed them
  int in_flight = 0;
  std::chrono::steady_clock::time_point last_start{};
  std::chrono::milliseconds crawl_delay{0};  // from robots.txt
};

class Daemon {
 public:
  Daemon(std::string config_path, Config config)
      : m_config_path(std::move(config_path)),
        m_config(std::move(config)),
        m_pool(2),
        m_signals(m_io, SIGINT, SIGTERM, SIGHUP),
        m_delivery_timer(m_io),
        m_drain_timer(m_io),
        m_watchdog_timer(m_io),
        m_pump_timer(m_io),
        m_index_timer(m_io),
        m_store_timer(m_io),
        m_retention_timer(m_io),
        m_probe_timer(m_io),
        m_requests_timer(m_io),
        m_state_timer(m_io),
        m_rng(std::random_device{}()) {}

  int run() {
    auto log = logger("daemon");
    storage::StoreOptions so;
    so.path = m_config.storage.path;
    so.sync = m_config.storage.sync;
    so.near_duplicate_threshold = m_config.storage.near_duplicate_threshold;
    so.block_cache_bytes = m_config.storage.block_cache;
    for (const auto& p : m_config.storage.tracking_params) so.canon.tracking_params.push_back(p);
    for (const auto& p : m_config.storage.tracking_prefixes) {
      so.canon.tracking_prefixes.push_back(p);
    }
    m_canon = so.canon;
    so.notice = [&log](const std::string& line) {
      log->info("daemon.store_upgrade note={}", q(line));
    };
    auto store = storage::Store::open(so);
    if (!store) {
      log->error("daemon.store_open_failed path={} error={}", q(so.path),
                 q(store.error().to_string()));
      return 1;
    }
    m_store = std::move(*store);
    fetchers::HttpClientOptions ho;
    ho.user_agent = m_config.fetch.user_agent;
    ho.per_host_connections = m_config.fetch.per_host_connections;
    m_http = std::make_unique<fetchers::HttpClient>(m_io, ho);
    fetchers::RobotsCacheOptions ro;
    ro.product_token = product_token(m_config.fetch.user_agent);
    m_robots = fetchers::RobotsCache(ro);
    m_matcher = std::make_shared<TopicMatcher>(m_config.topics, m_config.matching);
    m_throttle = make_throttle(m_config);

    register_metrics();
    if (!start_metrics_server()) return 1;
    wait_signal();
    for (const auto& s : m_config.sources) add_source(s);
    schedule_delivery(0ms);
    start_watchdog();
    schedule_loop_probe();
    schedule_index_flush();
    schedule_retention(0ms);
    schedule_requests();
    log->info("daemon.started config={} db={} sources={} topics={} channels={}", q(m_config_path),
              q(m_config.storage.path), m_config.sources.size(), m_config.topics.size(),
              m_config.channels.size());
    sd_notify(0, "READY=1\nSTATUS=running");
    m_io.run();
    m_pool.join();
    log->info("daemon.stopped articles_stored={} alerts_delivered={}", m_articles_stored,
              m_alerts_delivered);
    return 0;
  }

 private:
  // --- lifecycle -----------------------------------------------------------------------------

  void wait_signal() {
    m_signals.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        reload();
        wait_signal();
        return;
      }
      begin_shutdown(signo);
    });
  }

  void begin_shutdown(int signo) {
    if (m_stopping) return;
    m_stopping = true;
    m_draining = true;
    sd_notify(0, "STOPPING=1");
    logger("daemon")->info("daemon.stopping signal={} in_flight={} queued={}",
                           signo == SIGTERM ? "SIGTERM" : "SIGINT", m_http->in_flight(), m_queued);
    for (auto& [name, src] : m_sources) src.timer->cancel();
    m_delivery_timer.cancel();
    m_watchdog_timer.cancel();
    m_pump_timer.cancel();
    m_index_timer.cancel();
    m_retention_timer.cancel();
    m_probe_timer.cancel();
    m_requests_timer.cancel();
    m_state_timer.cancel();
    // Not acknowledged: re-discovered from the feeds after the restart.
    for (auto& [host, hs] : m_hosts) hs.queue.clear();
    m_queued = 0;
    m_queued_per_source.clear();
    m_drain_timer.expires_after(kDrainTimeout);
    m_drain_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      logger("daemon")->warn("daemon.drain_timeout in_flight={}", m_http->in_flight());
      m_http->cancel_all();
      finish_shutdown();
    });
    maybe_finish_shutdown();
  }

  void maybe_finish_shutdown() {
    if (m_stopping && m_http->in_flight() == 0 && m_cpu_tasks == 0) finish_shutdown();
  }

  void finish_shutdown() {
    if (m_finished) return;
    m_finished = true;
    m_drain_timer.cancel();
    m_signals.cancel();
    {
      // A batch still being written by the pool (drain timeout) must not overwrite these.
      std::lock_guard lock(m_state_write_mutex);
      m_states_final = true;
      for (auto& [name, src] : m_sources) persist_state(src);
    }
    if (m_metrics_server) m_metrics_server->stop();
    m_io.stop();
  }

  // --- metrics -------------------------------------------------------------------------------

  void register_metrics() {
    register_process_metrics(m_metrics);
    m_metrics.gauge_callback("newswatch_sources", "Configured sources.",
                             [this] { return static_cast<double>(m_sources.size()); });
    m_metrics.gauge_callback("newswatch_topics", "Configured topics.", [this] {
      return static_cast<double>(m_matcher ? m_matcher->topic_count() : 0);
    });
    m_metrics.gauge_callback("newswatch_io_loop_lag_max_seconds",
                             "The largest lag of the io thread's probe timer since start.",
                             [this] { return m_loop_lag_max.load(); });
    m_metrics.gauge_callback("newswatch_article_queue", "Article URLs waiting to be fetched.",
                             [this] { return static_cast<double>(m_queued); });
    m_metrics.gauge_callback("newswatch_http_in_flight", "HTTP and SMTP transfers in progress.",
                             [this] { return static_cast<double>(m_http->in_flight()); });
    m_metrics.gauge_callback("newswatch_outbox_pending", "Alerts waiting for delivery or retry.",
                             [this] {
                               auto pending = m_store->count_pending_alerts();
                               return pending ? static_cast<double>(*pending) : -1.0;
                             });
    m_metrics.gauge_callback(
        "newswatch_alerts_held",
        "Pending alerts held back by rate limits, digests and quiet hours at the last scan.",
        [this] {
          std::size_t n = 0;
          for (const auto& [key, count] : m_held) n += count;
          return static_cast<double>(n);
        });
    m_metrics.gauge_callback("newswatch_store_disk_bytes", "Bytes of the database directory.",
                             [this] { return static_cast<double>(directory_bytes()); });
    // Where most of the resident memory goes (the rest: code, allocator, buffers in flight).
    using Part = std::uint64_t storage::StoreMemory::*;
    // (A pair, not a structured binding: clang before 16 cannot capture one in a lambda.)
    for (const auto& part : std::initializer_list<std::pair<const char*, Part>>{
             {"near_index", &storage::StoreMemory::near_index},
             {"key_filters", &storage::StoreMemory::key_filters},
             {"memtables", &storage::StoreMemory::memtables},
             {"block_cache", &storage::StoreMemory::block_cache},
             {"table_readers", &storage::StoreMemory::table_readers}}) {
      m_metrics.gauge_callback(
          "newswatch_store_memory_bytes",
          "Memory of the store by part: near-duplicate index, URL and exact-hash filters, "
          "RocksDB memtables, block cache in use, table readers.",
          [this, member = part.second] { return static_cast<double>(m_store->memory().*member); },
          {{"part", part.first}});
    }
    m_metrics.gauge_callback("newswatch_failing_sources", "Sources whose last poll failed.",
                             [this] {
                               std::size_t n = 0;
                               for (const auto& [name, src] : m_sources) {
                                 n += src.state.consecutive_errors > 0;
                               }
                               return static_cast<double>(n);
                             });
  }

  std::uint64_t directory_bytes() const {
    std::uint64_t bytes = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(m_config.storage.path, ec)) {
      if (e.is_regular_file(ec)) bytes += e.file_size(ec);
    }
    return bytes;
  }

  // How late the io thread runs a 100 ms timer: anything that blocks the loop (a slow callback,
  // a synchronous call that should be on the pool) shows up as lag, in a histogram and as the
  // largest lag seen. bench/soak_bench and the metrics e2e test read them.
  void schedule_loop_probe() {
    const auto due = std::chrono::steady_clock::now() + 100ms;
    m_probe_timer.expires_at(due);
    m_probe_timer.async_wait([this, due](const boost::system::error_code& ec) {
      if (ec || m_stopping) return;
      const auto lag = std::chrono::steady_clock::now() - due;
      static const std::vector<double> k_lag_buckets = {0.0001, 0.0005, 0.001, 0.002, 0.005,
                                                        0.01,   0.05,   0.1,   0.5,   1.0};
      m_metrics
          .histogram("newswatch_io_loop_lag_seconds",
                     "How late the io thread ran a 100 ms probe timer.", k_lag_buckets)
          .observe(lag);
      m_loop_lag_max = std::max(m_loop_lag_max.load(), std::chrono::duration<double>(lag).count());
      schedule_loop_probe();
    });
  }

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {}) {
    return m_metrics.counter(name, help, labels);
  }

  Histogram& seconds(std::string_view name, std::string_view help, const Labels& labels = {}) {
    return m_metrics.histogram(name, help, k_latency_buckets, labels);
  }

  // Healthy while the loop runs (this answer comes from it) and not every source is failing.
  Health health() const {
    if (m_stopping) return {false, "shutting down"};
    std::size_t failing = 0;
    for (const auto& [name, src] : m_sources) failing += src.state.consecutive_errors >= 3;
    if (!m_sources.empty() && failing == m_sources.size()) {
      return {false, "every source failed its last 3 polls"};
    }
    return {};
  }

  bool start_metrics_server() {
    if (m_config.metrics.listen.empty()) return true;
    MetricsServerOptions mo;
    mo.listen = m_config.metrics.listen;
    m_metrics_server = std::make_unique<MetricsServer>(
        m_io, m_metrics, [this] { return health(); }, mo);
    if (auto st = m_metrics_server->start(); !st.ok()) {
      // Monitoring is not worth missing news over: run on without the endpoint.
      logger("daemon")->error("daemon.metrics_failed listen={} error={} (running without metrics)",
                              q(mo.listen), q(st.to_string()));
      m_metrics_server.reset();
    }
    return true;
  }

  // New articles' search postings are buffered in the store; flushing them when due (checked
  // every 2 s) makes them visible to `newswatch search` (a secondary) within seconds, while a
  // fast ingest still writes whole generations (Store::flush_index_if_due).
  void schedule_index_flush() {
    m_index_timer.expires_after(2s);
    m_index_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || m_stopping) return;
      ++m_cpu_tasks;
      asio::post(m_pool, [this] {
        auto st = m_store->flush_index_if_due();
        asio::post(m_io, [this, st = std::move(st)] {
          --m_cpu_tasks;
          if (!st.ok()) {
            logger("store")->error("store.index_flush_failed error={}", q(st.to_string()));
          }
          if (!m_stopping) schedule_index_flush();
          maybe_finish_shutdown();
        });
      });
    });
  }

  // storage.retention: deletes old stories at start and hourly, on the CPU pool; their URLs and
  // exact-text hashes are kept for storage.remember_urls more.
  void schedule_retention(std::chrono::milliseconds delay) {
    m_retention_timer.expires_after(delay);
    m_retention_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || m_stopping) return;
      const auto retention = m_config.storage.retention;
      if (retention > 0ms) {
        ++m_cpu_tasks;
        const TimePoint before = SystemClock::instance().now() -
                                 std::chrono::duration_cast<std::chrono::seconds>(retention);
        const TimePoint forget_before = before - std::chrono::duration_cast<std::chrono::seconds>(
                                                     m_config.storage.remember_urls);
        asio::post(m_pool, [this, before, forget_before] {
          auto purged = m_store->purge(before, forget_before, [this] { return !m_draining; });
          asio::post(m_io, [this, before, purged = std::move(purged)] {
            --m_cpu_tasks;
            if (!purged) {
              logger("store")->error("store.purge_failed error={}", q(purged.error().to_string()));
            } else if (*purged > 0) {
              logger("store")->info("store.purged articles={} fetched_before={}", *purged,
                                    format_iso8601(before));
            }
            maybe_finish_shutdown();
          });
        });
      }
      if (!m_stopping) schedule_retention(1h);
    });
  }

  void start_watchdog() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    const auto period = std::chrono::microseconds(usec / 2);
    m_watchdog_timer.expires_after(period);
    m_watchdog_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      sd_notifyf(0, "WATCHDOG=1\nSTATUS=articles=%llu alerts=%llu queued=%zu",
                 static_cast<unsigned long long>(m_articles_stored),
                 static_cast<unsigned long long>(m_alerts_delivered), m_queued);
      start_watchdog();
    });
  }

  void reload() {
    auto log = logger("daemon");
    sd_notify(0, "RELOADING=1");
    ConfigResult result = load_config(m_config_path);
    if (!result.config) {
      for (const auto& e : result.errors) {
        log->error("daemon.reload_failed error={} (keeping the running config)", q(e.to_string()));
      }
      sd_notify(0, "READY=1");
      return;
    }
    Config next = std::move(*result.config);
    if (next.storage.path != m_config.storage.path) {
      log->warn("daemon.reload_storage_ignored path={} (storage.path changes need a restart)",
                q(next.storage.path));
      next.storage.path = m_config.storage.path;
    }
    setup_logging(next.log.level);
    std::set<std::string> keep;
    for (const auto& s : next.sources) {
      keep.insert(s.name);
      auto it = m_sources.find(s.name);
      if (it == m_sources.end()) {
        add_source(s);
      } else if (it->second.config.url != s.url || it->second.config.interval != s.interval ||
                 it->second.config.kind != s.kind ||
                 it->second.config.min_interval != s.min_interval ||
                 it->second.config.max_interval != s.max_interval) {
        it->second.config = s;
        it->second.state.interval_ms = 0;  // adapt afresh from the new interval
        it->second.state.next_due = SystemClock::instance().now();
        schedule_source(it->second);
      }
    }
    for (auto it = m_sources.begin(); it != m_sources.end();) {
      if (!keep.count(it->first)) {
        it->second.timer->cancel();
        if (it->second.polling) {
          it->second.removed = true;  // erased when its poll completes
          ++it;
        } else {
          if (m_dirty_sources.erase(&it->second)) persist_state(it->second);
          it = m_sources.erase(it);
        }
      } else {
        ++it;
      }
    }
    m_matcher = std::make_shared<TopicMatcher>(next.topics, next.matching);
    m_throttle = make_throttle(next);
    m_config = std::move(next);
    log->info("daemon.reloaded sources={} topics={} channels={}", m_config.sources.size(),
              m_config.topics.size(), m_config.channels.size());
    sd_notify(0, "READY=1");
    schedule_delivery(0ms);
  }

  // --- polling -------------------------------------------------------------------------------

  void add_source(const SourceConfig& config) {
    SourceRuntime src;
    src.config = config;
    src.timer = std::make_unique<asio::steady_timer>(m_io);
    auto stored = m_store->get_source_state(config.name);
    if (stored && stored->has_value()) {
      src.state = **stored;
    } else if (!stored) {
      logger("store")->warn("store.source_state_unreadable source={} error={}", config.name,
                            q(stored.error().to_string()));
    }
    auto [it, fresh] = m_sources.emplace(config.name, std::move(src));
    schedule_source(it->second);
  }

  // Schedules the next poll after `delay`, or at the stored next-due time when not given.
  void schedule_source(SourceRuntime& src, std::optional<std::chrono::milliseconds> given = {}) {
    const TimePoint now = SystemClock::instance().now();
    auto delay =
        given ? *given
              : std::chrono::duration_cast<std::chrono::milliseconds>(src.state.next_due - now);
    if (delay < 0ms) {
      // Overdue after a restart: spread the first polls over a few seconds, not all at once.
      std::uniform_int_distribution<int> jitter(0, 2000);
      delay = std::chrono::milliseconds(jitter(m_rng));
    }
    const std::string name = src.config.name;
    src.timer->expires_after(delay);
    src.timer->async_wait([this, name](const boost::system::error_code& ec) {
      if (ec || m_stopping) return;
      auto it = m_sources.find(name);
      if (it != m_sources.end() && !it->second.polling) poll(it->second);
    });
  }

  // A GET of `url` within the configured fetch limits (timeouts, body size, redirects, private
  // networks); callers add validators or widen what they must.
  fetchers::HttpRequest fetch_request(const std::string& url) const {
    fetchers::HttpRequest req;
    req.url = url;
    req.timeout = m_config.fetch.timeout;
    req.connect_timeout = m_config.fetch.connect_timeout;
    req.max_body_size = m_config.fetch.max_body_size;
    req.max_redirects = m_config.fetch.max_redirects;
    req.allow_private_networks = m_config.fetch.allow_private_networks;
    return req;
  }

  void poll(SourceRuntime& src) {
    src.polling = true;
    src.state.last_attempt = SystemClock::instance().now();
    if (src.state.first_poll == TimePoint{}) src.state.first_poll = src.state.last_attempt;
    ++src.state.polls;
    fetchers::HttpRequest req = fetch_request(src.config.url);
    req.etag = src.state.etag;
    req.last_modified = src.state.last_modified;
    req.allow_private_networks = true;  // the operator configured this URL
    const std::string name = src.config.name;
    m_http->fetch(std::move(req), [this, name](Result<fetchers::HttpResponse> r) {
      on_feed_response(name, std::move(r));
    });
  }

  static const char* poll_result_name(fetchers::PollResult r) {
    switch (r) {
      case fetchers::PollResult::new_items: return "new_items";
      case fetchers::PollResult::no_new_items: return "no_new_items";
      case fetchers::PollResult::not_modified: return "not_modified";
      case fetchers::PollResult::throttled: return "throttled";
      case fetchers::PollResult::error: return "error";
    }
    return "error";
  }

  void finish_poll(SourceRuntime& src, fetchers::PollResult result, std::size_t new_items,
                   std::optional<std::chrono::seconds> retry_after = std::nullopt) {
    src.polling = false;
    counter("newswatch_feed_polls_total", "Feed polls by outcome.",
            {{"result", poll_result_name(result)}})
        .inc();
    fetchers::PollPolicy policy;
    policy.interval = src.config.interval;
    policy.min_interval = src.config.min_interval;
    policy.max_interval = src.config.max_interval;
    const auto decision =
        fetchers::next_poll(policy, std::chrono::milliseconds(src.state.interval_ms), result,
                            new_items, src.state.consecutive_errors, retry_after, m_rng);
    src.state.interval_ms = decision.interval.count();
    src.state.next_due = SystemClock::instance().now() +
                         std::chrono::duration_cast<std::chrono::seconds>(decision.delay);
    src.next_delay = decision.delay;
    if (src.removed) {
      m_dirty_sources.erase(&src);
      persist_state(src);
      m_sources.erase(src.config.name);
      return;
    }
    mark_dirty(src);
    if (!m_stopping) schedule_source(src, decision.delay);
  }

  // Poll state reaches RocksDB in batches written by the CPU pool, at most ~250 ms after the poll
  // (one write per poll on the io thread was 8 % of its time at 6,000 polls/s, bench/poll_bench;
  // short batches keep the copy on the io thread well under a millisecond). Shutdown writes
  // every source's state; a crash loses at most the last quarter second, which only makes the
  // next start poll those sources a little early.
  void mark_dirty(SourceRuntime& src) {
    m_dirty_sources.insert(&src);
    arm_state_timer();
  }

  void arm_state_timer() {
    if (m_state_timer_armed || m_stopping) return;
    m_state_timer_armed = true;
    m_state_timer.expires_after(250ms);
    m_state_timer.async_wait([this](const boost::system::error_code& ec) {
      m_state_timer_armed = false;
      if (ec || m_stopping) return;
      flush_source_states();
    });
  }

  void flush_source_states() {
    if (m_state_flush_running) {  // one batch at a time, so batches land in order
      arm_state_timer();
      return;
    }
    std::vector<std::pair<std::string, storage::SourceState>> batch;
    batch.reserve(m_dirty_sources.size());
    for (const SourceRuntime* src : m_dirty_sources)
      batch.emplace_back(src->config.name, src->state);
    m_dirty_sources.clear();
    if (batch.empty()) return;
    m_state_flush_running = true;
    ++m_cpu_tasks;
    asio::post(m_pool, [this, batch = std::move(batch)] {
      std::size_t failed = 0;
      std::string error;
      {
        std::lock_guard lock(m_state_write_mutex);
        for (const auto& [name, state] : batch) {
          if (m_states_final) break;
          auto st = m_store->put_source_state(name, state);
          if (!st.ok() && failed++ == 0) error = st.to_string();
        }
      }
      asio::post(m_io, [this, failed, error = std::move(error)] {
        --m_cpu_tasks;
        m_state_flush_running = false;
        if (failed > 0) {
          logger("store")->error("store.write_failed what=source_state sources={} error={}", failed,
                                 q(error));
        }
        maybe_finish_shutdown();
      });
    });
  }

  void persist_state(const SourceRuntime& src) {
    auto s = m_store->put_source_state(src.config.name, src.state);
    if (!s.ok()) {
      logger("store")->error("store.write_failed what=source_state source={} error={}",
                             src.config.name, q(s.to_string()));
    }
  }

  void source_failed(SourceRuntime& src, const std::string& error,
                     std::optional<std::chrono::seconds> retry_after = std::nullopt) {
    ++src.state.consecutive_errors;
    ++src.state.failures;
    src.state.last_error = error;
    finish_poll(src, retry_after ? fetchers::PollResult::throttled : fetchers::PollResult::error, 0,
                retry_after);
    logger("fetch")->warn("fetch.source_failed source={} errors={} retry_in={} error={}",
                          src.config.name, src.state.consecutive_errors,
                          format_duration(src.next_delay), q(error));
  }

  void on_feed_response(const std::string& name, Result<fetchers::HttpResponse> r) {
    auto it = m_sources.find(name);
    if (it == m_sources.end()) return;
    SourceRuntime& src = it->second;
    if (r) {
      seconds("newswatch_fetch_seconds", "HTTP fetch latency.", {{"kind", "feed"}})
          .observe(r->elapsed);
      // Per source: a moving average where each poll weighs 1/5, and the last one.
      const auto ms = static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(r->elapsed).count());
      auto& st = src.state;
      st.latency_ms =
          st.last_latency_ms == 0 && st.latency_ms == 0 ? ms : (st.latency_ms * 4 + ms) / 5;
      st.last_latency_ms = ms;
      st.bytes += r->body.size();
      if (r->status == 304) ++st.not_modified;
    }
    if (!r) {
      source_failed(src, r.error().to_string());
      maybe_finish_shutdown();
      return;
    }
    fetchers::HttpResponse& resp = *r;
    if (resp.status == 304) {
      src.state.consecutive_errors = 0;
      src.state.last_success = SystemClock::instance().now();
      logger("fetch")->debug("fetch.not_modified source={} ms={}", name, resp.elapsed.count());
      finish_poll(src, fetchers::PollResult::not_modified, 0);
      maybe_finish_shutdown();
      return;
    }
    if (resp.status < 200 || resp.status >= 300) {
      source_failed(src, "HTTP " + std::to_string(resp.status), resp.retry_after);
      maybe_finish_shutdown();
      return;
    }
    src.state.etag = resp.etag;
    src.state.last_modified = resp.last_modified;
    ++m_cpu_tasks;
    const SourceKind kind = src.config.kind;
    asio::post(m_pool, [this, name, kind, resp = std::move(resp)]() mutable {
      const auto t0 = std::chrono::steady_clock::now();
      auto feed = parse_source(kind, resp);
      seconds("newswatch_parse_seconds", "Feed parse time.")
          .observe(std::chrono::steady_clock::now() - t0);
      asio::post(m_io, [this, name, feed = std::move(feed)]() mutable {
        --m_cpu_tasks;
        on_feed_parsed(name, std::move(feed));
        maybe_finish_shutdown();
      });
    });
  }

  // CPU pool: a feed or sitemap, or for `kind = "page"` (and HTML that is not a feed when the
  // kind is left to detection) the article links of a section page.
  static Result<Feed> parse_source(SourceKind kind, const fetchers::HttpResponse& resp) {
    const parsers::PageLinkOptions page{resp.effective_url, resp.content_type};
    auto links = [&]() -> Result<Feed> {
      Feed feed = parsers::parse_page_links(resp.body, page);
      if (feed.entries.empty()) {
        return make_error(ErrorCode::parse_error, "no article links found on the page");
      }
      return feed;
    };
    if (kind == SourceKind::page) return links();
    parsers::FeedParseOptions po;
    po.url = resp.effective_url;
    po.content_type = resp.content_type;
    auto feed = parsers::parse_feed(resp.body, po);
    if (!feed && kind == SourceKind::detect &&
        resp.content_type.find("html") != std::string::npos) {
      return links();
    }
    return feed;
  }

  void on_feed_parsed(const std::string& name, Result<Feed> feed) {
    auto it = m_sources.find(name);
    if (it == m_sources.end()) return;
    SourceRuntime& src = it->second;
    if (!feed) {
      source_failed(src, feed.error().to_string());
      return;
    }
    const std::size_t fresh = queue_entries(name, *feed);
    fetch_child_sitemaps(name, feed->child_sitemaps);
    src.state.consecutive_errors = 0;
    src.state.last_error.clear();
    src.state.last_success = SystemClock::instance().now();
    src.state.items_seen += fresh;
    logger("fetch")->info("fetch.feed_polled source={} kind={} entries={} new={}", name,
                          feed_kind_name(feed->kind), feed->entries.size(), fresh);
    finish_poll(src,
                fresh > 0 ? fetchers::PollResult::new_items : fetchers::PollResult::no_new_items,
                fresh);
    pump_articles();
  }

  int failures(const std::string& url) const {
    auto it = m_failed_urls.find(url);
    return it == m_failed_urls.end() ? 0 : it->second;
  }

  // Queues the entries whose links are neither stored nor queued, newest first; returns how many.
  std::size_t queue_entries(const std::string& name, Feed& feed) {
    std::size_t fresh = 0;
    // Newest first: on a busy feed the latest story is the one a user is waiting for.
    std::stable_sort(feed.entries.begin(), feed.entries.end(),
                     [](const FeedEntry& a, const FeedEntry& b) {
                       const auto ta = a.published ? a.published : a.updated;
                       const auto tb = b.published ? b.published : b.updated;
                       return ta.has_value() && (!tb.has_value() || *ta > *tb);
                     });
    // A sitemap lists a site's whole archive; only its recent part is news.
    const TimePoint cutoff = SystemClock::instance().now() - kSitemapHorizon;
    for (auto& entry : feed.entries) {
      if (entry.link.empty()) continue;
      if (feed.kind == FeedKind::sitemap) {
        const auto t = entry.published ? entry.published : entry.updated;
        if (t && *t < cutoff) continue;
      }
      std::string key = storage::dedup_key(entry.link, m_canon);
      if (m_queued_urls.count(key) || failures(entry.link) >= kMaxArticleFailures) {
        continue;
      }
      auto seen = m_store->find_url(entry.link);
      if (!seen || seen->has_value()) continue;
      std::size_t& mine = m_queued_per_source[name];
      if (m_queued >= kMaxQueuedArticles || mine >= kMaxQueuedPerSource) {
        // Found again on the next poll, when the queue has room.
        logger("fetch")->warn("fetch.queue_full source={} queued={} source_queued={} next={}", name,
                              m_queued, mine, q(entry.link));
        break;
      }
      m_queued_urls.insert(key);
      ++m_queued;
      ++mine;
      const std::string host = host_of(entry.link);
      m_hosts[host].queue.push_back({name, std::move(entry), std::move(key)});
      ++fresh;
    }
    return fresh;
  }

  // Takes the front item of a host's queue out of the queue's accounting.
  PendingArticle dequeue(HostState& hs) {
    PendingArticle item = std::move(hs.queue.front());
    hs.queue.pop_front();
    --m_queued;
    auto it = m_queued_per_source.find(item.source);
    if (it != m_queued_per_source.end() && --it->second == 0) m_queued_per_source.erase(it);
    return item;
  }

  // A sitemap index names the sitemaps that hold the URLs: fetch them (conditionally, so an
  // unchanged child costs a 304) and queue their new entries. The first kMaxChildSitemaps only:
  // news sites list their current sitemap first, archives after it.
  void fetch_child_sitemaps(const std::string& name, const std::vector<std::string>& children) {
    if (children.size() > kMaxChildSitemaps) {
      logger("fetch")->debug("fetch.sitemap_children_capped source={} children={} fetched={}", name,
                             children.size(), kMaxChildSitemaps);
    }
    for (std::size_t i = 0; i < children.size() && i < kMaxChildSitemaps; ++i) {
      const std::string& url = children[i];
      fetchers::HttpRequest req = fetch_request(url);
      const auto& validators = m_child_validators[url];
      req.etag = validators.first;
      req.last_modified = validators.second;
      m_http->fetch(std::move(req), [this, name, url](Result<fetchers::HttpResponse> r) {
        on_child_sitemap(name, url, std::move(r));
        maybe_finish_shutdown();
      });
    }
  }

  void on_child_sitemap(const std::string& name, const std::string& url,
                        Result<fetchers::HttpResponse> r) {
    if (!r || r->status == 304 || r->status < 200 || r->status >= 300) {
      if (!r || r->status != 304) {
        logger("fetch")->warn("fetch.sitemap_failed source={} url={} error={}", name, q(url),
                              q(r ? "HTTP " + std::to_string(r->status) : r.error().to_string()));
      }
      return;
    }
    m_child_validators[url] = {r->etag, r->last_modified};
    ++m_cpu_tasks;
    asio::post(m_pool, [this, name, url, resp = std::move(*r)]() mutable {
      parsers::FeedParseOptions po;
      po.url = resp.effective_url;
      po.content_type = resp.content_type;
      auto feed = parsers::parse_feed(resp.body, po);
      asio::post(m_io, [this, name, url, feed = std::move(feed)]() mutable {
        --m_cpu_tasks;
        if (!feed) {
          logger("fetch")->warn("fetch.sitemap_failed source={} url={} error={}", name, q(url),
                                q(feed.error().to_string()));
        } else if (!m_stopping && m_sources.count(name)) {
          const std::size_t fresh = queue_entries(name, *feed);  // children of children: no
          logger("fetch")->info("fetch.sitemap_polled source={} url={} entries={} new={}", name,
                                q(url), feed->entries.size(), fresh);
          m_sources[name].state.items_seen += fresh;
          pump_articles();
        }
        maybe_finish_shutdown();
      });
    });
  }

  // --- articles ------------------------------------------------------------------------------

  // Starts queued article fetches while the global limit allows, politely per host: at most
  // fetch.per_host_connections at once and fetch.host_delay between request starts. Hosts take
  // turns (round robin from the one served last), so one host's backlog, or a host that hangs,
  // never holds up another's articles.
  void pump_articles() {
    if (m_stopping || m_hosts.empty()) return;
    const auto now = std::chrono::steady_clock::now();
    if (!disk_has_room(now)) {
      m_pump_timer.expires_after(2s);
      m_pump_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) pump_articles();
      });
      return;
    }
    std::optional<std::chrono::steady_clock::time_point> earliest;
    bool started = true;
    while (started && m_article_fetches < kMaxArticleFetches) {
      started = false;
      auto it = m_hosts.upper_bound(m_pump_cursor);
      for (std::size_t visited = 0, hosts = m_hosts.size();
           visited < hosts && m_article_fetches < kMaxArticleFetches; ++visited) {
        if (it == m_hosts.end()) it = m_hosts.begin();
        HostState& hs = it->second;
        if (hs.queue.empty()) {
          // Forget idle hosts after a while; their politeness delay has long passed.
          if (hs.in_flight == 0 && now - hs.last_start > 10min) {
            it = m_hosts.erase(it);
          } else {
            ++it;
          }
          continue;
        }
        const std::string host = it->first;
        ++it;
        if (!robots_allow_front(hs)) continue;
        const auto ready = hs.last_start + host_delay(hs);
        if (hs.in_flight >= m_config.fetch.per_host_connections) continue;
        if (ready > now) {
          earliest = earliest ? std::min(*earliest, ready) : ready;
          continue;
        }
        PendingArticle item = dequeue(hs);
        ++hs.in_flight;
        hs.last_start = now;
        m_pump_cursor = host;
        started = true;
        start_article_fetch(std::move(item), host);
      }
    }
    if (earliest && m_queued > 0) {
      m_pump_timer.expires_at(*earliest);
      m_pump_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) pump_articles();
      });
    }
  }

  // Whether the database's filesystem has storage.min_free_space free (checked at most once a
  // second); logs each change. A full disk makes RocksDB's writes fail for good (and the
  // RocksDB 7.8 in Debian 12 aborts on the write after a failed WAL append), so article
  // fetching pauses before that and resumes by itself when space returns.
  bool disk_has_room(std::chrono::steady_clock::time_point now) {
    const std::uint64_t min_free = m_config.storage.min_free_space;
    if (min_free == 0) return true;
    if (m_disk_checked != std::chrono::steady_clock::time_point{} && now - m_disk_checked < 1s) {
      return m_disk_ok;
    }
    m_disk_checked = now;
    struct statvfs st {};
    if (::statvfs(m_config.storage.path.c_str(), &st) != 0) return m_disk_ok;
    const std::uint64_t free = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
    const bool ok = free >= min_free;
    if (!ok && m_disk_ok) {
      logger("store")->error(
          "store.disk_full path={} free_mib={} min_free_space_mib={} (article fetching paused "
          "until there is room)",
          q(m_config.storage.path), free >> 20, min_free >> 20);
    } else if (ok && !m_disk_ok) {
      logger("store")->info("store.disk_ok path={} free_mib={} (article fetching resumed)",
                            q(m_config.storage.path), free >> 20);
    }
    m_disk_ok = ok;
    return ok;
  }

  // Whether the front item of a host's queue may be fetched now: items robots.txt disallows are
  // dropped; while the host's robots.txt is unknown it is fetched and the queue waits for it.
  bool robots_allow_front(HostState& hs) {
    if (!m_config.fetch.robots) return !hs.queue.empty();
    while (!hs.queue.empty()) {
      const auto robots =
          m_robots.lookup(hs.queue.front().entry.link, SystemClock::instance().now());
      if (robots.verdict == fetchers::RobotsCache::Verdict::unknown) {
        fetch_robots(robots);
        return false;
      }
      if (robots.verdict == fetchers::RobotsCache::Verdict::disallowed) {
        PendingArticle item = dequeue(hs);
        robots_refused(item);
        m_queued_urls.erase(item.key);
        continue;
      }
      hs.crawl_delay = robots.crawl_delay.value_or(0ms);
      return true;
    }
    return false;
  }

  std::chrono::milliseconds host_delay(const HostState& hs) const {
    return std::max(m_config.fetch.host_delay, hs.crawl_delay);
  }

  // Fetches robots.txt for an origin unless a fetch is under way; the answer (or the failure)
  // goes into the cache and the queue is pumped again.
  void fetch_robots(const fetchers::RobotsCache::Lookup& lookup) {
    if (lookup.origin.empty() || !m_robots_pending.insert(lookup.origin).second) return;
    fetchers::HttpRequest req = fetch_request(lookup.robots_url);
    // Its own bounds, whatever the configured ones: RFC 9309 asks crawlers to read at least
    // 500 KiB and to follow at least five redirects.
    req.max_body_size = 2u << 20;
    req.max_redirects = 5;
    const std::string origin = lookup.origin;
    m_http->fetch(std::move(req), [this, origin](Result<fetchers::HttpResponse> r) {
      m_robots_pending.erase(origin);
      const int status = r ? static_cast<int>(r->status) : 0;
      m_robots.store(origin, status, r ? std::string_view(r->body) : std::string_view(),
                     SystemClock::instance().now());
      logger("fetch")->debug("fetch.robots origin={} status={}{}", origin, status,
                             r ? "" : " error=" + q(r.error().to_string()));
      if (status == 0 || status >= 500) {
        logger("fetch")->warn(
            "fetch.robots_unreachable origin={} status={} (its articles wait 10 minutes)", origin,
            status);
      }
      pump_articles();
      maybe_finish_shutdown();
    });
  }

  void robots_refused(const PendingArticle& item) {
    counter("newswatch_robots_refused_total", "Article URLs skipped because robots.txt said no.")
        .inc();
    if (m_robots_logged.size() >= kMaxRememberedFailures) m_robots_logged.clear();
    if (m_robots_logged.insert(item.entry.link).second) {
      logger("fetch")->info("fetch.robots_disallowed source={} url={}", item.source,
                            q(item.entry.link));
    }
  }

  static std::string host_of(const std::string& url) {
    const auto u = parse_url(url);
    return u ? u->authority() : url;
  }

  void start_article_fetch(PendingArticle item, const std::string& host) {
    ++m_article_fetches;
    fetchers::HttpRequest req = fetch_request(item.entry.link);
    m_http->fetch(std::move(req),
                  [this, host, item = std::move(item)](Result<fetchers::HttpResponse> r) mutable {
                    --m_article_fetches;
                    --m_hosts[host].in_flight;
                    on_article_response(std::move(item), std::move(r));
                    pump_articles();
                    maybe_finish_shutdown();
                  });
  }

  void article_failed(const PendingArticle& item, const std::string& error) {
    m_queued_urls.erase(item.key);
    // Bounded memory over months of running: forgetting old failures only allows a retry.
    if (m_failed_urls.size() >= kMaxRememberedFailures) m_failed_urls.clear();
    const int n = ++m_failed_urls[item.entry.link];
    logger("fetch")->warn("fetch.article_failed source={} url={} attempt={} error={}", item.source,
                          q(item.entry.link), n, q(error));
  }

  void on_article_response(PendingArticle item, Result<fetchers::HttpResponse> r) {
    counter("newswatch_article_fetches_total", "Article fetches by outcome.",
            {{"result", r && r->status >= 200 && r->status < 300 ? "ok" : "error"}})
        .inc();
    if (r) {
      seconds("newswatch_fetch_seconds", "HTTP fetch latency.", {{"kind", "article"}})
          .observe(r->elapsed);
    }
    if (!r) {
      article_failed(item, r.error().to_string());
      return;
    }
    if (r->status < 200 || r->status >= 300) {
      article_failed(item, "HTTP " + std::to_string(r->status));
      return;
    }
    ++m_cpu_tasks;
    auto matcher = m_matcher;
    std::map<std::string, std::vector<std::string>> routes;
    for (const auto& t : m_config.topics) routes[t.name] = t.channels;
    asio::post(m_pool, [this, item = std::move(item), resp = std::move(*r), matcher,
                        routes = std::move(routes)]() mutable {
      auto request = prepare_article(item, resp, *matcher, routes);
      asio::post(m_io, [this, item = std::move(item), request = std::move(request),
                        routes = std::move(routes)]() mutable {
        if (!request) {
          finish_article(item, request.error());
          return;
        }
        queue_for_store(StoreJob{std::move(item), std::move(*request), std::move(routes)});
      });
    });
  }

  // io thread: the end of one article's trip (its CPU task is counted until it is stored).
  void finish_article(const PendingArticle& item, const Result<storage::PutOutcome>& outcome) {
    --m_cpu_tasks;
    m_queued_urls.erase(item.key);
    if (!outcome) {
      article_failed(item, outcome.error().to_string());
    } else if (outcome->stored) {
      ++m_articles_stored;
      counter("newswatch_articles_stored_total", "Articles stored as new stories.").inc();
      counter("newswatch_alerts_queued_total", "Alerts written to the outbox.")
          .inc(outcome->alerts_queued);
      if (outcome->alerts_queued > 0) schedule_delivery_soon();
    }
    maybe_finish_shutdown();
  }

  // io thread: articles that finished extraction are stored together, kStoreBatchArticles or
  // whatever gathered within kStoreBatchWindow, in one Store::put_articles call (one batch, one
  // WAL write; several times cheaper per article than one call each). A stopping daemon stores
  // at once.
  void queue_for_store(StoreJob job) {
    m_store_batch.push_back(std::move(job));
    if (m_store_batch.size() >= kStoreBatchArticles || m_stopping) {
      store_batch();
      return;
    }
    if (m_store_batch.size() > 1) return;
    m_store_timer.expires_after(kStoreBatchWindow);
    m_store_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: the batch filled up and went already
      store_batch();
    });
  }

  void store_batch() {
    m_store_timer.cancel();
    if (m_store_batch.empty()) return;
    auto jobs = std::make_shared<std::vector<StoreJob>>(std::move(m_store_batch));
    m_store_batch.clear();
    asio::post(m_pool, [this, jobs] {
      auto outcomes = store_articles(*jobs);
      asio::post(m_io, [this, jobs, outcomes = std::move(outcomes)] {
        for (size_t i = 0; i < jobs->size(); ++i) finish_article((*jobs)[i].item, outcomes[i]);
      });
    });
  }

  // CPU pool: extract and match; the article and its outbox records, ready to store.
  Result<storage::PutRequest> prepare_article(
      const PendingArticle& item, const fetchers::HttpResponse& resp, const TopicMatcher& matcher,
      const std::map<std::string, std::vector<std::string>>& routes) {
    parsers::ExtractOptions eo;
    eo.url = resp.effective_url.empty() ? item.entry.link : resp.effective_url;
    eo.content_type = resp.content_type;
    // A feed already says this page is an article, so a short item is still one: no minimum.
    eo.min_chars = 0;
    const auto t0 = std::chrono::steady_clock::now();
    auto extracted = parsers::extract_article(resp.body, eo);
    seconds("newswatch_extract_seconds", "Article extraction time.")
        .observe(std::chrono::steady_clock::now() - t0);
    if (!extracted) return extracted.error();
    storage::PutRequest request;
    request.article = std::move(*extracted);
    Article& a = request.article;
    a.url = item.entry.link;
    if (a.canonical_url.empty()) a.canonical_url = eo.url;
    a.source = item.source;
    a.fetched = SystemClock::instance().now();
    // The feed's title is written for listing and carries no site-name suffix; keep it when the
    // page's title only decorates it.
    if (a.title.empty() || decorates(a.title, item.entry.title)) a.title = item.entry.title;
    if (!a.published) a.published = item.entry.published;
    if (!a.modified) a.modified = item.entry.updated;
    if (a.byline.empty()) a.byline = item.entry.author;
    a.summary = item.entry.summary;
    // A page the extractor could not read (a script-rendered page, a consent wall) still has the
    // feed's full text when the feed carries one.
    if (a.text.size() < item.entry.content.size() / 2) a.text = item.entry.content;
    if (a.text.empty() && a.summary.empty()) {
      return make_error(ErrorCode::unsupported, "no article text on the page or in the feed");
    }
    const auto m0 = std::chrono::steady_clock::now();
    const auto hits = matcher.match(a);
    seconds("newswatch_match_seconds", "Time to match one article against every topic.")
        .observe(std::chrono::steady_clock::now() - m0);
    counter("newswatch_topic_matches_total", "Topic matches on fetched articles.").inc(hits.size());
    const bool too_old = !hits.empty() && matcher.too_old_to_alert(a, a.fetched);
    if (too_old) {
      counter("newswatch_alerts_skipped_old_total",
              "Matching articles not alerted because their date is older than matching.max_age.")
          .inc();
      logger("alert")->info("alert.skipped_old url={} published={} (matching.max_age)", q(a.url),
                            a.published ? format_iso8601(*a.published) : "-");
    }
    for (const auto& hit : hits) {
      a.topics.push_back(hit.topic);
      if (too_old) continue;
      auto route = routes.find(hit.topic);
      if (route == routes.end()) continue;
      for (const auto& channel : route->second) {
        storage::OutboxRecord rec;
        rec.topic = hit.topic;
        rec.channel = channel;
        rec.snippet = hit.snippet;
        rec.created = a.fetched;
        rec.next_attempt = a.fetched;
        request.alerts.push_back(std::move(rec));
      }
    }
    return request;
  }

  // CPU pool: stores the jobs' articles with their outbox records in one put_articles call (if
  // that fails, one by one, so that one bad article costs only itself), logs each outcome and
  // notes duplicates' sources on their originals' alerts. One outcome per job, in order.
  std::vector<Result<storage::PutOutcome>> store_articles(std::vector<StoreJob>& jobs) {
    std::vector<storage::PutRequest> requests;
    requests.reserve(jobs.size());
    for (auto& job : jobs) requests.push_back(std::move(job.request));
    std::vector<Result<storage::PutOutcome>> results;
    results.reserve(jobs.size());
    if (auto outcomes = m_store->put_articles(requests)) {
      for (auto& o : *outcomes) results.emplace_back(std::move(o));
    } else {
      for (auto& r : requests) results.push_back(m_store->put_article(r.article, r.alerts));
    }
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (!results[i]) continue;
      const Article& a = requests[i].article;
      const storage::PutOutcome& outcome = *results[i];
      if (outcome.stored) {
        std::string topics;
        for (const auto& t : a.topics) topics += (topics.empty() ? "" : ",") + t;
        logger("store")->info("store.article_stored id={} source={} url={} topics={} title={}",
                              a.id, a.source, q(a.url), topics.empty() ? "-" : topics, q(a.title));
      } else {
        const char* kind = storage::duplicate_kind_name(outcome.duplicate);
        counter("newswatch_duplicates_total",
                "Fetched articles that were copies of a stored story.", {{"kind", kind}})
            .inc();
        logger("store")->info("store.duplicate kind={} url={} original={} similarity={:.2f}", kind,
                              q(a.url), outcome.id, outcome.similarity);
        note_also_reported(a.source, outcome.id, jobs[i].routes);
      }
    }
    return results;
  }

  // CPU pool: a copy of a story from another source is not alerted again; the original's alerts
  // (pending ones go out with it, delivered ones show it in `newswatch show`) learn the source.
  void note_also_reported(const std::string& source, const std::string& original_id,
                          const std::map<std::string, std::vector<std::string>>& routes) {
    auto original = m_store->get_article(original_id);
    if (!original || !original->has_value() || (*original)->source == source) return;
    std::vector<std::string> keys;
    for (const auto& topic : (*original)->topics) {
      const auto route = routes.find(topic);
      if (route == routes.end()) continue;
      for (const auto& ch : route->second) {
        storage::OutboxRecord key;
        key.topic = topic;
        key.article_id = original_id;
        key.channel = ch;
        keys.push_back(key.key());
      }
    }
    if (keys.empty()) return;
    auto changed = m_store->note_also_reported(keys, source);
    if (!changed) {
      logger("store")->error("store.write_failed what=also_reported original={} error={}",
                             original_id, q(changed.error().to_string()));
    } else if (*changed > 0) {
      logger("alert")->info("alert.also_reported original={} source={} alerts={}", original_id,
                            source, *changed);
      counter("newswatch_alerts_collapsed_total",
              "Copies of an alerted story from other sources, noted on its alerts instead of "
              "alerting again.")
          .inc();
    }
  }

  // --- delivery ------------------------------------------------------------------------------

  void schedule_delivery(std::chrono::milliseconds delay) {
    if (m_stopping) return;
    m_delivery_timer.expires_after(delay);
    m_delivery_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || m_stopping) return;
      deliver_pending();
    });
  }

  // After new alerts: at once, but at most 4 scans a second while articles stream in (a scan
  // reads every pending alert, held ones included: ~2 ms per 1000 on the io thread).
  void schedule_delivery_soon() {
    const auto since = std::chrono::steady_clock::now() - m_last_scan;
    schedule_delivery(std::max<std::chrono::milliseconds>(
        0ms, 250ms - std::chrono::duration_cast<std::chrono::milliseconds>(since)));
  }

  const ChannelConfig* channel(const std::string& name) const {
    for (const auto& c : m_config.channels) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }

  void deliver_pending() {
    m_last_scan = std::chrono::steady_clock::now();
    auto pending = m_store->pending_alerts(kMaxPlannedAlerts);
    if (!pending) {
      logger("alert")->error("alert.outbox_unreadable error={}", q(pending.error().to_string()));
      schedule_delivery(30s);
      return;
    }
    const TimePoint now = SystemClock::instance().now();
    std::vector<storage::OutboxRecord> idle;
    for (auto& rec : *pending) {
      if (!m_delivering.count(rec.key())) idle.push_back(std::move(rec));
    }
    const auto rate = [this](const std::string& topic, const std::string& channel) {
      auto state = m_store->get_alert_rate(topic, channel);
      if (!state) {
        logger("alert")->error("alert.rate_state_unreadable topic={} channel={} error={}", topic,
                               channel, q(state.error().to_string()));
      }
      return state && state->has_value() ? **state : storage::AlertRateState{};
    };
    auto plan = alerts::plan_deliveries(std::move(idle), m_throttle, rate, m_inflight_groups, now);
    report_held(plan.held);
    for (auto& message : plan.messages) {
      if (m_deliveries >= kMaxDeliveries) break;
      deliver(std::move(message));
    }
    TimePoint earliest = now + std::chrono::seconds(30);
    if (plan.next_wake) earliest = std::min(earliest, *plan.next_wake);
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(earliest - now) + 100ms;
    schedule_delivery(std::max<std::chrono::milliseconds>(wait, 500ms));
  }

  // Logs when the number of alerts a topic's limits or a channel's quiet hours hold back changes,
  // and keeps the gauge's numbers.
  void report_held(const std::vector<alerts::HeldAlerts>& held) {
    std::map<std::tuple<std::string, std::string, alerts::HoldReason>, std::size_t> now_held;
    for (const auto& h : held) {
      now_held[{h.topic, h.channel, h.reason}] = h.count;
      auto it = m_held.find({h.topic, h.channel, h.reason});
      if (it != m_held.end() && it->second == h.count) continue;
      logger("alert")->info("alert.held topic={} channel={} reason={} alerts={} until={}", h.topic,
                            h.channel, alerts::hold_reason_name(h.reason), h.count,
                            h.until ? format_iso8601(*h.until) : "-");
    }
    m_held = std::move(now_held);
  }

  void deliver(alerts::PlannedMessage message) {
    const ChannelConfig* ch = channel(message.channel);
    const TimePoint now = SystemClock::instance().now();
    std::vector<Article> articles;
    std::string missing;
    for (const auto& rec : message.records) {
      auto article = m_store->get_article(rec.article_id);
      if (article && article->has_value()) {
        articles.push_back(std::move(**article));
      } else {
        missing = rec.article_id;
      }
    }
    if (!ch || articles.empty() ||
        (message.kind == alerts::MessageKind::single && !missing.empty())) {
      const std::string why = !ch ? "no channel named " + message.channel : "article missing";
      fail_message(message, why, now, std::nullopt, false);
      return;
    }
    if (message.new_bundle) {
      // The bundle's composition is stored before its first send, so that a resend after a crash
      // carries the same stories under the same idempotency key.
      if (auto st = m_store->update_alerts(message.records); !st.ok()) {
        logger("store")->error("store.write_failed what=alert_bundle key={} error={}",
                               message.bundle, q(st.to_string()));
        return;
      }
    }
    // Stories whose article was purged meanwhile are left out of the message, not the bundle.
    std::vector<alerts::AlertItem> items;
    for (const auto& rec : message.records) {
      for (const auto& a : articles) {
        if (a.id != rec.article_id) continue;
        items.push_back(alerts::AlertItem{
            &rec, &a, rec.snippet.empty() ? alerts::make_snippet(a.text) : rec.snippet});
      }
    }
    ++m_deliveries;
    ++m_inflight_groups[{message.topic, message.channel}];
    for (const auto& rec : message.records) m_delivering.insert(rec.key());
    const bool single = message.kind == alerts::MessageKind::single;
    const auto format =
        alerts::parse_webhook_format(ch->format).value_or(alerts::WebhookFormat::json);
    if (ch->type == ChannelType::email) {
      fetchers::MailRequest mail;
      mail.url = ch->smtp_url;
      mail.username = ch->username;
      mail.password = ch->password;
      mail.from = alerts::bare_address(ch->from);
      for (const auto& to : ch->to) mail.to.push_back(alerts::bare_address(to));
      mail.message = alerts::build_mime(
          single ? alerts::build_alert_email(message.records.front(), articles.front(),
                                             items.front().snippet, ch->from, ch->to, now)
                 : alerts::build_bundle_email(message.bundle, message.kind, items, ch->from, ch->to,
                                              now));
      mail.timeout = 30s;
      m_http->send_mail(std::move(mail), [this, message = std::move(message)](
                                             Result<fetchers::HttpResponse> r) mutable {
        on_delivery_result(std::move(message), true, std::move(r));
      });
      return;
    }
    const auto body = single ? alerts::build_webhook(message.records.front(), articles.front(),
                                                     items.front().snippet, ch->secret, format)
                             : alerts::build_bundle_webhook(message.bundle, message.kind, items,
                                                            ch->secret, format);
    if (ch->type == ChannelType::file) {
      auto written = append_line(ch->path, body.body);
      fetchers::HttpResponse resp;
      resp.status = 200;
      Result<fetchers::HttpResponse> r = std::move(resp);
      if (!written.ok()) r = make_error(written.error().code, written.error().message);
      // Through the loop like a network delivery, so the bookkeeping is the same.
      asio::post(m_io, [this, message = std::move(message), r = std::move(r)]() mutable {
        on_delivery_result(std::move(message), false, std::move(r));
      });
      return;
    }
    fetchers::HttpRequest req;
    req.url = ch->url;
    req.method = "POST";
    req.body = body.body;
    req.headers = body.headers;
    req.timeout = 15s;
    req.max_redirects = 0;
    req.allow_private_networks = true;  // the operator configured this receiver
    m_http->fetch(std::move(req),
                  [this, message = std::move(message)](Result<fetchers::HttpResponse> r) mutable {
                    on_delivery_result(std::move(message), false, std::move(r));
                  });
  }

  void on_delivery_result(alerts::PlannedMessage message, bool email,
                          Result<fetchers::HttpResponse> r) {
    --m_deliveries;
    if (--m_inflight_groups[{message.topic, message.channel}] <= 0) {
      m_inflight_groups.erase({message.topic, message.channel});
    }
    for (const auto& rec : message.records) m_delivering.erase(rec.key());
    const TimePoint done = SystemClock::instance().now();
    const bool ok =
        r && (email ? r->status >= 200 && r->status < 400 : r->status >= 200 && r->status < 300);
    const char* kind = message.kind == alerts::MessageKind::single   ? "single"
                       : message.kind == alerts::MessageKind::digest ? "digest"
                                                                     : "folded";
    if (ok) {
      for (auto& rec : message.records) {
        rec.state = storage::DeliveryState::delivered;
        rec.delivered_at = done;
        ++rec.attempts;
      }
      m_alerts_delivered += message.records.size();
      const auto& lead = message.records.front();
      if (message.kind == alerts::MessageKind::single) {
        logger("alert")->info("alert.delivered topic={} article={} channel={} status={} ms={}",
                              lead.topic, lead.article_id, lead.channel, r->status,
                              r->elapsed.count());
      } else {
        logger("alert")->info(
            "alert.delivered topic={} article={} channel={} status={} ms={} kind={} stories={} "
            "bundle={}",
            lead.topic, lead.article_id, lead.channel, r->status, r->elapsed.count(), kind,
            message.records.size(), message.bundle);
        counter("newswatch_alerts_bundled_total",
                "Alerts delivered inside digest or folded messages.", {{"kind", kind}})
            .inc(message.records.size());
      }
      std::optional<storage::AlertRateUpdate> rate;
      const auto limits = m_throttle.topics.find(message.topic);
      if (limits != m_throttle.topics.end() && limits->second.max_alerts > 0) {
        auto state = m_store->get_alert_rate(message.topic, message.channel);
        rate = storage::AlertRateUpdate{
            message.topic, message.channel,
            alerts::record_send(state && state->has_value() ? **state : storage::AlertRateState{},
                                done, limits->second)};
      }
      counter("newswatch_deliveries_total", "Alert delivery attempts by channel and result.",
              {{"channel", message.channel}, {"result", "delivered"}})
          .inc();
      store_delivery(message.records, rate);
    } else {
      const std::string why =
          r ? (email ? "SMTP " : "HTTP ") + std::to_string(r->status) : r.error().to_string();
      // Permanent refusals are not retried: other HTTP 4xx, SMTP 5xx.
      const bool permanent =
          r && (email ? r->status >= 500 : !alerts::is_retryable_status(r->status));
      fail_message(message, why, done, r ? r->retry_after : std::nullopt, permanent);
    }
    maybe_finish_shutdown();
    if (!m_stopping) schedule_delivery(0ms);
  }

  // Records a failed attempt on every alert of `message` alike, so a bundle stays whole.
  void fail_message(alerts::PlannedMessage& message, const std::string& why, TimePoint now,
                    std::optional<std::chrono::seconds> retry_after, bool permanent) {
    auto& lead = message.records.front();
    if (permanent) lead.attempts = static_cast<std::uint32_t>(m_retry.max_attempts - 1);
    alerts::record_failure(lead, why, now, retry_after, m_retry, m_rng);
    for (auto& rec : message.records) {
      rec.attempts = lead.attempts;
      rec.last_error = lead.last_error;
      rec.state = lead.state;
      rec.next_attempt = lead.next_attempt;
      rec.delivered_at = lead.delivered_at;
    }
    const bool dead = lead.state == storage::DeliveryState::dead;
    logger("alert")->warn(
        "alert.delivery_failed topic={} article={} channel={} attempt={} state={} stories={} "
        "error={}",
        lead.topic, lead.article_id, lead.channel, lead.attempts, dead ? "dead" : "retrying",
        message.records.size(), q(why));
    counter("newswatch_deliveries_total", "Alert delivery attempts by channel and result.",
            {{"channel", message.channel}, {"result", dead ? "dead" : "failed"}})
        .inc();
    store_delivery(message.records, std::nullopt);
  }

  void store_delivery(const std::vector<storage::OutboxRecord>& records,
                      const std::optional<storage::AlertRateUpdate>& rate) {
    auto s = m_store->update_alerts(records, rate);
    if (!s.ok()) {
      logger("store")->error("store.write_failed what=alert key={} error={}",
                             records.front().idempotency_key(), q(s.to_string()));
    }
  }

  // `newswatch alerts --retry` while the daemon runs: request files beside the database, looked
  // for every 2 s (one stat of a directory that usually does not exist).
  void schedule_requests() {
    m_requests_timer.expires_after(2s);
    m_requests_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || m_stopping) return;
      process_requests();
      schedule_requests();
    });
  }

  void process_requests() {
    const auto requests = take_retry_requests(m_config.storage.path);
    if (!requests.empty()) schedule_delivery(0ms);
    for (const auto& request : requests) {
      auto moved =
          m_store->requeue_dead([&](const storage::OutboxRecord& r) { return request.selects(r); },
                                SystemClock::instance().now());
      if (!moved) {
        logger("alert")->error("alert.requeue_failed error={}", q(moved.error().to_string()));
      } else {
        logger("alert")->info("alert.requeued alerts={} request={}", *moved, q(request.text()));
      }
    }
  }

  std::string m_config_path;
  Config m_config;
  asio::io_context m_io;
  asio::thread_pool m_pool;
  asio::signal_set m_signals;
  asio::steady_timer m_delivery_timer;
  asio::steady_timer m_drain_timer;
  asio::steady_timer m_watchdog_timer;
  asio::steady_timer m_pump_timer;
  asio::steady_timer m_index_timer;
  asio::steady_timer m_store_timer;
  std::vector<StoreJob> m_store_batch;  // extracted articles waiting for the next put_articles
  asio::steady_timer m_retention_timer;
  asio::steady_timer m_probe_timer;
  std::atomic<double> m_loop_lag_max{0};
  asio::steady_timer m_requests_timer;
  asio::steady_timer m_state_timer;  // batches source state writes (mark_dirty)
  // Sources polled since the last batch (m_sources' nodes are stable; erased from here first).
  std::unordered_set<const SourceRuntime*> m_dirty_sources;
  bool m_state_timer_armed = false;
  bool m_state_flush_running = false;
  std::mutex m_state_write_mutex;  // the pool's batch vs. the final write at shutdown
  bool m_states_final = false;     // under m_state_write_mutex
  std::map<std::string, HostState> m_hosts;
  std::mt19937_64 m_rng;
  std::unique_ptr<storage::Store> m_store;
  std::unique_ptr<fetchers::HttpClient> m_http;
  std::shared_ptr<TopicMatcher> m_matcher;
  std::map<std::string, SourceRuntime> m_sources;
  std::size_t m_queued = 0;  // articles in the hosts' queues
  std::unordered_map<std::string, std::size_t> m_queued_per_source;
  std::string m_pump_cursor;  // the host that started a fetch last
  std::chrono::steady_clock::time_point m_disk_checked{};
  bool m_disk_ok = true;
  std::unordered_set<std::string> m_queued_urls;  // dedup keys of queued or in-flight links
  storage::CanonOptions m_canon;                  // the store's URL rules, for queue keys
  std::unordered_map<std::string, int> m_failed_urls;
  fetchers::RobotsCache m_robots;
  std::set<std::string> m_robots_pending;           // origins whose robots.txt is in flight
  std::unordered_set<std::string> m_robots_logged;  // refused URLs already logged
  // ETag and Last-Modified of child sitemaps, by URL (in memory: a restart refetches them once).
  std::map<std::string, std::pair<std::string, std::string>> m_child_validators;
  std::set<std::string> m_delivering;
  std::chrono::steady_clock::time_point m_last_scan{};
  alerts::InFlight m_inflight_groups;  // messages being sent per (topic, channel)
  alerts::ThrottlePolicy m_throttle;
  // Alerts held back at the last delivery scan, for alert.held lines and the gauge.
  std::map<std::tuple<std::string, std::string, alerts::HoldReason>, std::size_t> m_held;
  alerts::RetryPolicy m_retry;
  int m_article_fetches = 0;
  int m_deliveries = 0;
  int m_cpu_tasks = 0;
  bool m_stopping = false;
  // m_stopping for the CPU pool: a long retention run stops between slices.
  std::atomic<bool> m_draining{false};
  bool m_finished = false;
  std::uint64_t m_articles_stored = 0;
  std::uint64_t m_alerts_delivered = 0;
  Metrics m_metrics;
  std::unique_ptr<MetricsServer> m_metrics_server;
};

}  // namespace

int run_daemon(const std::string& config_path, Config config) {
  Daemon daemon(config_path, std::move(config));
  return daemon.run();
}

}  // namespace newswatch::daemon
