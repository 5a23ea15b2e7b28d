// Real child processes for end-to-end tests: the daemon binary under real signals, and CLI runs
// whose output and exit code are captured.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace newswatch::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs `args` (args[0] is the program path) to completion, at most `timeout`.
CommandResult run_command(const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60),
                          const std::string& stdin_data = "");

// A background process whose stdout and stderr go to `log_path`.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& args, const std::string& log_path);
  ~ChildProcess();  // SIGKILLs the process if it still runs
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return m_pid; }
  void signal(int signo) const;
  // Waits for exit; returns the exit code, 128+signal when killed, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t m_pid = -1;
  bool m_reaped = false;
  int m_status = 0;
};

// From /proc: a kB figure of /proc/PID/status ("VmHWM", "VmRSS"; -1 when missing), and the
// number of open descriptors. For tests and benchmarks that watch a daemon's footprint.
long proc_status_kb(pid_t pid, const std::string& field);
long open_fds(pid_t pid);

// Polls `condition` every 50 ms until it holds or `timeout` passes; returns its last value.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

}  // namespace newswatch::testing
