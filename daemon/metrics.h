// The daemon's observability surface: a small metrics registry rendered in the Prometheus text
// format 0.0.4, process metrics read from /proc, and an HTTP/1.1 server (Boost.Beast, on the io
// thread) answering GET /metrics and GET /healthz on a configurable, normally loopback, address.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace boost::asio {
class io_context;
}

namespace newswatch::daemon {

// Label pairs of one series, e.g. {{"source", "tagesschau"}, {"result", "304"}}. Order does not
// matter: the registry sorts them by name, so {a,b} and {b,a} name the same series.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonic count. Any thread; inc() is one relaxed atomic add.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void inc(std::uint64_t n = 1) { m_value.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return m_value.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> m_value{0};
};

// A value that goes up and down (queue depth, in-flight requests). Any thread.
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void set(double v) { m_value.store(v, std::memory_order_relaxed); }
  void add(double d) { m_value.fetch_add(d, std::memory_order_relaxed); }
  void inc() { add(1); }
  void dec() { add(-1); }
  double value() const { return m_value.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> m_value{0};
};

// Observations counted into fixed buckets (upper bounds, ascending; +Inf is implicit).
// observe() is lock-free (two relaxed atomic adds and a binary search); any thread.
class Histogram {
 public:
  // REQUIRES: `bounds` strictly ascending and finite.
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe(double v);
  void observe(std::chrono::nanoseconds d) { observe(std::chrono::duration<double>(d).count()); }

  const std::vector<double>& bounds() const { return m_bounds; }
  // Cumulative counts per bound, then the +Inf bucket (== count()); size bounds().size() + 1.
  std::vector<std::uint64_t> cumulative_counts() const;
  std::uint64_t count() const;
  double sum() const { return m_sum.load(std::memory_order_relaxed); }

 private:
  std::vector<double> m_bounds;
  std::unique_ptr<std::atomic<std::uint64_t>[]> m_counts;  // per bucket, not cumulative
  std::atomic<double> m_sum{0};
};

// Latency buckets in seconds, 5 ms .. 30 s, for fetches, parses and deliveries.
extern const std::vector<double> k_latency_buckets;

enum class MetricType { counter, gauge, histogram };

// The registry. Families are keyed by metric name, series by their label set. counter(),
// gauge() and histogram() return the existing series or create it; the reference stays valid for
// the registry's lifetime, so hot paths look a series up once and keep the reference (lookups
// take a mutex, increments do not). Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
// [a-zA-Z_][a-zA-Z0-9_]* (not "le" on histograms); reusing a name with another type or other
// buckets is a bug (asserted; in release builds the caller gets a detached series that is never
// rendered). Any thread.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  // `bounds` counts only when the family is created; later calls must pass the same bounds.
  Histogram& histogram(std::string_view name, std::string_view help,
                       const std::vector<double>& bounds, const Labels& labels = {});

  // A series whose value `fn` computes at render time (process RSS, outbox depth, RocksDB
  // stats). `fn` runs on the rendering thread with the registry locked: it must be cheap and must
  // not call back into this registry. Registering the same name and labels again replaces `fn`.
  void gauge_callback(std::string_view name, std::string_view help, std::function<double()> fn,
                      const Labels& labels = {});
  void counter_callback(std::string_view name, std::string_view help, std::function<double()> fn,
                        const Labels& labels = {});

  // The whole registry in the Prometheus text exposition format 0.0.4: families sorted by name,
  // each with # HELP and # TYPE, series sorted by labels. Any thread.
  std::string render_prometheus() const;

 private:
  struct Series;
  struct Family;
  Family* family_locked(std::string_view name, std::string_view help, MetricType type,
                        const std::vector<double>* bounds);
  Series* series_locked(std::string_view name, std::string_view help, MetricType type,
                        const std::vector<double>* bounds, const Labels& labels);

  mutable std::mutex m_mutex;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> m_families;
  std::vector<std::unique_ptr<Series>> m_detached;  // misuse in release builds lands here
};

// A snapshot of this process from /proc and getrusage (Linux).
struct ProcessStats {
  std::uint64_t resident_bytes = 0;  // /proc/self/statm resident pages * page size
  std::uint64_t virtual_bytes = 0;   // /proc/self/statm size * page size
  std::uint64_t open_fds = 0;        // entries of /proc/self/fd
  std::uint64_t max_fds = 0;         // RLIMIT_NOFILE soft limit
  double cpu_seconds = 0;            // user + system
  double start_time_seconds = 0;     // Unix time the process started
};

// Reads the current ProcessStats. io_error when /proc cannot be read. Any thread; a few syscalls.
Result<ProcessStats> read_process_stats();

// Registers the standard process_* callback series (process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_cpu_seconds_total,
// process_start_time_seconds) on `metrics`.
void register_process_metrics(Metrics& metrics);

// "127.0.0.1:9187", "[::1]:9187", "localhost:0" split into a numeric host and a port.
struct ListenAddress {
  std::string host;  // an IPv4 or IPv6 literal ("localhost" becomes "127.0.0.1")
  std::uint16_t port = 0;
};

// Parses `text` as host:port. invalid_argument with the reason when it is not one.
Result<ListenAddress> parse_listen_address(std::string_view text);

// What /healthz reports: healthy -> 200 "ok", otherwise 503 with `reason`.
struct Health {
  bool healthy = true;
  std::string reason;
};

struct MetricsServerOptions {
  // Address to listen on as host:port; port 0 picks a free port (see MetricsServer::port()).
  // Default 127.0.0.1:9187. A non-loopback host is allowed but logged as a warning: the endpoint
  // has no authentication.
  std::string listen = "127.0.0.1:9187";
  // Connections served at once; further ones are accepted and closed at once. Default 16.
  std::size_t max_connections = 16;
  // Largest request (header plus body) read; larger ones get 431/413 and the connection closes.
  // Default 8 KiB.
  std::size_t max_request_bytes = 8 * 1024;
  // A request must arrive within this time after the connection opens or the previous response
  // ends (idle keep-alive connections close after it too). Default 10 s.
  std::chrono::milliseconds read_timeout{10'000};
  // Writing one response may take at most this long. Default 10 s.
  std::chrono::milliseconds write_timeout{10'000};
};

struct MetricsServerState;  // metrics.cc

// HTTP/1.1 server for GET (and HEAD) /metrics (text/plain; version=0.0.4) and /healthz; other
// paths 404, other methods 405. Runs entirely on the given io_context: construct, start() and
// stop() on the io thread or before io_context::run(). `metrics` must outlive the server; `health`
// is called on the io thread per /healthz request (keep it cheap) and never after stop().
// Destroy the server before the io_context.
class MetricsServer {
 public:
  MetricsServer(boost::asio::io_context& io, const Metrics& metrics, std::function<Health()> health,
                MetricsServerOptions options);
  ~MetricsServer();  // calls stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and starts accepting. invalid_argument for a malformed address, network when the
  // address cannot be bound (e.g. "metrics: cannot listen on 127.0.0.1:9187: Address already in
  // use"). REQUIRES: not started.
  Status start();

  // Closes the listener and every open connection; pending handlers finish with errors, so an
  // io_context with nothing else to do returns from run(). Idempotent.
  void stop();

  // The bound port (useful with port 0), or 0 before a successful start().
  std::uint16_t port() const;
  // Connections currently open. io thread.
  std::size_t connections() const;

 private:
  std::shared_ptr<MetricsServerState> m_state;
};

}  // namespace newswatch::daemon
