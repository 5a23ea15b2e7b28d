#include "parsers/dates.h"

#include <array>
#include <chrono>
#include <cstring>
#include <string>

namespace newswatch::parsers {

namespace {

struct Token {
  enum Kind { number, word, punct } kind = punct;
  std::string_view text;
  long long value = 0;  // numbers only
  int digits = 0;       // numbers only
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u >= 0x80;
}

// At most 32 tokens: anything longer is not a date, and a fixed array keeps this allocation-free.
constexpr size_t k_max_tokens = 32;

size_t tokenize(std::string_view s, std::array<Token, k_max_tokens>& out) {
  size_t n = 0;
  size_t i = 0;
  while (i < s.size() && n < k_max_tokens) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    Token t;
    const size_t start = i;
    if (is_digit(c)) {
      t.kind = Token::number;
      while (i < s.size() && is_digit(s[i])) {
        if (t.digits < 18) t.value = t.value * 10 + (s[i] - '0');
        ++t.digits;
        ++i;
      }
    } else if (is_word_byte(c)) {
      t.kind = Token::word;
      while (i < s.size() && is_word_byte(s[i])) ++i;
    } else {
      t.kind = Token::punct;
      ++i;
    }
    t.text = s.substr(start, i - start);
    out[n++] = t;
  }
  return n;
}

// ASCII lower-case plus Cyrillic capitals (UTF-8 D0 90..D0 AF) to lower-case.
std::string lower_word(std::string_view w) {
  std::string out;
  out.reserve(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    const auto c = static_cast<unsigned char>(w[i]);
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c + 32);
    } else if (c == 0xD0 && i + 1 < w.size()) {
      const auto d = static_cast<unsigned char>(w[i + 1]);
      if (d >= 0x90 && d <= 0x9F) {
        out += '\xD0';
        out += static_cast<char>(d + 0x20);
      } else if (d >= 0xA0 && d <= 0xAF) {
        out += '\xD1';
        out += static_cast<char>(d - 0x20);
      } else {
        out += '\xD0';
        out += static_cast<char>(d);
      }
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Month 1..12 for English, German and Russian names and abbreviations; 0 otherwise.
int month_from_word(const std::string& w) {
  struct Prefix {
    const char* prefix;
    int month;
  };
  static constexpr Prefix k_latin[] = {
      {"jan", 1}, {"feb", 2},  {"mar", 3},  {"m\xC3\xA4r", 3}, {"mrz", 3},  {"mae", 3},
      {"apr", 4}, {"may", 5},  {"mai", 5},  {"jun", 6},        {"jul", 7},  {"aug", 8},
      {"sep", 9}, {"oct", 10}, {"okt", 10}, {"nov", 11},       {"dec", 12}, {"dez", 12},
  };
  static constexpr Prefix k_cyrillic[] = {
      {"\xD1\x8F\xD0\xBD\xD0\xB2", 1},   // янв
      {"\xD1\x84\xD0\xB5\xD0\xB2", 2},   // фев
      {"\xD0\xBC\xD0\xB0\xD1\x80", 3},   // мар
      {"\xD0\xB0\xD0\xBF\xD1\x80", 4},   // апр
      {"\xD0\xBC\xD0\xB0\xD1\x8F", 5},   // мая
      {"\xD0\xBC\xD0\xB0\xD0\xB9", 5},   // май
      {"\xD0\xB8\xD1\x8E\xD0\xBD", 6},   // июн
      {"\xD0\xB8\xD1\x8E\xD0\xBB", 7},   // июл
      {"\xD0\xB0\xD0\xB2\xD0\xB3", 8},   // авг
      {"\xD1\x81\xD0\xB5\xD0\xBD", 9},   // сен
      {"\xD0\xBE\xD0\xBA\xD1\x82", 10},  // окт
      {"\xD0\xBD\xD0\xBE\xD1\x8F", 11},  // ноя
      {"\xD0\xB4\xD0\xB5\xD0\xBA", 12},  // дек
  };
  if (w.size() < 3 || w.size() > 20) return 0;
  const auto first = static_cast<unsigned char>(w[0]);
  if (first < 0x80) {
    if (w.size() > 9) return 0;
    for (const auto& p : k_latin) {
      if (starts_with(w, p.prefix)) return p.month;
    }
    return 0;
  }
  for (const auto& p : k_cyrillic) {
    if (starts_with(w, p.prefix)) return p.month;
  }
  return 0;
}

// Offset in minutes for a zone abbreviation; nullopt when `w` is not one.
std::optional<int> zone_from_word(const std::string& w) {
  struct Zone {
    const char* name;
    int minutes;
  };
  static constexpr Zone k_zones[] = {
      {"z", 0},      {"ut", 0},      {"utc", 0},     {"gmt", 0},    {"wet", 0},    {"est", -300},
      {"edt", -240}, {"cst", -360},  {"cdt", -300},  {"mst", -420}, {"mdt", -360}, {"pst", -480},
      {"pdt", -420}, {"akst", -540}, {"akdt", -480}, {"hst", -600}, {"ast", -240}, {"adt", -180},
      {"nst", -210}, {"ndt", -150},  {"bst", 60},    {"ist", 330},  {"west", 60},  {"cet", 60},
      {"mez", 60},   {"cest", 120},  {"mesz", 120},  {"eet", 120},  {"eest", 180}, {"msk", 180},
      {"msd", 240},  {"samt", 240},  {"yekt", 300},  {"omst", 360}, {"krat", 420}, {"sgt", 480},
      {"hkt", 480},  {"awst", 480},  {"jst", 540},   {"kst", 540},  {"acst", 570}, {"aest", 600},
      {"aedt", 660}, {"nzst", 720},  {"nzdt", 780},
  };
  if (w.size() > 4) return std::nullopt;
  for (const auto& z : k_zones) {
    if (w == z.name) return z.minutes;
  }
  return std::nullopt;
}

bool is_date_sep(const Token& t) {
  return t.kind == Token::punct && (t.text == "-" || t.text == "." || t.text == "/");
}

std::optional<TimePoint> from_epoch(std::string_view s) {
  long long v = 0;
  for (const char c : s) v = v * 10 + (c - '0');
  if (s.size() == 13) v /= 1000;
  return TimePoint{std::chrono::seconds{v}};
}

}  // namespace

std::optional<TimePoint> parse_feed_date(std::string_view s) {
  using namespace std::chrono;
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  if (s.empty() || s.size() > 128) return std::nullopt;
  if ((s.size() == 9 || s.size() == 10 || s.size() == 13) &&
      s.find_first_not_of("0123456789") == std::string_view::npos) {
    return from_epoch(s);
  }

  std::array<Token, k_max_tokens> tok;
  const size_t n = tokenize(s, tok);
  int year = -1, month = 0, day = 0;
  int hour = 0, minute = 0, second = 0;
  bool have_time = false, have_zone = false;
  int offset = 0;
  bool year_two_digits = false;

  auto num_at = [&](size_t i) { return i < n && tok[i].kind == Token::number; };
  auto punct_at = [&](size_t i, char c) {
    return i < n && tok[i].kind == Token::punct && tok[i].text[0] == c;
  };
  // hh:mm[:ss[.frac]] starting at tok[i]; returns the index after it or i when not a time.
  auto read_time = [&](size_t i) -> size_t {
    if (!(num_at(i) && tok[i].digits <= 2 && punct_at(i + 1, ':') && num_at(i + 2))) return i;
    hour = static_cast<int>(tok[i].value);
    minute = static_cast<int>(tok[i + 2].value);
    size_t j = i + 3;
    if (punct_at(j, ':') && num_at(j + 1)) {
      second = static_cast<int>(tok[j + 1].value);
      j += 2;
      if ((punct_at(j, '.') || punct_at(j, ',')) && num_at(j + 1)) j += 2;
    }
    have_time = true;
    return j;
  };

  for (size_t i = 0; i < n;) {
    const Token& t = tok[i];
    if (t.kind == Token::number) {
      if (!have_time && t.digits <= 2 && punct_at(i + 1, ':')) {
        const size_t j = read_time(i);
        if (j != i) {
          i = j;
          continue;
        }
      }
      // Numeric dates: 2024-06-17, 17.06.2024, 06/17/2024.
      if (month == 0 && i + 4 < n && is_date_sep(tok[i + 1]) && num_at(i + 2) &&
          tok[i + 3].kind == Token::punct && tok[i + 3].text == tok[i + 1].text && num_at(i + 4)) {
        const Token& a = tok[i];
        const Token& b = tok[i + 2];
        const Token& c = tok[i + 4];
        const char sep = tok[i + 1].text[0];
        if (a.digits == 4) {
          year = static_cast<int>(a.value);
          month = static_cast<int>(b.value);
          day = static_cast<int>(c.value);
        } else if (c.digits == 4 || c.digits == 2) {
          year = static_cast<int>(c.value);
          year_two_digits = c.digits == 2;
          if (sep == '/' && a.value <= 12 && b.value > 12) {
            month = static_cast<int>(a.value);
            day = static_cast<int>(b.value);
          } else {
            day = static_cast<int>(a.value);
            month = static_cast<int>(b.value);
          }
        } else {
          return std::nullopt;
        }
        i += 5;
        continue;
      }
      // ISO 8601 basic: 20240617, 20240617T0900[00], 20240617090000.
      if (month == 0 && (t.digits == 8 || t.digits == 12 || t.digits == 14)) {
        const std::string_view d = t.text;
        auto part = [&](size_t at, size_t len) {
          int v = 0;
          for (size_t k = at; k < at + len; ++k) v = v * 10 + (d[k] - '0');
          return v;
        };
        year = part(0, 4);
        month = part(4, 2);
        day = part(6, 2);
        if (t.digits >= 12) {
          hour = part(8, 2);
          minute = part(10, 2);
          if (t.digits == 14) second = part(12, 2);
          have_time = true;
        }
        ++i;
        continue;
      }
      if (month != 0 && !have_time && (t.digits == 4 || t.digits == 6) && i > 0 &&
          tok[i - 1].kind == Token::word && (tok[i - 1].text == "T" || tok[i - 1].text == "t") &&
          year >= 0) {
        hour = static_cast<int>(t.text[0] - '0') * 10 + (t.text[1] - '0');
        minute = static_cast<int>(t.text[2] - '0') * 10 + (t.text[3] - '0');
        if (t.digits == 6) second = (t.text[4] - '0') * 10 + (t.text[5] - '0');
        have_time = true;
        ++i;
        continue;
      }
      if (t.digits == 4 && year < 0) {
        year = static_cast<int>(t.value);
      } else if (t.digits <= 2 && day == 0) {
        day = static_cast<int>(t.value);
      } else if (t.digits <= 2 && year < 0 && month != 0) {
        year = static_cast<int>(t.value);
        year_two_digits = true;
      }
      ++i;
      continue;
    }
    if (t.kind == Token::punct) {
      const char c = t.text[0];
      // A signed number after the time is a zone offset: +0200, -05:00, +3, GMT+2.
      if ((c == '+' || c == '-') && have_time && num_at(i + 1)) {
        const Token& z = tok[i + 1];
        int h = 0, m = 0;
        size_t j = i + 2;
        if (z.digits == 4) {
          h = static_cast<int>(z.value / 100);
          m = static_cast<int>(z.value % 100);
        } else if (z.digits <= 2) {
          h = static_cast<int>(z.value);
          if (punct_at(j, ':') && num_at(j + 1)) {
            m = static_cast<int>(tok[j + 1].value);
            j += 2;
          }
        } else {
          return std::nullopt;
        }
        if (h > 14 || m > 59) return std::nullopt;
        offset = (c == '+' ? 1 : -1) * (h * 60 + m);
        have_zone = true;
        i = j;
        continue;
      }
      ++i;
      continue;
    }
    // Words: month names, zones, AM/PM; day names and filler ("Uhr", "at") are ignored.
    const std::string w = lower_word(t.text);
    if (w == "am" || w == "pm") {
      if (have_time && (w[0] == 'p') && hour < 12) hour += 12;
      if (have_time && (w[0] == 'a') && hour == 12) hour = 0;
    } else if (const int mo = (month == 0 ? month_from_word(w) : 0); mo != 0) {
      month = mo;
    } else if (const auto zone = zone_from_word(w); zone && !have_zone) {
      offset = *zone;
      have_zone = true;
    }
    ++i;
  }

  if (year < 0 || month < 1 || month > 12 || day < 1) return std::nullopt;
  if (year_two_digits) year += year < 70 ? 2000 : 1900;
  if (year < 1900 || year > 2200) return std::nullopt;
  if (hour > 24 || minute > 59 || second > 60) return std::nullopt;
  const year_month_day ymd{std::chrono::year{year},
                           std::chrono::month{static_cast<unsigned>(month)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  const TimePoint local =
      sys_days{ymd} + hours{hour} + minutes{minute} + seconds{second > 59 ? 59 : second};
  return local - minutes{offset};
}

}  // namespace newswatch::parsers
