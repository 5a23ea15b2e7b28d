// A progress line on standard error for long CLI jobs (export, import): count, rate, percentage
// and time left, redrawn in place at most 10 times a second. Standard output is never touched,
// so the data written there stays clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace newswatch::daemon {

struct CliArgs;

// Whether a command shows progress: --progress forces it, --quiet turns it off, otherwise only
// when standard error is a terminal.
bool progress_wanted(const CliArgs& args);

// One job's progress line. Not thread-safe; one per command run.
class Progress {
 public:
  enum class Unit { items, bytes };

  // `command` prefixes the line ("newswatch import"), `noun` counts items ("articles").
  // `total` is what `done` reaches at the end, in `unit`s; 0 = unknown (no percentage).
  // Draws nothing unless `enabled`.
  Progress(std::string command, std::string noun, bool enabled, std::uint64_t total = 0,
           Unit unit = Unit::items);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `count` items handled, `done` units of `total`. Redraws when 100 ms have passed.
  void update(std::uint64_t count, std::uint64_t done);
  // Removes the line from a terminal before another message goes to standard error; the next
  // update draws it again.
  void clear();
  // Records the final state, draws it and ends the line.
  void finish(std::uint64_t count, std::uint64_t done);

  // The line for the given state, without control characters (tests).
  std::string text(std::uint64_t count, std::uint64_t done, double seconds) const;

 private:
  void draw(bool final);

  std::string m_command, m_noun;
  bool m_enabled;
  bool m_tty;
  std::uint64_t m_total;
  Unit m_unit;
  std::uint64_t m_count = 0, m_done = 0;
  std::chrono::steady_clock::time_point m_start, m_last_draw;
  bool m_drawn = false;  // a line without its newline is on the terminal
};

}  // namespace newswatch::daemon
