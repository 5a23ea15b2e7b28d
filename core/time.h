// Time values and the one injectable seam for time (STYLE.md 5): every decision that depends on
// "now" (scheduling, backoff, retries) asks a Clock. Standard library only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace newswatch {

// Wall-clock instants in whole seconds, UTC.
using TimePoint = std::chrono::sys_seconds;

// "2024-06-17T09:00:00Z".
std::string format_iso8601(TimePoint t);

// Parses ISO 8601 / RFC 3339 forms: "2024-06-17", "2024-06-17T09:00Z", "2024-06-17T09:00:00",
// "2024-06-17 09:00:00+02:00", fractional seconds. A missing zone means UTC. nullopt when the
// text is not such a date.
std::optional<TimePoint> parse_iso8601(std::string_view text);

// Parses a config duration: "90s", "5m", "1h", "2d", "500ms" (also combined, "1h30m").
// nullopt for anything else, including an empty string or a missing unit.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// "1h30m", "90s", "250ms": the shortest form parse_duration reads back.
std::string format_duration(std::chrono::milliseconds d);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

// The real clock. Any thread.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
  static const SystemClock& instance();
};

}  // namespace newswatch
