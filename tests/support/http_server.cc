#include "tests/support/http_server.h"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <list>

namespace newswatch::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct TestHttpServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  mutable std::mutex mutex;
  TestHandler handler;
  std::vector<TestRequest> requests;
  // One per connection; finished ones are joined and dropped at the next accept, so that a
  // long benchmark does not pile up threads and descriptors.
  struct Connection {
    std::shared_ptr<tcp::socket> socket;
    std::thread thread;
    bool done = false;  // guarded by mutex; the socket is closed by then
  };
  std::list<Connection> connections;
  std::atomic<bool> stopping{false};
  bool recording = true;
  std::size_t count = 0;

  void serve(std::shared_ptr<tcp::socket> socket) {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    while (!stopping) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      http::read(*socket, buffer, parser, ec);
      if (ec) break;
      const auto& req = parser.get();
      TestRequest r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (const auto& field : req) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(field.value());
      }
      r.body = req.body();
      r.received = std::chrono::steady_clock::now();
      TestHandler h;
      {
        std::lock_guard lock(mutex);
        ++count;
        if (recording) requests.push_back(r);
        h = handler;
      }
      TestResponse answer = h(r);
      if (answer.delay.count() > 0) std::this_thread::sleep_for(answer.delay);
      http::response<http::string_body> res;
      res.version(11);
      res.result(static_cast<unsigned>(answer.status));
      for (const auto& [k, v] : answer.headers) res.set(k, v);
      res.body() = std::move(answer.body);
      res.keep_alive(!answer.close && req.keep_alive());
      res.prepare_payload();
      http::write(*socket, res, ec);
      if (ec || answer.close || !req.keep_alive()) break;
    }
    socket->shutdown(tcp::socket::shutdown_both, ec);
  }

  void finish(Connection& c) {
    std::lock_guard lock(mutex);
    boost::system::error_code ec;
    c.socket->close(ec);
    c.done = true;
  }
};

TestHttpServer::TestHttpServer(TestHandler handler, const std::string& address)
    : m_impl(std::make_unique<Impl>()), m_address(address) {
  m_impl->handler = std::move(handler);
  tcp::endpoint ep(asio::ip::make_address(address), 0);
  m_impl->acceptor.open(ep.protocol());
  m_impl->acceptor.set_option(tcp::acceptor::reuse_address(true));
  m_impl->acceptor.bind(ep);
  m_impl->acceptor.listen();
  m_port = m_impl->acceptor.local_endpoint().port();
  m_impl->accept_thread = std::thread([impl = m_impl.get()] {
    while (!impl->stopping) {
      auto socket = std::make_shared<tcp::socket>(impl->io);
      boost::system::error_code ec;
      impl->acceptor.accept(*socket, ec);
      if (ec || impl->stopping) break;
      std::lock_guard lock(impl->mutex);
      for (auto it = impl->connections.begin(); it != impl->connections.end();) {
        if (it->done) {
          it->thread.join();
          it = impl->connections.erase(it);
        } else {
          ++it;
        }
      }
      Impl::Connection& c = impl->connections.emplace_back();
      c.socket = socket;
      c.thread = std::thread([impl, &c] {
        impl->serve(c.socket);
        impl->finish(c);
      });
    }
  });
}

TestHttpServer::~TestHttpServer() { stop(); }

void TestHttpServer::stop() {
  if (m_impl->stopping.exchange(true)) return;
  boost::system::error_code ec;
  // Wake the blocking accept() with a connection and let its thread see `stopping`; closing the
  // acceptor from this thread while it blocks there would be a data race.
  {
    tcp::socket poke(m_impl->io);
    poke.connect(
        tcp::endpoint(asio::ip::make_address(m_address), static_cast<unsigned short>(m_port)), ec);
  }
  if (m_impl->accept_thread.joinable()) m_impl->accept_thread.join();
  m_impl->acceptor.close(ec);
  {
    std::lock_guard lock(m_impl->mutex);
    // The raw descriptor: the serving threads own the socket objects (open until done).
    for (auto& c : m_impl->connections) {
      if (!c.done) ::shutdown(c.socket->native_handle(), SHUT_RDWR);
    }
  }
  // The accept thread has ended, so the list no longer changes.
  for (auto& c : m_impl->connections) {
    if (c.thread.joinable()) c.thread.join();
  }
}

std::string TestHttpServer::url(const std::string& path) const {
  return "http://" + m_address + ":" + std::to_string(m_port) + path;
}

std::vector<TestRequest> TestHttpServer::requests() const {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->requests;
}

std::size_t TestHttpServer::request_count() const {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->count;
}

void TestHttpServer::set_handler(TestHandler handler) {
  std::lock_guard lock(m_impl->mutex);
  m_impl->handler = std::move(handler);
}

void TestHttpServer::set_recording(bool on) {
  std::lock_guard lock(m_impl->mutex);
  m_impl->recording = on;
}

void StaticSite::add(const std::string& path, std::string body, std::string content_type) {
  std::lock_guard lock(*m_mutex);
  (*m_pages)[path] = Page{std::move(body), std::move(content_type)};
}

TestResponse StaticSite::operator()(const TestRequest& request) const {
  std::lock_guard lock(*m_mutex);
  const auto it = m_pages->find(request.target);
  if (it == m_pages->end()) return TestResponse{404, {{"Content-Type", "text/plain"}}, "not found"};
  return TestResponse{200, {{"Content-Type", it->second.content_type}}, it->second.body};
}

}  // namespace newswatch::testing
