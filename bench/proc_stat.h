// CPU time of another process from /proc/PID/stat, for the benchmarks that run the real daemon
// (poll_bench, soak_bench). Header-only, bench/ only.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace newswatch::bench {

// utime + stime of process `pid` in seconds (0 when it cannot be read); its parent's pid in
// `*ppid` when given.
inline double process_cpu_seconds(pid_t pid, pid_t* ppid = nullptr) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name in parentheses may hold spaces: fields are counted after its ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 4 && ppid != nullptr) *ppid = std::atoi(field.c_str());
    if (i == 14 || i == 15) ticks += std::strtod(field.c_str(), nullptr);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace newswatch::bench
