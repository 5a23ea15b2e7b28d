#include "fetchers/robots.h"

#include <algorithm>
#include <cstdlib>

#include "core/url.h"

namespace newswatch::fetchers {
namespace {

constexpr std::size_t k_max_parse_bytes = std::size_t{500} * 1024;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// One spelling for paths and patterns: %XX of unreserved characters decoded, other escapes in
// upper case, non-ASCII and control bytes escaped. So "/%7Efoo" and "/~foo" agree, and a UTF-8
// path matches a percent-encoded rule.
std::string normalize(std::string_view s) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      const auto v = static_cast<unsigned char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      if (unreserved(v)) {
        out += static_cast<char>(v);
      } else {
        out += '%';
        out += k_hex[v >> 4];
        out += k_hex[v & 15];
      }
      i += 2;
    } else if (c >= 0x80 || c <= 0x20 || c == 0x7F) {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Whether `pattern` ('*' matches any run, '$' at the end anchors) matches a prefix of `path`
// (the whole of it when anchored). Classic wildcard matching with one backtrack point: linear in
// practice, O(pattern * path) at worst.
bool pattern_matches(std::string_view pattern, std::string_view path) {
  bool anchored = false;
  if (!pattern.empty() && pattern.back() == '$') {
    anchored = true;
    pattern.remove_suffix(1);
  }
  std::size_t p = 0, s = 0, star = std::string_view::npos, mark = 0;
  while (s < path.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = s;
    } else if (p < pattern.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
    } else if (!anchored && p == pattern.size()) {
      return true;  // the pattern is a prefix of the rest
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// The product token a user-agent line names: its leading letters, '_' and '-'.
std::string_view product_token_of(std::string_view value) {
  std::size_t n = 0;
  while (n < value.size() &&
         ((value[n] >= 'a' && value[n] <= 'z') || (value[n] >= 'A' && value[n] <= 'Z') ||
          value[n] == '_' || value[n] == '-')) {
    ++n;
  }
  return value.substr(0, n);
}

}  // namespace

RobotsRules RobotsRules::disallow_all() {
  RobotsRules r;
  r.m_rules.push_back({"/", false});
  return r;
}

RobotsRules RobotsRules::parse(std::string_view body, std::string_view product_token) {
  if (body.size() > k_max_parse_bytes) body = body.substr(0, k_max_parse_bytes);
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);

  RobotsRules ours, star;
  bool have_ours = false, have_star = false;
  // The group being read: which crawlers it names, and whether its rules have started (a
  // user-agent line after a rule starts the next group).
  bool group_ours = false, group_star = false, group_has_rules = false, in_group = false;

  std::vector<std::string> sitemaps;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // garbage lines are ignored
    const std::string_view key = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));

    if (iequals(key, "user-agent")) {
      if (!in_group || group_has_rules) {
        group_ours = group_star = group_has_rules = false;
        in_group = true;
      }
      if (value == "*") {
        group_star = true;
        have_star = true;
      } else if (iequals(product_token_of(value), product_token) && !product_token.empty()) {
        group_ours = true;
        have_ours = true;
      }
      continue;
    }
    if (iequals(key, "sitemap")) {
      if (!value.empty()) sitemaps.emplace_back(value);
      continue;
    }
    const bool allow = iequals(key, "allow");
    const bool disallow = iequals(key, "disallow");
    const bool delay = iequals(key, "crawl-delay");
    if (!allow && !disallow && !delay) continue;
    if (!in_group) continue;  // a rule before any user-agent line applies to no one
    group_has_rules = true;
    if (delay) {
      char* stop = nullptr;
      const std::string text(value);
      const double seconds = std::strtod(text.c_str(), &stop);
      if (stop != text.c_str() && seconds >= 0 && seconds < 86400) {
        const auto ms = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
        if (group_ours) ours.m_crawl_delay = ms;
        if (group_star) star.m_crawl_delay = ms;
      }
      continue;
    }
    if (value.empty()) continue;  // "Disallow:" with nothing allows everything
    Rule rule{normalize(value), allow};
    if (rule.pattern.front() != '/' && rule.pattern.front() != '*') {
      rule.pattern.insert(rule.pattern.begin(), '/');
    }
    if (group_ours) ours.m_rules.push_back(rule);
    if (group_star) star.m_rules.push_back(std::move(rule));
  }
  RobotsRules result = have_ours ? std::move(ours) : have_star ? std::move(star) : RobotsRules();
  result.m_sitemaps = std::move(sitemaps);
  return result;
}

bool RobotsRules::allowed(std::string_view path) const {
  if (path.empty()) path = "/";
  if (path == "/robots.txt") return true;
  const std::string p = normalize(path);
  std::size_t best_length = 0;
  bool best_allow = true;
  bool matched = false;
  for (const Rule& r : m_rules) {
    if (!pattern_matches(r.pattern, p)) continue;
    const std::size_t length = r.pattern.size();
    if (!matched || length > best_length || (length == best_length && r.allow)) {
      best_length = length;
      best_allow = r.allow;
      matched = true;
    }
  }
  return best_allow;
}

RobotsCache::RobotsCache(RobotsCacheOptions options) : m_options(std::move(options)) {}

RobotsCache::Lookup RobotsCache::lookup(std::string_view url, TimePoint now) const {
  Lookup out;
  const auto u = parse_url(url);
  if (!u || (u->scheme != "http" && u->scheme != "https") || u->host.empty()) {
    out.verdict = Verdict::disallowed;
    return out;
  }
  out.origin = u->scheme + "://" + u->host + ":" + std::to_string(u->effective_port());
  out.robots_url = u->scheme + "://" + u->authority() + "/robots.txt";
  const auto it = m_entries.find(out.origin);
  if (it == m_entries.end() || it->second.expires <= now) return out;
  std::string path = u->path.empty() ? "/" : u->path;
  if (u->query) path += "?" + *u->query;
  out.verdict = it->second.rules.allowed(path) ? Verdict::allowed : Verdict::disallowed;
  if (auto d = it->second.rules.crawl_delay()) {
    out.crawl_delay = std::min(*d, m_options.max_crawl_delay);
  }
  return out;
}

void RobotsCache::store(const std::string& origin, int status, std::string_view body,
                        TimePoint now) {
  if (origin.empty()) return;
  evict(now);
  Entry e;
  if (status >= 200 && status < 300) {
    e.rules = RobotsRules::parse(body, m_options.product_token);
    e.expires = now + m_options.ttl;
  } else if (status >= 400 && status < 500) {
    e.rules = RobotsRules::allow_all();  // "unavailable": no restrictions
    e.expires = now + m_options.ttl;
  } else {
    e.rules = RobotsRules::disallow_all();  // "unreachable": assume complete disallow for now
    e.expires = now + m_options.unreachable_ttl;
  }
  m_entries[origin] = std::move(e);
}

void RobotsCache::evict(TimePoint now) {
  if (m_entries.size() < m_options.max_origins) return;
  std::erase_if(m_entries, [&](const auto& kv) { return kv.second.expires <= now; });
  while (m_entries.size() >= m_options.max_origins) {
    auto oldest = std::min_element(
        m_entries.begin(), m_entries.end(),
        [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
    m_entries.erase(oldest);
  }
}

}  // namespace newswatch::fetchers
