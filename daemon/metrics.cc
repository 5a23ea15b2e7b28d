#include "daemon/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "daemon/logging.h"

namespace newswatch::daemon {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

[[maybe_unused]] bool is_valid_name(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

[[maybe_unused]] bool is_valid_label_name(std::string_view name) {
  return is_valid_name(name, false) && name.substr(0, 2) != "__";
}

// The shortest spelling that round-trips (as Go's FormatFloat 'g', -1), which Prometheus parses.
void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {
    // Whole numbers below 2^53 (byte counts, depths) print as integers, not as 1.2345e+08.
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v));
    out.append(buf, res.ptr);
  } else {
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
  }
}

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

void append_escaped(std::string& out, std::string_view text, bool escape_quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// `{a="x",b="y"}`, with an optional extra label (the histogram's `le`) last; nothing when empty.
void append_labels(std::string& out, const Labels& labels, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  auto one = [&](std::string_view name, std::string_view value) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    append_escaped(out, value, true);
    out += '"';
  };
  for (const auto& [name, value] : labels) one(name, value);
  if (!extra_name.empty()) one(extra_name, extra_value);
  out += '}';
}

const char* type_name(MetricType type) {
  switch (type) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::histogram: return "histogram";
  }
  return "untyped";
}

Labels sorted_labels(const Labels& labels) {
  Labels out = labels;
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Histogram

const std::vector<double> k_latency_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,    2.5,   5,    10,  30};

Histogram::Histogram(std::vector<double> bounds)
    : m_bounds(std::move(bounds)),
      m_counts(std::make_unique<std::atomic<std::uint64_t>[]>(m_bounds.size() + 1)) {
  assert(std::adjacent_find(m_bounds.begin(), m_bounds.end(), std::greater_equal<>()) ==
         m_bounds.end());
  assert(std::all_of(m_bounds.begin(), m_bounds.end(), [](double b) { return std::isfinite(b); }));
}

void Histogram::observe(double v) {
  // Bucket i counts v <= bounds[i]; NaN matches no bound and lands in +Inf only.
  const std::size_t i =
      std::isnan(v) ? m_bounds.size()
                    : static_cast<std::size_t>(
                          std::lower_bound(m_bounds.begin(), m_bounds.end(), v) - m_bounds.begin());
  m_counts[i].fetch_add(1, std::memory_order_relaxed);
  m_sum.fetch_add(v, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(m_bounds.size() + 1);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    total += m_counts[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

std::uint64_t Histogram::count() const { return cumulative_counts().back(); }

// ---------------------------------------------------------------------------------------------
// Metrics

struct Metrics::Series {
  std::variant<std::monostate, Counter, Gauge, std::function<double()>> value;
  std::unique_ptr<Histogram> histogram;
};

struct Metrics::Family {
  std::string help;
  MetricType type = MetricType::counter;
  std::vector<double> bounds;
  std::map<Labels, std::unique_ptr<Series>> series;
};

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

Metrics::Family* Metrics::family_locked(std::string_view name, std::string_view help,
                                        MetricType type, const std::vector<double>* bounds) {
  assert(is_valid_name(name, true));
  auto it = m_families.find(name);
  if (it == m_families.end()) {
    auto family = std::make_unique<Family>();
    family->help = std::string(help);
    family->type = type;
    if (bounds != nullptr) family->bounds = *bounds;
    it = m_families.emplace(std::string(name), std::move(family)).first;
  }
  Family* family = it->second.get();
  const bool same_buckets = bounds == nullptr || family->bounds == *bounds;
  assert(family->type == type && same_buckets);
  if (family->type != type || !same_buckets) return nullptr;
  return family;
}

Metrics::Series* Metrics::series_locked(std::string_view name, std::string_view help,
                                        MetricType type, const std::vector<double>* bounds,
                                        const Labels& labels) {
  assert(std::all_of(labels.begin(), labels.end(), [&](const auto& label) {
    return is_valid_label_name(label.first) &&
           (type != MetricType::histogram || label.first != "le");
  }));
  Family* family = family_locked(name, help, type, bounds);
  std::unique_ptr<Series>* slot = nullptr;
  if (family == nullptr) {
    slot = &m_detached.emplace_back();
  } else {
    slot = &family->series[sorted_labels(labels)];
  }
  if (!*slot) {
    *slot = std::make_unique<Series>();
    if (type == MetricType::histogram) {
      (*slot)->histogram =
          std::make_unique<Histogram>(bounds != nullptr ? *bounds : std::vector<double>{});
    }
  }
  return slot->get();
}

Counter& Metrics::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(m_mutex);
  Series* s = series_locked(name, help, MetricType::counter, nullptr, labels);
  if (!std::holds_alternative<Counter>(s->value)) {
    // A callback registered under these labels earlier: the counter replaces it.
    s->value.emplace<Counter>();
  }
  return std::get<Counter>(s->value);
}

Gauge& Metrics::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(m_mutex);
  Series* s = series_locked(name, help, MetricType::gauge, nullptr, labels);
  if (!std::holds_alternative<Gauge>(s->value)) s->value.emplace<Gauge>();
  return std::get<Gauge>(s->value);
}

Histogram& Metrics::histogram(std::string_view name, std::string_view help,
                              const std::vector<double>& bounds, const Labels& labels) {
  std::lock_guard lock(m_mutex);
  return *series_locked(name, help, MetricType::histogram, &bounds, labels)->histogram;
}

void Metrics::gauge_callback(std::string_view name, std::string_view help,
                             std::function<double()> fn, const Labels& labels) {
  std::lock_guard lock(m_mutex);
  Series* s = series_locked(name, help, MetricType::gauge, nullptr, labels);
  // A Gauge already handed out must stay valid; it keeps its place and the callback is dropped.
  assert(!std::holds_alternative<Gauge>(s->value));
  if (!std::holds_alternative<Gauge>(s->value)) s->value = std::move(fn);
}

void Metrics::counter_callback(std::string_view name, std::string_view help,
                               std::function<double()> fn, const Labels& labels) {
  std::lock_guard lock(m_mutex);
  Series* s = series_locked(name, help, MetricType::counter, nullptr, labels);
  assert(!std::holds_alternative<Counter>(s->value));
  if (!std::holds_alternative<Counter>(s->value)) s->value = std::move(fn);
}

std::string Metrics::render_prometheus() const {
  std::string out;
  out.reserve(4096);
  std::lock_guard lock(m_mutex);
  for (const auto& [name, family] : m_families) {
    if (family->series.empty()) continue;
    out += "# HELP ";
    out += name;
    out += ' ';
    append_escaped(out, family->help, false);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type_name(family->type);
    out += '\n';
    for (const auto& [labels, series] : family->series) {
      if (family->type == MetricType::histogram) {
        const Histogram& h = *series->histogram;
        const std::vector<std::uint64_t> counts = h.cumulative_counts();
        std::string le;
        for (std::size_t i = 0; i < counts.size(); ++i) {
          le.clear();
          append_number(le, i < h.bounds().size() ? h.bounds()[i] : HUGE_VAL);
          out += name;
          out += "_bucket";
          append_labels(out, labels, "le", le);
          out += ' ';
          append_number(out, counts[i]);
          out += '\n';
        }
        out += name;
        out += "_sum";
        append_labels(out, labels);
        out += ' ';
        append_number(out, h.sum());
        out += '\n';
        out += name;
        out += "_count";
        append_labels(out, labels);
        out += ' ';
        // The +Inf bucket, so _count always equals it even while observations race the render.
        append_number(out, counts.back());
        out += '\n';
        continue;
      }
      out += name;
      append_labels(out, labels);
      out += ' ';
      if (const auto* c = std::get_if<Counter>(&series->value)) {
        append_number(out, c->value());
      } else if (const auto* g = std::get_if<Gauge>(&series->value)) {
        append_number(out, g->value());
      } else if (const auto* fn = std::get_if<std::function<double()>>(&series->value)) {
        append_number(out, (*fn)());
      } else {
        append_number(out, 0.0);
      }
      out += '\n';
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Process metrics

namespace {

std::optional<std::string> read_small_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Boot time from /proc/stat's btime line, in Unix seconds.
std::optional<double> boot_time_seconds() {
  const auto stat = read_small_file("/proc/stat");
  if (!stat) return std::nullopt;
  const auto pos = stat->find("\nbtime ");
  if (pos == std::string::npos) return std::nullopt;
  return std::strtod(stat->c_str() + pos + 7, nullptr);
}

// The process start time is fixed, so it is computed once.
double process_start_time() {
  static const double k_start = [] {
    const auto stat = read_small_file("/proc/self/stat");
    const auto btime = boot_time_seconds();
    const long ticks = sysconf(_SC_CLK_TCK);
    if (stat && btime && ticks > 0) {
      // Field 22 (starttime); the comm field may hold spaces, so count from its closing paren.
      const auto paren = stat->rfind(')');
      if (paren != std::string::npos) {
        std::istringstream fields(stat->substr(paren + 1));
        std::string field;
        for (int i = 3; i <= 22 && (fields >> field); ++i) {
          if (i == 22) return *btime + std::strtod(field.c_str(), nullptr) / double(ticks);
        }
      }
    }
    return static_cast<double>(std::time(nullptr));
  }();
  return k_start;
}

}  // namespace

Result<ProcessStats> read_process_stats() {
  ProcessStats stats;
  const auto statm = read_small_file("/proc/self/statm");
  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  if (!statm || std::sscanf(statm->c_str(), "%llu %llu", &size_pages, &resident_pages) != 2) {
    return make_error(ErrorCode::io_error, "cannot read /proc/self/statm");
  }
  const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  stats.virtual_bytes = size_pages * page;
  stats.resident_bytes = resident_pages * page;

  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return make_error(ErrorCode::io_error, "cannot list /proc/self/fd");
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++stats.open_fds;
  }
  closedir(dir);
  // The directory handle itself was one of the entries.
  if (stats.open_fds > 0) --stats.open_fds;

  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) stats.max_fds = limit.rlim_cur;

  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    auto seconds = [](const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; };
    stats.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }
  stats.start_time_seconds = process_start_time();
  return stats;
}

void register_process_metrics(Metrics& metrics) {
  auto field = [](auto member) {
    return [member]() -> double {
      const auto stats = read_process_stats();
      return stats ? static_cast<double>((*stats).*member) : std::nan("");
    };
  };
  metrics.gauge_callback("process_resident_memory_bytes", "Resident memory size in bytes.",
                         field(&ProcessStats::resident_bytes));
  metrics.gauge_callback("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                         field(&ProcessStats::virtual_bytes));
  metrics.gauge_callback("process_open_fds", "Number of open file descriptors.",
                         field(&ProcessStats::open_fds));
  metrics.gauge_callback("process_max_fds", "Maximum number of open file descriptors.",
                         field(&ProcessStats::max_fds));
  metrics.counter_callback("process_cpu_seconds_total",
                           "Total user and system CPU time in seconds.",
                           field(&ProcessStats::cpu_seconds));
  metrics.gauge_callback("process_start_time_seconds",
                         "Start time of the process since the Unix epoch in seconds.",
                         [] { return process_start_time(); });
}

// ---------------------------------------------------------------------------------------------
// Listen address

Result<ListenAddress> parse_listen_address(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::invalid_argument,
                      "listen address \"" + std::string(text) + "\": " + std::string(why));
  };
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad("missing ']' after the IPv6 address");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') return bad("expected host:port");
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("expected host:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("write IPv6 addresses as [addr]:port");
  }
  if (host.empty()) return bad("missing host");
  unsigned value = 0;
  const auto res = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || res.ec != std::errc() || res.ptr != port.data() + port.size() ||
      value > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  ListenAddress out;
  out.host = host == "localhost" ? "127.0.0.1" : std::string(host);
  out.port = static_cast<std::uint16_t>(value);
  boost::system::error_code ec;
  asio::ip::make_address(out.host, ec);
  if (ec) return bad("host must be an IP address or localhost");
  return out;
}

// ---------------------------------------------------------------------------------------------
// MetricsServer

namespace {
class Session;
}

struct MetricsServerState {
  MetricsServerState(asio::io_context& io, const Metrics& m, std::function<Health()> h,
                     MetricsServerOptions o)
      : acceptor(io), retry_timer(io), metrics(m), health(std::move(h)), options(std::move(o)) {}

  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;  // pauses accepting after an accept error such as EMFILE
  const Metrics& metrics;
  std::function<Health()> health;
  MetricsServerOptions options;
  bool stopped = false;
  std::uint16_t port = 0;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
};

namespace {

using State = MetricsServerState;
using Response = http::response<http::string_body>;

// One connection: read a request (bounded in size and time), answer, repeat while keep-alive.
// Every handler checks `stopped` first, because the server may be gone by the time it runs.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<State> state)
      : m_stream(std::move(socket)),
        m_buffer(state->options.max_request_bytes),
        m_state(std::move(state)) {}

  ~Session() { m_state->sessions.erase(this); }

  void start() {
    m_state->sessions.emplace(this, weak_from_this());
    read_request();
  }

  void close() {
    beast::error_code ec;
    m_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    m_stream.close();
  }

 private:
  void read_request() {
    m_parser.emplace();
    m_parser->header_limit(static_cast<std::uint32_t>(m_state->options.max_request_bytes));
    m_parser->body_limit(m_state->options.max_request_bytes);
    m_stream.expires_after(m_state->options.read_timeout);
    http::async_read(
        m_stream, m_buffer, *m_parser,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (m_state->stopped) return;
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      return reply_and_close(http::status::request_header_fields_too_large,
                             "request header too large\n");
    }
    if (ec == http::error::body_limit) {
      return reply_and_close(http::status::payload_too_large, "request body too large\n");
    }
    // EOF, timeout and socket errors just end the connection; only malformed requests get a 400.
    if (ec && ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return reply_and_close(http::status::bad_request, "bad request\n");
    }
    if (ec) return close();

    const auto& req = m_parser->get();
    Response res = answer(req);
    res.version(req.version());
    write(std::move(res), !req.keep_alive());
  }

  Response answer(const http::request<http::string_body>& req) {
    const bool head = req.method() == http::verb::head;
    std::string_view target(req.target().data(), req.target().size());
    target = target.substr(0, target.find('?'));

    Response res;
    if (req.method() != http::verb::get && !head) {
      res = text(http::status::method_not_allowed, "method not allowed\n");
      res.set(http::field::allow, "GET, HEAD");
    } else if (target == "/metrics") {
      res = text(http::status::ok, m_state->metrics.render_prometheus());
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    } else if (target == "/healthz") {
      const Health health = check_health();
      res = health.healthy ? text(http::status::ok, "ok\n")
                           : text(http::status::service_unavailable,
                                  (health.reason.empty() ? "unhealthy" : health.reason) + "\n");
    } else {
      res = text(http::status::not_found, "not found\n");
    }
    if (head) {
      const auto length = res.body().size();
      res.body().clear();
      res.content_length(length);
    }
    return res;
  }

  Health check_health() {
    if (!m_state->health) return Health{};
    try {
      return m_state->health();
    } catch (const std::exception& e) {
      return Health{false, std::string("health check failed: ") + e.what()};
    }
  }

  static Response text(http::status status, std::string body) {
    Response res{status, 11};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
  }

  void reply_and_close(http::status status, std::string body) {
    write(text(status, std::move(body)), true);
  }

  void write(Response res, bool close_after) {
    m_response = std::move(res);
    m_response.keep_alive(!close_after);
    m_stream.expires_after(m_state->options.write_timeout);
    http::async_write(m_stream, m_response,
                      [self = shared_from_this(), close_after](beast::error_code ec, std::size_t) {
                        if (self->m_state->stopped) return;
                        if (ec) return self->close();
                        if (close_after) return self->drain();
                        self->read_request();
                      });
  }

  // Half-closes and reads until the client hangs up, so unread request bytes do not make the
  // kernel reset the connection and discard the response before the client reads it.
  void drain() {
    beast::error_code ec;
    m_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    m_stream.expires_after(m_state->options.read_timeout);
    drain_more();
  }

  void drain_more() {
    m_stream.async_read_some(asio::buffer(m_scratch),
                             [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                               if (self->m_state->stopped) return;
                               self->m_drained += n;
                               if (ec || self->m_drained > std::size_t{1} << 20)
                                 return self->close();
                               self->drain_more();
                             });
  }

  beast::tcp_stream m_stream;
  beast::flat_buffer m_buffer;
  std::shared_ptr<State> m_state;
  std::optional<http::request_parser<http::string_body>> m_parser;
  Response m_response;
  std::array<char, 4096> m_scratch{};
  std::size_t m_drained = 0;
};

void accept_next(const std::shared_ptr<State>& state) {
  state->acceptor.async_accept([state](beast::error_code ec, tcp::socket socket) {
    if (state->stopped) return;
    if (ec) {
      // Out of descriptors and the like: pause briefly rather than spin, the condition may pass.
      logger("daemon")->warn("metrics.accept_failed error=\"{}\"", ec.message());
      state->retry_timer.expires_after(std::chrono::milliseconds(200));
      state->retry_timer.async_wait([state](beast::error_code) {
        if (!state->stopped) accept_next(state);
      });
      return;
    }
    if (state->sessions.size() >= state->options.max_connections) {
      logger("daemon")->debug("metrics.connection_refused open={}", state->sessions.size());
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Session>(std::move(socket), state)->start();
    }
    accept_next(state);
  });
}

}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, const Metrics& metrics,
                             std::function<Health()> health, MetricsServerOptions options)
    : m_state(std::make_shared<MetricsServerState>(io, metrics, std::move(health),
                                                   std::move(options))) {}

MetricsServer::~MetricsServer() {
  try {
    stop();
  } catch (...) {  // closing sockets at exit: nothing left to report to
  }
}

Status MetricsServer::start() {
  assert(!m_state->acceptor.is_open() && !m_state->stopped);
  const auto address = parse_listen_address(m_state->options.listen);
  if (!address) return address.error();
  auto fail = [&](const char* what, const beast::error_code& ec) {
    beast::error_code ignored;
    m_state->acceptor.close(ignored);
    return make_error(ErrorCode::network, "metrics: cannot " + std::string(what) + " " +
                                              m_state->options.listen + ": " + ec.message());
  };
  beast::error_code ec;
  const tcp::endpoint endpoint(asio::ip::make_address(address->host, ec), address->port);
  if (ec) return fail("parse", ec);
  auto& acceptor = m_state->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); ec) return fail("open a socket for", ec);
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) {
    return fail("configure", ec);
  }
  if (acceptor.bind(endpoint, ec); ec) return fail("listen on", ec);
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return fail("listen on", ec);
  }
  m_state->port = acceptor.local_endpoint(ec).port();
  if (ec) return fail("query the port of", ec);

  const auto log = logger("daemon");
  if (!endpoint.address().is_loopback()) {
    log->warn("metrics.not_loopback listen={} note=\"the endpoint has no authentication\"",
              m_state->options.listen);
  }
  log->info("metrics.listening address={} port={}", address->host, m_state->port);
  accept_next(m_state);
  return Status::ok_status();
}

void MetricsServer::stop() {
  if (m_state->stopped) return;
  m_state->stopped = true;
  beast::error_code ignored;
  m_state->acceptor.close(ignored);
  m_state->retry_timer.cancel();
  // close() can end a session, whose destructor edits the map: close from a copy.
  std::vector<std::shared_ptr<Session>> open;
  for (auto& [ptr, weak] : m_state->sessions) {
    if (auto session = weak.lock()) open.push_back(std::move(session));
  }
  for (auto& session : open) session->close();
}

std::uint16_t MetricsServer::port() const { return m_state->port; }

std::size_t MetricsServer::connections() const { return m_state->sessions.size(); }

}  // namespace newswatch::daemon
