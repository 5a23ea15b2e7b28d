// robots.txt (RFC 9309): parsing, matching a URL against the rules for our product token, and a
// cache of the answer per origin. No I/O: the daemon fetches robots.txt and stores the outcome.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/time.h"

namespace newswatch::fetchers {

// The rules of one robots.txt that apply to one crawler.
class RobotsRules {
 public:
  // Reads `body` (only its first 500 KiB, as RFC 9309 allows) and keeps the groups for
  // `product_token` (e.g. "newswatch"): every group whose user-agent line names it,
  // case-insensitively, merged; without one, every `*` group merged; without those, no rules.
  static RobotsRules parse(std::string_view body, std::string_view product_token);
  static RobotsRules allow_all() { return RobotsRules(); }
  static RobotsRules disallow_all();

  // Whether `path` (path and query of a URL, "/a/b?c") may be fetched: the longest matching
  // rule decides, Allow wins a tie, no match allows. Patterns may use `*` and a final `$`.
  // "/robots.txt" is always allowed.
  bool allowed(std::string_view path) const;

  // Crawl-delay of the chosen group (non-standard, widely used), when given.
  std::optional<std::chrono::milliseconds> crawl_delay() const { return m_crawl_delay; }
  // Sitemap: lines, in order (they apply to every crawler).
  const std::vector<std::string>& sitemaps() const { return m_sitemaps; }
  std::size_t rule_count() const { return m_rules.size(); }

 private:
  struct Rule {
    std::string pattern;  // normalised; may contain '*' and a final '$'
    bool allow = false;
  };
  std::vector<Rule> m_rules;
  std::optional<std::chrono::milliseconds> m_crawl_delay;
  std::vector<std::string> m_sitemaps;
};

struct RobotsCacheOptions {
  std::string product_token = "newswatch";
  std::chrono::seconds ttl{24 * 3600};            // how long a fetched robots.txt is trusted
  std::chrono::seconds unreachable_ttl{10 * 60};  // retry after a 5xx or a network error
  std::size_t max_origins = 10'000;
  // Crawl-delays above this are capped (a site asking for an hour between requests would make
  // news useless; such a site is better left out of the config).
  std::chrono::milliseconds max_crawl_delay{60'000};
};

// robots.txt answers per origin (scheme://host:port). Not thread-safe: owned by the io thread.
class RobotsCache {
 public:
  explicit RobotsCache(RobotsCacheOptions options = {});

  enum class Verdict { allowed, disallowed, unknown };
  struct Lookup {
    Verdict verdict = Verdict::unknown;
    std::string origin;      // "https://example.org:443" form used as the key
    std::string robots_url;  // what to fetch when unknown
    std::optional<std::chrono::milliseconds> crawl_delay;
  };

  // The verdict for `url` at `now`; `unknown` when robots.txt has not been fetched or expired.
  // A URL that does not parse is `disallowed`.
  Lookup lookup(std::string_view url, TimePoint now) const;

  // Records the outcome of fetching robots.txt for `origin` (from Lookup::origin): HTTP status
  // (0 for a network error or timeout) and body. 2xx: the rules; 4xx: no restrictions
  // ("unavailable"); 5xx and errors: everything disallowed until unreachable_ttl passes.
  void store(const std::string& origin, int status, std::string_view body, TimePoint now);

  std::size_t size() const { return m_entries.size(); }

 private:
  struct Entry {
    RobotsRules rules;
    TimePoint expires{};
  };
  void evict(TimePoint now);

  RobotsCacheOptions m_options;
  std::unordered_map<std::string, Entry> m_entries;
};

}  // namespace newswatch::fetchers
