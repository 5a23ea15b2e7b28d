// A channel's quiet hours ("22:00-07:00" in local time or a named zone): deliveries that fall
// inside wait for the window's end. Pure functions over the tz database files.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace newswatch::alerts {

// A UTC offset table: the process's local zone, or a zone read from /usr/share/zoneinfo.
class TimeZone {
 public:
  // The zone `name` ("Europe/Berlin", "UTC"); an empty name is the process's local time (TZ or
  // /etc/localtime). invalid_argument when the name is unknown or its file unreadable.
  static Result<TimeZone> load(const std::string& name);
  // Seconds to add to UTC to get the wall-clock time at `t`.
  std::chrono::seconds offset(TimePoint t) const;

 private:
  struct Table {
    std::vector<std::int64_t> transitions;  // UTC seconds, ascending
    std::vector<std::int32_t> offsets;      // offset in effect from transitions[i] on
    std::int32_t initial = 0;               // before the first transition
  };
  std::shared_ptr<const Table> m_table;  // null: local time via localtime_r
};

struct QuietHours {
  int start_minute = 0;  // minutes after midnight, 0..1439
  int end_minute = 0;    // the window ends here, on the next day when <= start_minute
  TimeZone zone;

  // The end of the quiet window that `now` falls in, or nullopt outside it.
  std::optional<TimePoint> until(TimePoint now) const;
};

// "22:00-07:00" -> minutes {1320, 420}; nullopt unless two HH:MM times that differ.
std::optional<std::pair<int, int>> parse_quiet_hours(std::string_view text);

}  // namespace newswatch::alerts
