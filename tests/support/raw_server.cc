#include "tests/support/raw_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <condition_variable>
#include <list>
#include <stdexcept>
#include <thread>

namespace newswatch::testing {
namespace {

std::mutex g_sleep_mutex;
std::condition_variable g_sleep_cv;

// Reads the request head (up to the blank line), at most 64 KiB and 10 s.
bool read_head(int fd, const std::atomic<bool>& stopping, std::string& head) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (stopping || head.size() > 65536 || std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    head.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

RawConnection::RawConnection(int fd, std::string method, std::string target,
                             const std::atomic<bool>& stopping)
    : m_fd(fd), m_method(std::move(method)), m_target(std::move(target)), m_stopping(stopping) {}

bool RawConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    if (m_stopping || m_reset) return false;
    pollfd p{m_fd, POLLOUT, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready < 0) return false;
    if (ready == 0) continue;
    if (p.revents & (POLLERR | POLLHUP)) return false;
    const ssize_t n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return false;
    }
    m_sent += static_cast<std::uint64_t>(n);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool RawConnection::sleep(std::chrono::milliseconds duration) {
  std::unique_lock lock(g_sleep_mutex);
  g_sleep_cv.wait_for(lock, duration, [this] { return m_stopping.load(); });
  return !m_stopping;
}

void RawConnection::reset() {
  linger l{1, 0};
  ::setsockopt(m_fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  m_reset = true;
}

struct RawHttpServer::Impl {
  int listen_fd = -1;
  RawBehaviour behaviour;
  std::atomic<bool> stopping{false};
  std::thread accept_thread;
  mutable std::mutex mutex;
  std::list<std::thread> connections;
  std::map<std::string, int> hits;

  void serve(int fd) {
    std::string head;
    if (read_head(fd, stopping, head)) {
      const auto line_end = head.find("\r\n");
      const std::string line = head.substr(0, line_end);
      const auto sp1 = line.find(' ');
      const auto sp2 = line.find(' ', sp1 + 1);
      const std::string method = line.substr(0, sp1);
      const std::string target =
          sp1 == std::string::npos ? "/" : line.substr(sp1 + 1, sp2 - sp1 - 1);
      {
        std::lock_guard lock(mutex);
        ++hits[target.substr(0, target.find('?'))];
      }
      RawConnection connection(fd, method, target, stopping);
      behaviour(connection);
    }
  }
};

RawHttpServer::RawHttpServer(const std::string& address, RawBehaviour behaviour)
    : m_impl(std::make_unique<Impl>()), m_address(address) {
  m_impl->behaviour = std::move(behaviour);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = 0;
  if (::inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 64) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot listen on " + address);
  }
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  m_port = ntohs(sa.sin_port);
  m_impl->listen_fd = fd;
  m_impl->accept_thread = std::thread([impl = m_impl.get()] {
    while (!impl->stopping) {
      pollfd p{impl->listen_fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int conn = ::accept4(impl->listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      std::lock_guard lock(impl->mutex);
      impl->connections.emplace_back([impl, conn] {
        impl->serve(conn);
        // Let the client read what was sent before the close (a FIN, or an RST after reset()).
        ::shutdown(conn, SHUT_WR);
        ::close(conn);
      });
    }
  });
}

RawHttpServer::~RawHttpServer() { stop(); }

void RawHttpServer::stop() {
  if (m_impl->stopping.exchange(true)) return;
  { std::lock_guard lock(g_sleep_mutex); }
  g_sleep_cv.notify_all();
  if (m_impl->accept_thread.joinable()) m_impl->accept_thread.join();
  ::close(m_impl->listen_fd);
  std::list<std::thread> threads;
  {
    std::lock_guard lock(m_impl->mutex);
    threads.swap(m_impl->connections);
  }
  for (auto& t : threads) t.join();
}

std::string RawHttpServer::url(const std::string& path) const {
  return "http://" + m_address + ":" + std::to_string(m_port) + path;
}

std::map<std::string, int> RawHttpServer::hits() const {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->hits;
}

int RawHttpServer::hits(const std::string& path) const {
  std::lock_guard lock(m_impl->mutex);
  const auto it = m_impl->hits.find(path);
  return it == m_impl->hits.end() ? 0 : it->second;
}

std::string raw_head(int status, const std::string& headers) {
  return "HTTP/1.1 " + std::to_string(status) + " Status\r\n" + headers + "\r\n";
}

std::string gzip_zeros(std::uint64_t inflated_size) {
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  const std::string zeros(1 << 20, '\0');
  std::string out;
  char buf[1 << 16];
  std::uint64_t left = inflated_size;
  int flush = Z_NO_FLUSH;
  do {
    const std::uint64_t chunk = std::min<std::uint64_t>(left, zeros.size());
    left -= chunk;
    flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
    z.avail_in = static_cast<uInt>(chunk);
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      deflate(&z, flush);
      out.append(buf, sizeof buf - z.avail_out);
    } while (z.avail_out == 0);
  } while (flush != Z_FINISH);
  deflateEnd(&z);
  return out;
}

}  // namespace newswatch::testing
