#include "alerts/quiet_hours.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

namespace newswatch::alerts {
namespace {

std::int64_t be(const std::string& b, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  // Sign-extend 32-bit values.
  if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

}  // namespace

Result<TimeZone> TimeZone::load(const std::string& name) {
  TimeZone zone;
  if (name.empty()) return zone;
  const bool safe = name.find("..") == std::string::npos && name.front() != '/' &&
                    std::all_of(name.begin(), name.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' ||
                             c == '-' || c == '+';
                    });
  const auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::invalid_argument, "unknown time zone \"" + name + "\" (" + why +
                                                       "); use a name like \"Europe/Berlin\"");
  };
  if (!safe) return bad("not a zone name");
  std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
  if (!in) return bad("no file in /usr/share/zoneinfo");
  const std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // RFC 8536: a header, the 32-bit data block, and (version 2+) a header and 64-bit block.
  const auto header = [&](std::size_t at, std::int64_t counts[6]) {
    if (b.size() < at + 44 || b.compare(at, 4, "TZif") != 0) return false;
    for (int i = 0; i < 6; ++i) counts[i] = be(b, at + 20 + 4 * static_cast<std::size_t>(i), 4);
    for (int i = 0; i < 6; ++i) {
      if (counts[i] < 0 || counts[i] > 100000) return false;
    }
    return true;
  };
  std::int64_t c[6];
  if (!header(0, c)) return bad("not a TZif file");
  std::size_t at = 44;
  int width = 4;
  const auto block_size = [&](int w) {
    // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    return static_cast<std::size_t>(c[3] * w + c[3] + c[4] * 6 + c[5] + c[2] * (w + 4) + c[1] +
                                    c[0]);
  };
  if (b[4] >= '2') {
    at += block_size(4);
    if (!header(at, c)) return bad("damaged TZif file");
    at += 44;
    width = 8;
  }
  if (b.size() < at + block_size(width) || c[4] == 0) return bad("damaged TZif file");
  auto table = std::make_shared<Table>();
  const auto timecnt = static_cast<std::size_t>(c[3]);
  const std::size_t types_at = at + timecnt * static_cast<std::size_t>(width);
  const std::size_t info_at = types_at + timecnt;
  const auto utoff = [&](std::size_t type) {
    return static_cast<std::int32_t>(be(b, info_at + 6 * type, 4));
  };
  table->initial = utoff(0);
  for (std::size_t i = 0; i < timecnt; ++i) {
    const auto type = static_cast<unsigned char>(b[types_at + i]);
    if (type >= static_cast<std::size_t>(c[4])) return bad("damaged TZif file");
    table->transitions.push_back(be(b, at + i * static_cast<std::size_t>(width), width));
    table->offsets.push_back(utoff(type));
  }
  zone.m_table = std::move(table);
  return zone;
}

std::chrono::seconds TimeZone::offset(TimePoint t) const {
  const std::int64_t s = t.time_since_epoch().count();
  if (!m_table) {
    const time_t tt = static_cast<time_t>(s);
    tm local{};
    if (!localtime_r(&tt, &local)) return std::chrono::seconds(0);
    return std::chrono::seconds(local.tm_gmtoff);
  }
  // Past the last transition (2037 in Debian's files) the last offset holds.
  const auto& tr = m_table->transitions;
  const auto it = std::upper_bound(tr.begin(), tr.end(), s);
  if (it == tr.begin()) return std::chrono::seconds(m_table->initial);
  return std::chrono::seconds(m_table->offsets[static_cast<std::size_t>(it - tr.begin() - 1)]);
}

std::optional<TimePoint> QuietHours::until(TimePoint now) const {
  using namespace std::chrono;
  if (start_minute == end_minute) return std::nullopt;
  const seconds off = zone.offset(now);
  const std::int64_t local = now.time_since_epoch().count() + off.count();
  const std::int64_t day_start = local - ((local % 86400) + 86400) % 86400;
  const int minute = static_cast<int>((local - day_start) / 60);
  const bool wraps = end_minute <= start_minute;
  const bool inside = wraps ? (minute >= start_minute || minute < end_minute)
                            : (minute >= start_minute && minute < end_minute);
  if (!inside) return std::nullopt;
  std::int64_t end_local = day_start + std::int64_t{end_minute} * 60;
  if (wraps && minute >= start_minute) end_local += 86400;
  // The offset at the end may differ (a DST change inside the window).
  const TimePoint guess(seconds(end_local - off.count()));
  return TimePoint(seconds(end_local - zone.offset(guess).count()));
}

std::optional<std::pair<int, int>> parse_quiet_hours(std::string_view text) {
  const auto hhmm = [](std::string_view s) -> std::optional<int> {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    const auto colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 2 || s.size() - colon != 3) {
      return std::nullopt;
    }
    int h = 0, m = 0;
    for (char ch : s.substr(0, colon)) {
      if (ch < '0' || ch > '9') return std::nullopt;
      h = h * 10 + (ch - '0');
    }
    for (char ch : s.substr(colon + 1)) {
      if (ch < '0' || ch > '9') return std::nullopt;
      m = m * 10 + (ch - '0');
    }
    if (h > 24 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
    return (h * 60 + m) % 1440;
  };
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto start = hhmm(text.substr(0, dash));
  const auto end = hhmm(text.substr(dash + 1));
  if (!start || !end || *start == *end) return std::nullopt;
  return std::make_pair(*start, *end);
}

}  // namespace newswatch::alerts
