#include "fetchers/http_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

namespace newswatch::fetchers {
namespace asio = boost::asio;

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool v4_private(std::uint32_t a) {
  const auto in = [a](std::uint32_t net, int bits) {
    const std::uint32_t mask = bits == 0 ? 0 : ~0u << (32 - bits);
    return (a & mask) == net;
  };
  return in(0x00000000, 8) || in(0x0A000000, 8) || in(0x7F000000, 8) || in(0xA9FE0000, 16) ||
         in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10) || in(0xC0000000, 24) ||
         in(0xE0000000, 4) || in(0xF0000000, 4);
}

bool v6_private(const unsigned char* b) {
  static const unsigned char zero[16] = {};
  if (std::memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return true;  // :: and ::1
  if ((b[0] & 0xFE) == 0xFC) return true;                  // fc00::/7 unique local
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return true;  // fe80::/10 link-local
  if (b[0] == 0xFF) return true;                           // multicast
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms carry an IPv4 address.
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::memcmp(b, mapped, 12) == 0 || std::memcmp(b, zero, 12) == 0) {
    const std::uint32_t a = (std::uint32_t(b[12]) << 24) | (std::uint32_t(b[13]) << 16) |
                            (std::uint32_t(b[14]) << 8) | b[15];
    return v4_private(a);
  }
  return false;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) !=
        std::tolower(static_cast<unsigned char>(name[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool is_private_address(const std::string& ip) {
  in_addr v4{};
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) return v4_private(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, ip.c_str(), &v6) == 1) return v6_private(v6.s6_addr);
  return true;  // not an address at all: refuse
}

struct HttpClient::Impl {
  struct Socket {
    explicit Socket(asio::io_context& io) : sd(io) {}
    asio::posix::stream_descriptor sd;
    int wanted = 0;  // CURL_POLL_IN / OUT / INOUT
    bool reading = false;
    bool writing = false;
  };

  struct Transfer {
    Impl* impl = nullptr;
    CURL* easy = nullptr;  // null while the transfer waits in its host's queue
    std::string host;      // queue key: scheme://host:port
    curl_slist* headers = nullptr;
    HttpRequest request;
    HttpResponse response;
    FetchCallback done;
    std::chrono::steady_clock::time_point start;
    std::string upload;  // SMTP message being sent
    size_t upload_pos = 0;
    curl_slist* recipients = nullptr;
    bool too_large = false;
    bool refused = false;
    std::string refused_ip;
    char errbuf[CURL_ERROR_SIZE] = {};
  };

  // Transfers waiting for a connection slot to their host (or for a free slot overall). They are
  // handed to curl only when they can start: curl 7.88 keeps its own waiting handles in a list that
  // curl_multi_remove_handle scans on every completion, which cost 2/3 of the daemon's CPU with
  // thousands of polls queued behind per-host limits (bench/poll_bench).
  struct HostQueue {
    int active = 0;
    bool blocked = false;  // listed in `blocked`: waits for a free slot overall
    bool pumping = false;  // start_waiting() is on the stack: do not erase
    std::deque<Transfer*> waiting;
  };

  Impl(asio::io_context& io_context, HttpClientOptions opts)
      : io(io_context), timer(io_context), options(std::move(opts)) {
    global_init();
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      static_cast<long>(options.per_host_connections));
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      static_cast<long>(options.max_total_connections));
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  }

  ~Impl() {
    cancel_all();
    for (CURL* e : idle_handles) curl_easy_cleanup(e);
    sockets.clear();
    curl_multi_cleanup(multi);
  }

  // --- curl -> asio ---------------------------------------------------------------------------

  static int on_socket(CURL*, curl_socket_t fd, int what, void* userp, void*) {
    auto* self = static_cast<Impl*>(userp);
    if (what == CURL_POLL_REMOVE) {
      self->forget_socket(fd);
      return 0;
    }
    auto it = self->sockets.find(fd);
    if (it == self->sockets.end()) {
      auto sock = std::make_shared<Socket>(self->io);
      boost::system::error_code ec;
      sock->sd.assign(fd, ec);
      if (ec) {
        spdlog::get("fetch")
            ? spdlog::get("fetch")->error("fetch.socket_assign_failed fd={} error=\"{}\"", fd,
                                          ec.message())
            : void();
        return -1;
      }
      it = self->sockets.emplace(fd, std::move(sock)).first;
    }
    it->second->wanted = what;
    self->arm(fd, it->second);
    return 0;
  }

  void forget_socket(curl_socket_t fd) {
    auto it = sockets.find(fd);
    if (it == sockets.end()) return;
    it->second->wanted = 0;
    boost::system::error_code ec;
    it->second->sd.cancel(ec);
    it->second->sd.release();  // curl owns and closes the descriptor
    sockets.erase(it);
  }

  void arm(curl_socket_t fd, const std::shared_ptr<Socket>& sock) {
    if ((sock->wanted & CURL_POLL_IN) && !sock->reading) {
      sock->reading = true;
      sock->sd.async_wait(asio::posix::stream_descriptor::wait_read,
                          [this, fd, sock](const boost::system::error_code& ec) {
                            sock->reading = false;
                            on_ready(fd, sock, ec, CURL_CSELECT_IN, CURL_POLL_IN);
                          });
    }
    if ((sock->wanted & CURL_POLL_OUT) && !sock->writing) {
      sock->writing = true;
      sock->sd.async_wait(asio::posix::stream_descriptor::wait_write,
                          [this, fd, sock](const boost::system::error_code& ec) {
                            sock->writing = false;
                            on_ready(fd, sock, ec, CURL_CSELECT_OUT, CURL_POLL_OUT);
                          });
    }
  }

  void on_ready(curl_socket_t fd, const std::shared_ptr<Socket>& sock,
                const boost::system::error_code& ec, int select, int poll_bit) {
    if (ec == asio::error::operation_aborted) return;
    auto it = sockets.find(fd);
    if (it == sockets.end() || it->second != sock || !(sock->wanted & poll_bit)) return;
    int running = 0;
    curl_multi_socket_action(multi, fd, ec ? CURL_CSELECT_ERR : select, &running);
    check_done();
    it = sockets.find(fd);
    if (it != sockets.end() && it->second == sock) arm(fd, sock);
  }

  static int on_timer(CURLM*, long timeout_ms, void* userp) {
    auto* self = static_cast<Impl*>(userp);
    self->timer.cancel();
    if (timeout_ms < 0) return 0;
    self->timer.expires_after(std::chrono::milliseconds(timeout_ms));
    self->timer.async_wait([self](const boost::system::error_code& ec) {
      if (ec) return;
      int running = 0;
      curl_multi_socket_action(self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
      self->check_done();
    });
    return 0;
  }

  // --- transfers --------------------------------------------------------------------------

  static size_t on_body(char* data, size_t size, size_t n, void* userp) {
    auto* t = static_cast<Transfer*>(userp);
    const size_t len = size * n;
    if (t->response.body.size() + len > t->request.max_body_size) {
      t->too_large = true;
      return 0;  // aborts with CURLE_WRITE_ERROR
    }
    t->response.body.append(data, len);
    return len;
  }

  static size_t on_header(char* data, size_t size, size_t n, void* userp) {
    auto* t = static_cast<Transfer*>(userp);
    const size_t len = size * n;
    std::string_view line(data, len);
    if (iequals_prefix(line, "HTTP/")) {
      // A new response (after a redirect or a 100 Continue): forget the previous headers.
      t->response.etag.clear();
      t->response.last_modified.clear();
      t->response.content_type.clear();
      t->response.retry_after.reset();
      return len;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return len;
    const std::string_view name = line.substr(0, colon);
    const std::string value = trim(line.substr(colon + 1));
    const auto is = [&](std::string_view h) {
      return name.size() == h.size() && iequals_prefix(name, h);
    };
    if (is("etag")) {
      t->response.etag = value;
    } else if (is("last-modified")) {
      t->response.last_modified = value;
    } else if (is("content-type")) {
      t->response.content_type = value;
    } else if (is("retry-after")) {
      if (!value.empty() && std::isdigit(static_cast<unsigned char>(value[0]))) {
        t->response.retry_after = std::chrono::seconds(std::strtol(value.c_str(), nullptr, 10));
      } else if (!value.empty()) {
        const time_t when = curl_getdate(value.c_str(), nullptr);
        if (when > 0) {
          const auto delta = when - std::time(nullptr);
          t->response.retry_after = std::chrono::seconds(delta > 0 ? delta : 0);
        }
      }
    }
    return len;
  }

  static curl_socket_t on_open_socket(void* userp, curlsocktype, curl_sockaddr* addr) {
    auto* t = static_cast<Transfer*>(userp);
    if (!t->request.allow_private_networks) {
      char buf[INET6_ADDRSTRLEN] = {};
      bool priv = true;
      if (addr->family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(&addr->addr);
        inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
        priv = v4_private(ntohl(sin->sin_addr.s_addr));
      } else if (addr->family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&addr->addr);
        inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
        priv = v6_private(sin6->sin6_addr.s6_addr);
      }
      if (priv) {
        t->refused = true;
        t->refused_ip = buf;
        return CURL_SOCKET_BAD;
      }
    }
    return ::socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
  }

  static int on_close_socket(void* userp, curl_socket_t fd) {
    // Deregister from the reactor before the descriptor number can be reused.
    static_cast<Impl*>(userp)->forget_socket(fd);
    return ::close(fd);
  }

  void fetch(HttpRequest request, FetchCallback done) {
    auto t = std::make_unique<Transfer>();
    t->impl = this;
    t->request = std::move(request);
    t->done = std::move(done);
    t->host = host_key(t->request.url);
    ++stats.requests;
    transfers.insert(t.get());
    enqueue(t.release());
  }

  // Creates and configures the curl handle of a transfer that may start now.
  void configure(Transfer* t) {
    CURL* e = new_handle();
    t->easy = e;
    const HttpRequest& r = t->request;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, r.max_redirects > 0 ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, static_cast<long>(r.max_redirects));
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl can decode
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(r.low_speed_bytes));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(r.low_speed_time.count()));
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(r.max_body_size));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Impl::on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &Impl::on_close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
    curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 300L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    if (r.method == "POST") {
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.c_str());
    }
    for (const auto& [name, value] : r.headers) {
      t->headers = curl_slist_append(t->headers, (name + ": " + value).c_str());
    }
    if (!r.etag.empty()) {
      t->headers = curl_slist_append(t->headers, ("If-None-Match: " + r.etag).c_str());
    }
    if (!r.last_modified.empty()) {
      t->headers = curl_slist_append(t->headers, ("If-Modified-Since: " + r.last_modified).c_str());
    }
    if (r.method == "POST") t->headers = curl_slist_append(t->headers, "Expect:");
    if (t->headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  }

  // Easy handles are reused (reset to defaults) instead of created and freed per transfer:
  // 0.060-0.065 instead of 0.066-0.073 ms of CPU per poll in bench/poll_bench.
  CURL* new_handle() {
    if (idle_handles.empty()) return curl_easy_init();
    CURL* e = idle_handles.back();
    idle_handles.pop_back();
    return e;
  }

  void recycle_handle(CURL* e) {
    if (idle_handles.size() >= kIdleHandles) {
      curl_easy_cleanup(e);
      return;
    }
    curl_easy_reset(e);
    idle_handles.push_back(e);
  }

  // "http://Example.org:80/x" -> "http://example.org:80": curl's notion of one host for
  // CURLMOPT_MAX_HOST_CONNECTIONS (a redirect to another host is left to curl's own limit).
  static std::string host_key(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::string(url);
    std::string key;
    for (const char c : url.substr(0, scheme_end)) {
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::string_view authority = url.substr(scheme_end + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
      authority.remove_prefix(at + 1);
    }
    key += "://";
    for (const char c : authority) {
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const auto bracket = authority.rfind(']');  // an IPv6 literal's colons are not a port
    const bool has_port = authority.find(':', bracket == std::string_view::npos ? 0 : bracket) !=
                          std::string_view::npos;
    if (!has_port) key += key.starts_with("https") ? ":443" : key.starts_with("http") ? ":80" : "";
    return key;
  }

  // --- per-host queues --------------------------------------------------------------------

  void enqueue(Transfer* t) {
    HostQueue& q = hosts[t->host];
    q.waiting.push_back(t);
    start_waiting(t->host);
  }

  // Starts `host`'s waiting transfers while the host and the whole client have free slots.
  void start_waiting(const std::string& host) {
    auto it = hosts.find(host);
    if (it == hosts.end() || it->second.pumping) return;
    HostQueue& q = it->second;
    q.pumping = true;
    while (!q.waiting.empty() && q.active < options.per_host_connections) {
      if (active >= options.max_total_connections) {
        if (!q.blocked) {
          q.blocked = true;
          blocked.push_back(host);
        }
        break;
      }
      Transfer* t = q.waiting.front();
      q.waiting.pop_front();
      ++q.active;
      ++active;
      t->start = std::chrono::steady_clock::now();
      if (!t->easy) configure(t);
      const CURLMcode rc = curl_multi_add_handle(multi, t->easy);
      if (rc != CURLM_OK) {
        finish(t, make_error(ErrorCode::internal,
                             std::string("curl_multi_add_handle: ") + curl_multi_strerror(rc)));
      }
    }
    q.pumping = false;
    if (q.active == 0 && q.waiting.empty() && !q.blocked) hosts.erase(it);
  }

  // A transfer of `host` ended (or was dropped from its queue): its slots go to the next ones.
  void release(const std::string& host, bool was_active) {
    auto it = hosts.find(host);
    if (it == hosts.end()) return;
    if (was_active) {
      --it->second.active;
      --active;
    }
    start_waiting(host);
    while (active < options.max_total_connections && !blocked.empty()) {
      const std::string next = std::move(blocked.front());
      blocked.pop_front();
      auto b = hosts.find(next);
      if (b == hosts.end()) continue;
      b->second.blocked = false;
      start_waiting(next);
    }
  }

  static size_t on_read(char* buffer, size_t size, size_t n, void* userp) {
    auto* t = static_cast<Transfer*>(userp);
    const size_t room = size * n;
    const size_t left = t->upload.size() - t->upload_pos;
    const size_t len = std::min(room, left);
    std::memcpy(buffer, t->upload.data() + t->upload_pos, len);
    t->upload_pos += len;
    return len;
  }

  void send_mail(MailRequest mail, FetchCallback done) {
    auto t = std::make_unique<Transfer>();
    t->impl = this;
    t->request.url = mail.url;
    t->request.allow_private_networks = mail.allow_private_networks;
    t->request.max_body_size = 1 << 20;
    t->done = std::move(done);
    t->upload = std::move(mail.message);
    ++stats.requests;
    CURL* e = new_handle();
    t->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, mail.url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(e, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(mail.timeout.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
    if (!mail.username.empty()) {
      curl_easy_setopt(e, CURLOPT_USERNAME, mail.username.c_str());
      curl_easy_setopt(e, CURLOPT_PASSWORD, mail.password.c_str());
    }
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, ("<" + mail.from + ">").c_str());
    for (const auto& rcpt : mail.to) {
      t->recipients = curl_slist_append(t->recipients, ("<" + rcpt + ">").c_str());
    }
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, t->recipients);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t->upload.size()));
    curl_easy_setopt(e, CURLOPT_READFUNCTION, &Impl::on_read);
    curl_easy_setopt(e, CURLOPT_READDATA, t.get());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Impl::on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t.get());
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &Impl::on_close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
    t->host = host_key(mail.url);
    transfers.insert(t.get());
    enqueue(t.release());
  }

  void check_done() {
    CURLMsg* msg = nullptr;
    int left = 0;
    while ((msg = curl_multi_info_read(multi, &left)) != nullptr) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
      complete(t, msg->data.result);
    }
  }

  void complete(Transfer* t, CURLcode code) {
    HttpResponse& resp = t->response;
    char* url = nullptr;
    curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url);
    if (url) resp.effective_url = url;
    char* ip = nullptr;
    curl_easy_getinfo(t->easy, CURLINFO_PRIMARY_IP, &ip);
    if (ip) resp.primary_ip = ip;
    long redirects = 0;
    curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_COUNT, &redirects);
    resp.redirects = static_cast<int>(redirects);
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &resp.status);
    resp.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t->start);

    if (code == CURLE_OK) {
      stats.bytes += resp.body.size();
      if (resp.status == 304) {
        ++stats.responses_304;
      } else if (resp.status >= 200 && resp.status < 300) {
        ++stats.responses_2xx;
      } else if (resp.status >= 400 && resp.status < 500) {
        ++stats.responses_4xx;
      } else if (resp.status >= 500) {
        ++stats.responses_5xx;
      }
      finish(t, std::move(resp));
      return;
    }
    ++stats.errors;
    const std::string detail = t->errbuf[0] ? std::string(t->errbuf) : curl_easy_strerror(code);
    Error err;
    if (t->refused) {
      err =
          make_error(ErrorCode::refused, "refused to connect to private address " + t->refused_ip);
    } else if (t->too_large || code == CURLE_FILESIZE_EXCEEDED) {
      err = make_error(ErrorCode::too_large,
                       "body larger than " + std::to_string(t->request.max_body_size) + " bytes");
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
      err = make_error(ErrorCode::timeout, detail);
    } else if (code == CURLE_TOO_MANY_REDIRECTS) {
      err = make_error(ErrorCode::refused, "too many redirects (" + detail + ")");
    } else if (code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT) {
      err = make_error(ErrorCode::invalid_argument, detail);
    } else {
      err = make_error(ErrorCode::network, detail);
    }
    finish(t, std::move(err));
  }

  // `t` has started (it was handed to curl) unless it is still in its host's queue.
  void finish(Transfer* t, Result<HttpResponse> result) {
    transfers.erase(t);
    const bool started = t->start != std::chrono::steady_clock::time_point{};
    if (t->easy) {
      if (started) curl_multi_remove_handle(multi, t->easy);
      recycle_handle(t->easy);
    }
    curl_slist_free_all(t->headers);
    curl_slist_free_all(t->recipients);
    std::unique_ptr<Transfer> owned(t);
    // Callbacks run outside curl's call stack, so they may start new requests freely.
    asio::post(
        io, [done = std::move(t->done), r = std::move(result)]() mutable { done(std::move(r)); });
    if (started) release(t->host, true);
  }

  void cancel_all() {
    // The waiting ones first, so that finishing a running one starts none of them.
    std::unordered_map<std::string, HostQueue> queued;
    queued.swap(hosts);
    blocked.clear();
    for (auto& [host, q] : queued) {
      for (Transfer* t : q.waiting) finish(t, make_error(ErrorCode::network, "cancelled"));
    }
    std::set<Transfer*> all;
    all.swap(transfers);
    for (Transfer* t : all) {
      transfers.insert(t);
      finish(t, make_error(ErrorCode::network, "cancelled"));
    }
    active = 0;
  }

  asio::io_context& io;
  asio::steady_timer timer;
  HttpClientOptions options;
  CURLM* multi = nullptr;
  std::map<curl_socket_t, std::shared_ptr<Socket>> sockets;
  std::set<Transfer*> transfers;  // started and waiting
  std::unordered_map<std::string, HostQueue> hosts;
  std::deque<std::string> blocked;  // hosts waiting for a free slot overall, first come first
  int active = 0;                   // transfers handed to curl
  static constexpr std::size_t kIdleHandles = 64;
  std::vector<CURL*> idle_handles;  // reset, ready for the next transfer
  HttpClientStats stats;
};

HttpClient::HttpClient(asio::io_context& io, HttpClientOptions options)
    : m_impl(std::make_unique<Impl>(io, std::move(options))) {}

HttpClient::~HttpClient() = default;

void HttpClient::fetch(HttpRequest request, FetchCallback done) {
  m_impl->fetch(std::move(request), std::move(done));
}

void HttpClient::send_mail(MailRequest mail, FetchCallback done) {
  m_impl->send_mail(std::move(mail), std::move(done));
}

void HttpClient::cancel_all() { m_impl->cancel_all(); }

std::size_t HttpClient::in_flight() const { return m_impl->transfers.size(); }

const HttpClientStats& HttpClient::stats() const { return m_impl->stats; }

}  // namespace newswatch::fetchers
