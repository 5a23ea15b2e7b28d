// A misbehaving web server for the hostile-web tests: plain sockets on a loopback address of the
// test's choosing (127.0.0.2, 127.0.0.3, ... are separate "hosts" to the daemon), where a
// behaviour gets the request and the connection and decides every byte, its pace and how the
// connection ends: never answer, drip, lie about lengths, reset mid-body, send gigabytes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace newswatch::testing {

class RawConnection {
 public:
  RawConnection(int fd, std::string method, std::string target, const std::atomic<bool>& stopping);

  const std::string& method() const { return m_method; }
  const std::string& target() const { return m_target; }  // path and query

  // Writes all of `bytes`; false once the peer has gone or the server stops.
  bool send(std::string_view bytes);
  // Sleeps, waking early when the server stops; false when it stops.
  bool sleep(std::chrono::milliseconds duration);
  // Closes with an RST instead of a FIN (SO_LINGER 0).
  void reset();
  std::uint64_t bytes_sent() const { return m_sent; }

 private:
  int m_fd;
  std::string m_method;
  std::string m_target;
  const std::atomic<bool>& m_stopping;
  std::uint64_t m_sent = 0;
  bool m_reset = false;
  friend class RawHttpServer;
};

using RawBehaviour = std::function<void(RawConnection&)>;

class RawHttpServer {
 public:
  // Listens on `address` (an IPv4 loopback address) and an ephemeral port at once; one thread
  // per connection, one request per connection (the behaviour's answer ends it).
  RawHttpServer(const std::string& address, RawBehaviour behaviour);
  ~RawHttpServer();
  RawHttpServer(const RawHttpServer&) = delete;
  RawHttpServer& operator=(const RawHttpServer&) = delete;

  int port() const { return m_port; }
  // "http://ADDRESS:PORT" + path
  std::string url(const std::string& path = "/") const;
  // Requests seen per path (query stripped).
  std::map<std::string, int> hits() const;
  int hits(const std::string& path) const;
  // Closes the listener and every connection, joins the threads; called by the destructor.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  std::string m_address;
  int m_port = 0;
};

// "HTTP/1.1 <status>\r\n" + headers + "\r\n", for behaviours that answer in the usual way.
std::string raw_head(int status, const std::string& headers);

// A gzip stream that inflates to `inflated_size` zero bytes (a decompression bomb).
std::string gzip_zeros(std::uint64_t inflated_size);

}  // namespace newswatch::testing
