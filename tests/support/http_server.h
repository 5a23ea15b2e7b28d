// A real HTTP/1.1 server on 127.0.0.1 (Boost.Beast, one thread per connection) for tests: the
// handler decides each answer, and every request is recorded for assertions.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace newswatch::testing {

struct TestRequest {
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::chrono::steady_clock::time_point received{};

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

struct TestResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // before answering
  bool close = false;                  // close the connection after answering
};

using TestHandler = std::function<TestResponse(const TestRequest&)>;

class TestHttpServer {
 public:
  // Starts listening on `address` (a loopback address: 127.0.0.2, ... are other "hosts") and
  // an ephemeral port at once.
  explicit TestHttpServer(TestHandler handler, const std::string& address = "127.0.0.1");
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  int port() const { return m_port; }
  // "http://127.0.0.1:PORT" + path
  std::string url(const std::string& path = "/") const;

  std::vector<TestRequest> requests() const;
  std::size_t request_count() const;
  void set_handler(TestHandler handler);
  // Whether requests are kept for requests() (on by default; long benchmarks turn it off).
  void set_recording(bool on);

  // Stops accepting and closes connections; called by the destructor.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  std::string m_address;
  int m_port = 0;
};

// A handler serving fixed paths; unknown paths get 404.
class StaticSite {
 public:
  void add(const std::string& path, std::string body, std::string content_type);
  TestResponse operator()(const TestRequest& request) const;

 private:
  struct Page {
    std::string body;
    std::string content_type;
  };
  std::shared_ptr<std::map<std::string, Page>> m_pages =
      std::make_shared<std::map<std::string, Page>>();
  std::shared_ptr<std::mutex> m_mutex = std::make_shared<std::mutex>();
};

}  // namespace newswatch::testing
