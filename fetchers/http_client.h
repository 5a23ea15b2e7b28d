// The HTTP engine every fetch goes through: libcurl's multi-socket API driven by a Boost.Asio
// io_context (socket readiness -> async waits, curl's timer -> a steady_timer). No thread per
// request, no polling loop. curl stays inside http_client.cc (STYLE.md 4).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace boost::asio {
class io_context;
}

namespace newswatch::fetchers {

struct HttpRequest {
  std::string url;
  std::string method = "GET";  // "GET" or "POST"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // for POST
  // Conditional GET: sent as If-None-Match / If-Modified-Since when non-empty.
  std::string etag;
  std::string last_modified;
  std::chrono::milliseconds timeout{30'000};  // whole transfer
  std::chrono::milliseconds connect_timeout{10'000};
  // Largest body kept, counted after content decoding (so a gzip bomb is cut off).
  std::uint64_t max_body_size = 8 * 1024 * 1024;
  int max_redirects = 5;
  // When false, connecting to loopback, private, link-local, multicast or unspecified
  // addresses is refused (checked on the address actually connected to).
  bool allow_private_networks = false;
  // Aborts a transfer slower than `low_speed_bytes` per second for `low_speed_time`.
  std::uint32_t low_speed_bytes = 64;
  std::chrono::seconds low_speed_time{20};
};

struct HttpResponse {
  long status = 0;            // final status after redirects; 304 for not modified
  std::string effective_url;  // after redirects
  std::string content_type;
  std::string etag;
  std::string last_modified;
  std::optional<std::chrono::seconds> retry_after;  // from 429/503 answers
  std::string body;                                 // decoded (gzip/deflate/br)
  std::string primary_ip;                           // the address connected to
  std::chrono::milliseconds elapsed{0};
  int redirects = 0;
};

// One email for an SMTP server: the envelope and the complete RFC 5322 message.
struct MailRequest {
  std::string url;       // smtp://host:port (STARTTLS when offered) or smtps://host:port
  std::string username;  // AUTH when non-empty
  std::string password;
  std::string from;             // envelope sender, a bare address
  std::vector<std::string> to;  // envelope recipients, bare addresses
  std::string message;          // headers + body, CRLF line ends
  std::chrono::milliseconds timeout{30'000};
  bool allow_private_networks = true;  // the operator configured this server
};

// Called once per request on the io thread: the response (any HTTP status), or an Error:
// network, timeout, too_large, refused (SSRF guard, scheme), invalid_argument (bad URL).
using FetchCallback = std::function<void(Result<HttpResponse>)>;

struct HttpClientOptions {
  std::string user_agent = "newswatch/0.1";
  // Connections per host (curl queues the rest). Default 2, a polite crawler's limit.
  int per_host_connections = 2;
  // Connections in total. Default 256.
  int max_total_connections = 256;
};

struct HttpClientStats {
  std::uint64_t requests = 0;
  std::uint64_t responses_2xx = 0;
  std::uint64_t responses_304 = 0;
  std::uint64_t responses_4xx = 0;
  std::uint64_t responses_5xx = 0;
  std::uint64_t errors = 0;
  std::uint64_t bytes = 0;
};

// All methods, and all callbacks, run on the io_context's thread.
class HttpClient {
 public:
  HttpClient(boost::asio::io_context& io, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts `request`; `done` is called exactly once, never from inside fetch().
  void fetch(HttpRequest request, FetchCallback done);

  // Sends `mail` over the same engine; `done` gets a response whose status is the SMTP server's
  // last reply code (250 on success), or an Error as for fetch().
  void send_mail(MailRequest mail, FetchCallback done);

  // Aborts every transfer in flight; their callbacks get Error{network, "cancelled"}.
  void cancel_all();

  std::size_t in_flight() const;
  const HttpClientStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// True for addresses newswatch must not fetch from URLs found in feeds: loopback, private
// (RFC 1918, fc00::/7), link-local, CGNAT, multicast, unspecified, broadcast. `ip` is textual.
bool is_private_address(const std::string& ip);

}  // namespace newswatch::fetchers
