#include "daemon/metrics.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace newswatch::daemon {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// Registry

TEST(Metrics, RendersSmallRegistryExactly) {
  Metrics m;
  m.counter("fetch_requests_total", "HTTP requests made.", {{"source", "b"}, {"result", "200"}})
      .inc(3);
  m.counter("fetch_requests_total", "HTTP requests made.", {{"source", "a"}, {"result", "304"}})
      .inc();
  m.gauge("outbox_depth", "Pending deliveries.").set(7);
  auto& h = m.histogram("fetch_seconds", "Fetch latency.", {0.1, 1, 2.5}, {{"source", "a"}});
  h.observe(0.05);
  h.observe(0.1);  // a value equal to a bound counts in that bucket
  h.observe(2);
  h.observe(100);

  const std::string expected =
      "# HELP fetch_requests_total HTTP requests made.\n"
      "# TYPE fetch_requests_total counter\n"
      "fetch_requests_total{result=\"200\",source=\"b\"} 3\n"
      "fetch_requests_total{result=\"304\",source=\"a\"} 1\n"
      "# HELP fetch_seconds Fetch latency.\n"
      "# TYPE fetch_seconds histogram\n"
      "fetch_seconds_bucket{source=\"a\",le=\"0.1\"} 2\n"
      "fetch_seconds_bucket{source=\"a\",le=\"1\"} 2\n"
      "fetch_seconds_bucket{source=\"a\",le=\"2.5\"} 3\n"
      "fetch_seconds_bucket{source=\"a\",le=\"+Inf\"} 4\n"
      "fetch_seconds_sum{source=\"a\"} 102.15\n"
      "fetch_seconds_count{source=\"a\"} 4\n"
      "# HELP outbox_depth Pending deliveries.\n"
      "# TYPE outbox_depth gauge\n"
      "outbox_depth 7\n";
  EXPECT_EQ(m.render_prometheus(), expected);
}

TEST(Metrics, EmptyRegistryRendersNothing) {
  Metrics m;
  EXPECT_EQ(m.render_prometheus(), "");
}

TEST(Metrics, EscapesLabelValuesAndHelp) {
  Metrics m;
  m.counter("odd_total", "Help with \\ and\nnewline and \"quotes\".",
            {{"v", "back\\slash \"quoted\"\nline"}})
      .inc(2);
  EXPECT_EQ(m.render_prometheus(),
            "# HELP odd_total Help with \\\\ and\\nnewline and \"quotes\".\n"
            "# TYPE odd_total counter\n"
            "odd_total{v=\"back\\\\slash \\\"quoted\\\"\\nline\"} 2\n");
}

TEST(Metrics, SameNameAndLabelsGiveTheSameSeries) {
  Metrics m;
  Counter& a = m.counter("x_total", "X.", {{"a", "1"}, {"b", "2"}});
  Counter& b = m.counter("x_total", "X.", {{"b", "2"}, {"a", "1"}});
  Counter& c = m.counter("x_total", "X.", {{"a", "1"}, {"b", "3"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  Histogram& h1 = m.histogram("h_seconds", "H.", k_latency_buckets);
  Histogram& h2 = m.histogram("h_seconds", "H.", k_latency_buckets);
  EXPECT_EQ(&h1, &h2);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Histogram h({1, 2, 3});
  for (double v : {0.5, 1.5, 1.7, 2.0, 2.5, 3.5, 4.0, 5.0}) h.observe(v);
  EXPECT_EQ(h.cumulative_counts(), (std::vector<std::uint64_t>{1, 4, 5, 8}));
  EXPECT_EQ(h.count(), 8u);
  EXPECT_DOUBLE_EQ(h.sum(), 20.7);
  h.observe(std::chrono::milliseconds(1500));
  EXPECT_EQ(h.cumulative_counts(), (std::vector<std::uint64_t>{1, 5, 6, 9}));
}

TEST(Metrics, LatencyBucketsSpanFiveMillisecondsToThirtySeconds) {
  Metrics m;
  m.histogram("lat_seconds", "L.", k_latency_buckets).observe(0.003);
  const std::string text = m.render_prometheus();
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"30\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_sum 0.003\n"), std::string::npos) << text;
}

TEST(Metrics, GaugeMovesBothWaysAndRendersFractions) {
  Metrics m;
  Gauge& g = m.gauge("in_flight", "In flight.");
  g.inc();
  g.inc();
  g.dec();
  g.add(0.25);
  EXPECT_DOUBLE_EQ(g.value(), 1.25);
  EXPECT_EQ(m.render_prometheus(),
            "# HELP in_flight In flight.\n# TYPE in_flight gauge\n"
            "in_flight 1.25\n");
  g.set(1e20);
  EXPECT_NE(m.render_prometheus().find("in_flight 1e+20\n"), std::string::npos);
  g.set(-3);
  EXPECT_NE(m.render_prometheus().find("in_flight -3\n"), std::string::npos);
}

TEST(Metrics, CallbackSeriesAreEvaluatedAtRenderTime) {
  Metrics m;
  std::atomic<int> depth = 3;
  int calls = 0;
  m.gauge_callback("outbox_depth", "Pending deliveries.", [&] {
    ++calls;
    return static_cast<double>(depth.load());
  });
  m.counter_callback("rocksdb_bytes_written_total", "Bytes written.", [] { return 1e6; },
                     {{"cf", "articles"}});
  EXPECT_EQ(calls, 0);
  EXPECT_NE(m.render_prometheus().find("outbox_depth 3\n"), std::string::npos);
  depth = 5;
  const std::string text = m.render_prometheus();
  EXPECT_NE(text.find("outbox_depth 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE rocksdb_bytes_written_total counter\n"
                      "rocksdb_bytes_written_total{cf=\"articles\"} 1000000\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(calls, 2);
}

TEST(Metrics, ConcurrentIncrementsGiveTheExactTotal) {
  Metrics m;
  constexpr int k_threads = 4;
  constexpr int k_per_thread = 50'000;
  std::atomic<bool> done = false;
  // A reader renders and looks series up while the writers run.
  std::thread reader([&] {
    while (!done) {
      (void)m.render_prometheus();
      (void)m.counter("ops_total", "Ops.", {{"kind", "shared"}});
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < k_threads; ++t) {
    writers.emplace_back([&m, t] {
      Counter& shared = m.counter("ops_total", "Ops.", {{"kind", "shared"}});
      Counter& own = m.counter("ops_total", "Ops.", {{"kind", "t" + std::to_string(t)}});
      Gauge& gauge = m.gauge("level", "Level.");
      Histogram& hist = m.histogram("op_seconds", "Op.", {0.5, 1.5});
      for (int i = 0; i < k_per_thread; ++i) {
        shared.inc();
        own.inc(2);
        gauge.add(1);
        hist.observe(i % 2 == 0 ? 1.0 : 2.0);
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  reader.join();

  EXPECT_EQ(m.counter("ops_total", "Ops.", {{"kind", "shared"}}).value(),
            std::uint64_t{k_threads} * k_per_thread);
  EXPECT_EQ(m.counter("ops_total", "Ops.", {{"kind", "t2"}}).value(), 2u * k_per_thread);
  EXPECT_DOUBLE_EQ(m.gauge("level", "Level.").value(), double(k_threads) * k_per_thread);
  Histogram& hist = m.histogram("op_seconds", "Op.", {0.5, 1.5});
  EXPECT_EQ(hist.cumulative_counts(),
            (std::vector<std::uint64_t>{0, k_threads * k_per_thread / 2,
                                        std::uint64_t{k_threads} * k_per_thread}));
  EXPECT_DOUBLE_EQ(hist.sum(), 1.5 * k_threads * k_per_thread);
  const std::string text = m.render_prometheus();
  EXPECT_NE(text.find("ops_total{kind=\"shared\"} 200000\n"), std::string::npos) << text;
}

// ---------------------------------------------------------------------------------------------
// Process metrics

TEST(ProcessStats, ReflectsThisProcess) {
  const auto before = read_process_stats();
  ASSERT_TRUE(before) << before.error().to_string();
  EXPECT_GT(before->resident_bytes, 0u);
  EXPECT_GE(before->virtual_bytes, before->resident_bytes);
  EXPECT_GE(before->open_fds, 3u);  // stdin, stdout, stderr at least
  EXPECT_GE(before->max_fds, before->open_fds);
  EXPECT_GE(before->cpu_seconds, 0.0);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(before->start_time_seconds, now + 1);
  EXPECT_GT(before->start_time_seconds, now - 24 * 3600);

  const int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  const auto during = read_process_stats();
  ::close(fd);
  ASSERT_TRUE(during);
  EXPECT_EQ(during->open_fds, before->open_fds + 1);
  EXPECT_EQ(during->start_time_seconds, before->start_time_seconds);
}

TEST(ProcessStats, RegistersStandardSeries) {
  Metrics m;
  register_process_metrics(m);
  const std::string text = m.render_prometheus();
  for (const char* line :
       {"# TYPE process_resident_memory_bytes gauge\n", "# TYPE process_open_fds gauge\n",
        "# TYPE process_cpu_seconds_total counter\n", "# TYPE process_start_time_seconds gauge\n",
        "# TYPE process_virtual_memory_bytes gauge\n", "# TYPE process_max_fds gauge\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
  EXPECT_EQ(text.find("NaN"), std::string::npos) << text;
}

// ---------------------------------------------------------------------------------------------
// Listen address

TEST(ListenAddress, ParsesHostAndPort) {
  auto a = parse_listen_address("127.0.0.1:9187");
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9187);
  a = parse_listen_address("[::1]:0");
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 0);
  a = parse_listen_address("localhost:80");
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->host, "127.0.0.1");
}

TEST(ListenAddress, RejectsMalformedAddresses) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", ":9187", "127.0.0.1:65536",
                          "127.0.0.1:12ab", "::1:9187", "[::1]9187", "[::1", "example.com:80"}) {
    const auto a = parse_listen_address(bad);
    ASSERT_FALSE(a) << bad;
    EXPECT_EQ(a.error().code, ErrorCode::invalid_argument) << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// Server, answered by a raw socket client

// A blocking loopback client with a receive timeout, so a server bug fails the test instead of
// hanging it.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    m_connected = ::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return m_connected; }
  void close() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
  }
  bool send(const std::string& data) {
    return ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL) == ssize_t(data.size());
  }
  // Reads until EOF, an error or the 5 s timeout (m_timed_out then true).
  std::string read_all() {
    std::string out;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
      if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      m_timed_out = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      return out;
    }
  }
  // Reads until `out` ends with `suffix` (or EOF/timeout).
  std::string read_until_suffix(const std::string& suffix) {
    std::string out;
    char buf[4096];
    while (out.size() < suffix.size() ||
           out.compare(out.size() - suffix.size(), suffix.size(), suffix) != 0) {
      const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
  bool timed_out() const { return m_timed_out; }

 private:
  int m_fd = -1;
  bool m_connected = false;
  bool m_timed_out = false;
};

struct ParsedResponse {
  int status = 0;
  std::string headers;  // lower-cased
  std::string body;
};

ParsedResponse parse_response(const std::string& raw) {
  ParsedResponse out;
  if (raw.rfind("HTTP/1.1 ", 0) == 0) out.status = std::stoi(raw.substr(9, 3));
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return out;
  out.headers = raw.substr(0, end);
  for (char& c : out.headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out.body = raw.substr(end + 4);
  return out;
}

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_metrics.counter("fetch_requests_total", "Requests.", {{"source", "a"}}).inc(5);
    m_metrics.gauge("outbox_depth", "Depth.").set(2);
  }

  void TearDown() override { stop_server(); }

  void start_server(MetricsServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    m_server = std::make_unique<MetricsServer>(
        m_io, m_metrics,
        [this] {
          std::lock_guard lock(m_health_mutex);
          return m_health;
        },
        options);
    const Status status = m_server->start();
    ASSERT_TRUE(status.ok()) << status.to_string();
    ASSERT_NE(m_server->port(), 0);
    m_run_result = std::async(std::launch::async, [this] { m_io.run(); });
  }

  // Stops the server on the io thread and expects run() to return because nothing is left.
  void stop_server() {
    if (!m_server) return;
    boost::asio::post(m_io, [this] { m_server->stop(); });
    const auto state = m_run_result.wait_for(10s);
    EXPECT_EQ(state, std::future_status::ready) << "io_context::run() did not return after stop()";
    if (state != std::future_status::ready) m_io.stop();
    m_run_result.wait();
    m_server.reset();
  }

  ParsedResponse request(const std::string& method, const std::string& target,
                         const std::string& extra_headers = "") {
    RawClient client(m_server->port());
    EXPECT_TRUE(client.connected());
    EXPECT_TRUE(client.send(method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" +
                            extra_headers + "Connection: close\r\n\r\n"));
    return parse_response(client.read_all());
  }

  void set_health(Health health) {
    std::lock_guard lock(m_health_mutex);
    m_health = std::move(health);
  }

  boost::asio::io_context m_io;
  Metrics m_metrics;
  std::mutex m_health_mutex;
  Health m_health;
  std::unique_ptr<MetricsServer> m_server;
  std::future<void> m_run_result;
};

TEST_F(MetricsServerTest, ServesMetricsInTextFormat) {
  start_server();
  const auto res = request("GET", "/metrics");
  EXPECT_EQ(res.status, 200);
  EXPECT_NE(res.headers.find("content-type: text/plain; version=0.0.4"), std::string::npos)
      << res.headers;
  EXPECT_EQ(res.body, m_metrics.render_prometheus());
  EXPECT_NE(res.body.find("fetch_requests_total{source=\"a\"} 5\n"), std::string::npos);

  m_metrics.counter("fetch_requests_total", "Requests.", {{"source", "a"}}).inc();
  const auto again = request("GET", "/metrics?format=text");
  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("fetch_requests_total{source=\"a\"} 6\n"), std::string::npos)
      << again.body;
}

TEST_F(MetricsServerTest, HealthzFollowsTheCallback) {
  start_server();
  auto res = request("GET", "/healthz");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "ok\n");

  set_health({false, "store not open"});
  res = request("GET", "/healthz");
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(res.body, "store not open\n");

  set_health({true, ""});
  EXPECT_EQ(request("GET", "/healthz").status, 200);
}

TEST_F(MetricsServerTest, UnknownPathIs404AndOtherMethodsAre405) {
  start_server();
  EXPECT_EQ(request("GET", "/").status, 404);
  EXPECT_EQ(request("GET", "/metricsx").status, 404);
  const auto post = request("POST", "/metrics", "Content-Length: 0\r\n");
  EXPECT_EQ(post.status, 405);
  EXPECT_NE(post.headers.find("allow: get, head"), std::string::npos) << post.headers;
  EXPECT_EQ(request("DELETE", "/healthz").status, 405);
}

TEST_F(MetricsServerTest, HeadGivesLengthWithoutBody) {
  start_server();
  const auto res = request("HEAD", "/metrics");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "");
  EXPECT_NE(
      res.headers.find("content-length: " + std::to_string(m_metrics.render_prometheus().size())),
      std::string::npos)
      << res.headers;
}

TEST_F(MetricsServerTest, KeepsConnectionsAliveForPipelinedRequests) {
  start_server();
  RawClient client(m_server->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(
      client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const std::string raw = client.read_all();
  EXPECT_FALSE(client.timed_out());
  const auto first = raw.find("HTTP/1.1 200");
  const auto second = raw.find("HTTP/1.1 404", first);
  const auto third = raw.find("HTTP/1.1 200", second);
  EXPECT_NE(first, std::string::npos) << raw;
  EXPECT_NE(second, std::string::npos) << raw;
  EXPECT_NE(third, std::string::npos) << raw;
}

TEST_F(MetricsServerTest, RejectsOversizedAndMalformedRequests) {
  MetricsServerOptions options;
  options.max_request_bytes = 1024;
  start_server(options);
  const auto big = request("GET", "/metrics", "X-Padding: " + std::string(8000, 'a') + "\r\n");
  EXPECT_EQ(big.status, 431);
  const auto body = request("POST", "/metrics", "Content-Length: 5000\r\n");
  EXPECT_EQ(body.status, 413);

  RawClient client(m_server->port());
  ASSERT_TRUE(client.send("NOT HTTP AT ALL\r\n\r\n"));
  EXPECT_EQ(parse_response(client.read_all()).status, 400);
  // The server still serves after all that.
  EXPECT_EQ(request("GET", "/healthz").status, 200);
}

TEST_F(MetricsServerTest, SlowClientIsDisconnectedAfterReadTimeout) {
  MetricsServerOptions options;
  options.read_timeout = 200ms;
  start_server(options);
  RawClient client(m_server->port());
  ASSERT_TRUE(client.send("GET /metr"));
  // The server closes the connection without a response; the client's own timeout is 5 s.
  EXPECT_EQ(client.read_all(), "");
  EXPECT_FALSE(client.timed_out());
}

TEST_F(MetricsServerTest, LimitsConcurrentConnections) {
  MetricsServerOptions options;
  options.max_connections = 2;
  start_server(options);
  const std::string keep_alive_health = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  RawClient first(m_server->port());
  RawClient second(m_server->port());
  for (RawClient* c : {&first, &second}) {
    ASSERT_TRUE(c->send(keep_alive_health));
    const std::string raw = c->read_until_suffix("ok\n");
    ASSERT_EQ(parse_response(raw).status, 200) << raw;
  }
  // Both slots are held; a third connection is closed without an answer.
  RawClient third(m_server->port());
  third.send(keep_alive_health);
  EXPECT_EQ(third.read_all(), "");
  EXPECT_FALSE(third.timed_out());

  // Freeing a slot lets a new client in (the server notices the close asynchronously).
  first.close();
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 200; ++attempt) {
    status = request("GET", "/healthz").status;
    if (status != 200) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 200);
}

TEST_F(MetricsServerTest, StopClosesOpenConnectionsAndLetsRunReturn) {
  start_server();
  RawClient idle(m_server->port());
  ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(parse_response(idle.read_until_suffix("ok\n")).status, 200);
  const std::uint16_t port = m_server->port();

  stop_server();  // asserts run() returned
  EXPECT_EQ(idle.read_all(), "");
  EXPECT_FALSE(idle.timed_out());
  RawClient late(port);
  EXPECT_FALSE(late.connected());
}

TEST(MetricsServerStart, ReportsAddressInUse) {
  boost::asio::io_context io;
  Metrics metrics;
  MetricsServerOptions options;
  options.listen = "127.0.0.1:0";
  MetricsServer first(io, metrics, {}, options);
  ASSERT_TRUE(first.start().ok());

  options.listen = "127.0.0.1:" + std::to_string(first.port());
  MetricsServer second(io, metrics, {}, options);
  const Status status = second.start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::network);
  EXPECT_NE(status.error().message.find(options.listen), std::string::npos) << status.to_string();
  EXPECT_NE(status.error().message.find("in use"), std::string::npos) << status.to_string();
  EXPECT_EQ(second.port(), 0);

  options.listen = "nonsense";
  MetricsServer third(io, metrics, {}, options);
  const Status bad = third.start();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);

  first.stop();
  second.stop();
  third.stop();
  io.run();  // nothing left to do: returns at once
}

}  // namespace
}  // namespace newswatch::daemon
