// A real SMTP server on loopback for end-to-end tests: Debian's python3-aiosmtpd, storing every
// message it accepts in a Maildir the test reads back.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace newswatch::testing {

// A free TCP port on 127.0.0.1 (bound, read back and released), and whether something accepts
// connections there.
int free_loopback_port();
bool can_connect_loopback(int port);

class SmtpSink {
 public:
  // Whether python3 with aiosmtpd is installed (scripts/bootstrap.sh installs it).
  static bool available();

  // Starts the server; its Maildir and log live under `dir`.
  explicit SmtpSink(const std::filesystem::path& dir);
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  // Waits until the server accepts connections.
  bool ready(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  int port() const { return m_port; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(m_port); }
  // Every message delivered so far, raw (headers and MIME body).
  std::vector<std::string> messages() const;
  std::string log() const;
  void stop();

 private:
  int m_port;
  std::filesystem::path m_maildir;
  std::filesystem::path m_log;
  std::unique_ptr<ChildProcess> m_process;
};

}  // namespace newswatch::testing
