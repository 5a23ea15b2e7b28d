#include "tests/support/smtp_sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include "tests/support/sandbox.h"

namespace newswatch::testing {

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

}  // namespace

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool can_connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

bool SmtpSink::available() {
  return std::filesystem::exists("/usr/bin/python3") &&
         run_command({"/usr/bin/python3", "-c", "import aiosmtpd"}).exit_code == 0;
}

SmtpSink::SmtpSink(const std::filesystem::path& dir)
    : m_port(free_loopback_port()), m_maildir(dir / "maildir"), m_log(dir / "smtp.log") {
  m_process = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l",
                               "127.0.0.1:" + std::to_string(m_port), "-c",
                               "aiosmtpd.handlers.Mailbox", m_maildir.string()},
      m_log.string());
}

SmtpSink::~SmtpSink() { stop(); }

bool SmtpSink::ready(std::chrono::milliseconds timeout) {
  return wait_until([&] { return can_connect_loopback(m_port); }, timeout);
}

std::vector<std::string> SmtpSink::messages() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(m_maildir / "new", ec)) {
    out.push_back(read_file(e.path()));
  }
  return out;
}

std::string SmtpSink::log() const { return read_file(m_log); }

void SmtpSink::stop() {
  if (m_process && m_process->running()) {
    m_process->signal(SIGTERM);
    m_process->wait(std::chrono::seconds(5));
  }
}

}  // namespace newswatch::testing
