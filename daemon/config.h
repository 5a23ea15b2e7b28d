// The daemon's configuration: one TOML file, parsed and validated into a Config value before
// anything changes (STYLE.md 11). Every error names file, line, column and key. Components never
// read TOML; the daemon maps this Config onto their Options structs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace newswatch::daemon {

using std::chrono::milliseconds;

enum class SourceKind { detect, feed, sitemap, page };
enum class ChannelType { webhook, email, file };

// "detect", "feed", ...; the tables behind these drive both parsing and error messages.
const char* source_kind_name(SourceKind kind);
const char* channel_type_name(ChannelType type);

struct StorageConfig {
  // Database directory. Relative paths are resolved against the config file's directory.
  // Default "newswatch-db".
  std::string path;
  // Stories fetched longer ago than this are deleted (hourly); 0 keeps everything. Default 0.
  milliseconds retention{0};
  // The URLs of stories deleted by retention are remembered this much longer, so that a feed or
  // index page that still lists one does not bring it back as a new story with a second alert;
  // 0 forgets them with their stories. Default 30 days.
  milliseconds remember_urls{std::chrono::hours(24 * 30)};
  // Shingle similarity from which a text is a near copy of a stored story; 0 turns
  // near-duplicate detection off. Default 0.35 (measured, docs/dedup.md).
  double near_duplicate_threshold = 0.35;
  // Extra query parameters (exact names) and name prefixes dropped from URLs before dedup,
  // added to the built-in list (utm_*, fbclid, gclid, mc_cid, ref, ...).
  std::vector<std::string> tracking_params;
  std::vector<std::string> tracking_prefixes;
  // fsync every article write (survives power loss, costs ingest speed). Default false.
  bool sync = false;
  // Article fetching pauses while the database's filesystem has less free space than this, so
  // that the disk never fills under RocksDB (whose writes then fail for good); 0 turns the
  // check off. Default 100 MiB.
  std::uint64_t min_free_space = 100ull << 20;
  // RocksDB block cache for reads (index and filter blocks included): the main knob for the
  // daemon's resident memory besides the fixed 64 MiB of memtables. Default 32 MiB.
  std::uint64_t block_cache = 32ull << 20;
};

struct FetchConfig {
  // Sent with every request; should name a contact URL. Default "newswatch/0.1 (+URL)".
  std::string user_agent = "newswatch/0.1 (+https://github.com/newswatch/newswatch)";
  milliseconds timeout{30'000};                   // whole request, default "30s"
  milliseconds connect_timeout{10'000};           // default "10s"
  std::uint64_t max_body_size = 8 * 1024 * 1024;  // bytes after decoding, default 8 MiB
  int max_redirects = 5;
  int per_host_connections = 2;
  // Least time between two request starts to one host (article fetches). Default "1s".
  milliseconds host_delay{1000};
  bool allow_private_networks = false;  // SSRF guard for URLs found in feeds
  // Fetch and obey robots.txt (with its Crawl-delay) before article fetches. Default true.
  bool robots = true;
};

struct SourceConfig {
  std::string name;
  std::string url;
  SourceKind kind = SourceKind::detect;
  milliseconds interval{300'000};  // default "5m"
  // Bounds of the adaptive interval; defaults max(1s, interval/2) and interval*6.
  milliseconds min_interval{150'000};
  milliseconds max_interval{1'800'000};
  int line = 0;  // where it was declared, for messages
};

struct ChannelConfig {
  std::string name;
  ChannelType type = ChannelType::webhook;
  // webhook
  std::string url;
  std::string secret;
  std::string format = "json";  // json, slack, discord, ntfy (alerts::WebhookFormat)
  // file: alerts appended as JSON lines (the webhook body), absolute after loading
  std::string path;
  // email
  std::string smtp_url;
  std::string username;
  std::string password;
  std::string from;
  std::vector<std::string> to;
  // Quiet hours "HH:MM-HH:MM" (may wrap midnight) in `timezone`: alerts wait for the window's
  // end. Empty: none.
  std::string quiet_hours;
  // A tz database name such as "Europe/Berlin"; empty = the daemon's local time.
  std::string timezone;
  int line = 0;
};

struct TopicConfig {
  std::string name;
  std::string query;
  std::vector<std::string> channels;
  // Rate limit: at most max_alerts messages per channel in any rate_window; the rest wait and
  // go out folded into the next allowed message. 0 = no limit.
  int max_alerts = 0;
  milliseconds rate_window{3'600'000};
  // Digest period: matches are collected and sent as one message per channel when the period
  // ends (aligned to the Unix epoch). 0 = each story at once.
  milliseconds digest{0};
  int line = 0;
};

// How topic queries meet article text (see alerts/matcher.h).
struct MatchingConfig {
  // Snowball languages for query words and for articles of unknown language.
  std::vector<std::string> languages = {"de", "en", "ru", "fr"};
  // Groups of single words that match each other, e.g. [["Pjöngjang", "Pyongyang"]].
  std::vector<std::vector<std::string>> synonyms;
  // German compounds: `Sanktion` also matches `Wirtschaftssanktionen`. Default true.
  bool compounds = true;
  // An article dated (the later of published and modified) further back than this when it is
  // first seen is stored, searchable and counted for its topics, but sends no alert: a newly
  // added feed's back catalogue is not news. 0 = every match alerts. Default 72 h.
  milliseconds max_age{72 * 3'600'000};
};

// The Prometheus /metrics and /healthz endpoint.
struct MetricsConfig {
  // "host:port"; loopback by default; empty turns the endpoint off.
  std::string listen = "127.0.0.1:9187";
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error
};

struct Config {
  std::string file;  // the file it was read from
  // Keys that hold a secret, as "channels[1].password": non-empty strings under any key whose
  // name contains "password", "secret" or "token", and URLs with a password in them.
  std::vector<std::string> secret_keys;
  StorageConfig storage;
  FetchConfig fetch;
  LogConfig log;
  MatchingConfig matching;
  MetricsConfig metrics;
  std::vector<SourceConfig> sources;
  std::vector<ChannelConfig> channels;
  std::vector<TopicConfig> topics;
};

struct ConfigError {
  std::string file;
  int line = 0;  // 0 when the error concerns the whole file
  int column = 0;
  std::string key;  // "sources[2].interval"; empty for syntax errors
  std::string message;

  // "newswatch.toml:14:9: sources[3].interval: expected a duration like \"5m\", got \"5 min\""
  std::string to_string() const;
};

struct ConfigResult {
  std::optional<Config> config;  // set only when errors is empty
  std::vector<ConfigError> errors;
};

// A config file with secrets that every local user may read.
struct SecretExposure {
  std::string file;
  unsigned mode = 0;  // permission bits, e.g. 0644
  std::vector<std::string> keys;
};

// Set when `config` holds secrets and its file is readable by others (mode o+r); the daemon and
// check-config warn about it. Reads the file's mode now (stat); nullopt when it cannot.
std::optional<SecretExposure> world_readable_secrets(const Config& config);

// Reads and validates `path`. Collects every error rather than stopping at the first.
ConfigResult load_config(const std::string& path);

// As load_config, from TOML text; `name` is used in messages and to resolve relative paths.
ConfigResult parse_config(const std::string& text, const std::string& name);

}  // namespace newswatch::daemon
