#include "daemon/cli_progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "daemon/cli_args.h"

namespace newswatch::daemon {
namespace {

std::string human_bytes(std::uint64_t n) {
  char buf[32];
  if (n < 1024) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
  } else if (n < (1ull << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024.0);
  } else if (n < (1ull << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1024.0 * 1024.0));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(n) / (1024.0 * 1024.0 * 1024.0));
  }
  return buf;
}

std::string clock_time(double seconds) {
  const auto s = static_cast<unsigned long long>(std::llround(seconds));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%llu:%02llu", s / 60, s % 60);
  }
  return buf;
}

constexpr auto k_redraw = std::chrono::milliseconds(100);

}  // namespace

bool progress_wanted(const CliArgs& args) {
  if (args.has("--quiet")) return false;
  return args.has("--progress") || isatty(STDERR_FILENO) == 1;
}

Progress::Progress(std::string command, std::string noun, bool enabled, std::uint64_t total,
                   Unit unit)
    : m_command(std::move(command)),
      m_noun(std::move(noun)),
      m_enabled(enabled),
      m_tty(isatty(STDERR_FILENO) == 1),
      m_total(total),
      m_unit(unit),
      m_start(std::chrono::steady_clock::now()),
      m_last_draw(m_start) {}

std::string Progress::text(std::uint64_t count, std::uint64_t done, double seconds) const {
  std::string line = m_command + ": " + std::to_string(count) + " " + m_noun;
  char buf[96];
  if (m_total > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(m_total));
    std::snprintf(buf, sizeof buf, "  %3.0f%%", std::floor(fraction * 100.0));
    line += buf;
    if (m_unit == Unit::bytes) line += " of " + human_bytes(m_total);
  }
  if (seconds > 0) {
    std::snprintf(buf, sizeof buf, "  %.0f/s", static_cast<double>(count) / seconds);
    line += buf;
  }
  if (m_total > 0 && done > 0 && done < m_total && seconds > 0) {
    const double left = seconds * static_cast<double>(m_total - done) / static_cast<double>(done);
    line += "  ETA " + clock_time(left);
  } else if (m_total > 0 && done >= m_total) {
    line += "  " + clock_time(seconds);
  }
  return line;
}

void Progress::update(std::uint64_t count, std::uint64_t done) {
  m_count = count;
  m_done = done;
  if (!m_enabled) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - m_last_draw < k_redraw) return;
  m_last_draw = now;
  draw(false);
}

void Progress::clear() {
  if (m_enabled && m_tty && m_drawn) {
    std::fputs("\r\x1b[K", stderr);
    m_drawn = false;
  }
}

void Progress::finish(std::uint64_t count, std::uint64_t done) {
  m_count = count;
  m_done = done;
  if (!m_enabled) return;
  // Whatever the total said, the job is over: the last line reads 100 % when a total was known.
  if (m_total > 0) m_done = std::max(m_done, m_total);
  draw(true);
}

void Progress::draw(bool final) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
  const std::string line = text(m_count, m_done, seconds);
  if (m_tty) {
    // Redraw in place; only the final state stays on the screen.
    std::fprintf(stderr, "\r%s\x1b[K%s", line.c_str(), final ? "\n" : "");
    m_drawn = !final;
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace newswatch::daemon
