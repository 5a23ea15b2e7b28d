#include "daemon/config.h"

#include <sys/stat.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "alerts/delivery.h"
#include "alerts/quiet_hours.h"
#include "core/time.h"
#include "core/url.h"
#include "daemon/metrics.h"
#include "daemon/topic_query.h"
#include "storage/analyzer.h"

namespace newswatch::daemon {
namespace {

struct KindName {
  SourceKind kind;
  const char* name;
};
constexpr KindName kSourceKinds[] = {{SourceKind::detect, "detect"},
                                     {SourceKind::feed, "feed"},
                                     {SourceKind::sitemap, "sitemap"},
                                     {SourceKind::page, "page"}};
struct TypeName {
  ChannelType type;
  const char* name;
};
constexpr TypeName kChannelTypes[] = {
    {ChannelType::webhook, "webhook"}, {ChannelType::email, "email"}, {ChannelType::file, "file"}};
constexpr const char* kLogLevels[] = {"trace", "debug", "info", "warn", "error", "off"};

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    default: return "a date/time";
  }
}

// Reads one table against a set of known keys, recording errors with positions.
class Reader {
 public:
  Reader(std::string file, std::vector<ConfigError>& errors)
      : m_file(std::move(file)), m_errors(errors) {}

  void error(const toml::node* node, const std::string& key, const std::string& message) {
    ConfigError e;
    e.file = m_file;
    if (node) {
      e.line = static_cast<int>(node->source().begin.line);
      e.column = static_cast<int>(node->source().begin.column);
    }
    e.key = key;
    e.message = message;
    m_errors.push_back(std::move(e));
  }

  // Flags keys of `table` that are not in `known`.
  void check_keys(const toml::table& table, const std::string& prefix,
                  std::initializer_list<const char*> known) {
    for (const auto& [k, v] : table) {
      bool ok = false;
      for (const char* name : known) ok = ok || k.str() == name;
      if (!ok) {
        std::string allowed;
        for (const char* name : known) allowed += std::string(allowed.empty() ? "" : ", ") + name;
        error(&v, join(prefix, std::string(k.str())), "unknown key (allowed: " + allowed + ")");
      }
    }
  }

  static std::string join(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
  }

  bool read_string(const toml::table& t, const std::string& prefix, const char* key,
                   std::string& out, bool required = false) {
    const toml::node* node = t.get(key);
    if (!node) {
      if (required) error(&t, join(prefix, key), "missing required key");
      return false;
    }
    if (!node->is_string()) {
      error(node, join(prefix, key), "expected a string, got " + type_name(*node));
      return false;
    }
    out = node->value<std::string>().value_or("");
    if (required && out.empty()) {
      error(node, join(prefix, key), "must not be empty");
      return false;
    }
    return true;
  }

  void read_bool(const toml::table& t, const std::string& prefix, const char* key, bool& out) {
    const toml::node* node = t.get(key);
    if (!node) return;
    if (!node->is_boolean()) {
      error(node, join(prefix, key), "expected true or false, got " + type_name(*node));
      return;
    }
    out = node->value<bool>().value_or(out);
  }

  template <typename Int>
  void read_int(const toml::table& t, const std::string& prefix, const char* key, Int& out,
                std::int64_t min, std::int64_t max) {
    const toml::node* node = t.get(key);
    if (!node) return;
    if (!node->is_integer()) {
      error(node, join(prefix, key), "expected an integer, got " + type_name(*node));
      return;
    }
    const std::int64_t v = node->value<std::int64_t>().value_or(0);
    if (v < min || v > max) {
      error(node, join(prefix, key),
            "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return;
    }
    out = static_cast<Int>(v);
  }

  // Sizes are integers (bytes) or strings like "8MiB", "512KiB", "2MB".
  void read_size(const toml::table& t, const std::string& prefix, const char* key,
                 std::uint64_t& out) {
    const toml::node* node = t.get(key);
    if (!node) return;
    if (node->is_integer()) {
      const auto v = node->value<std::int64_t>().value_or(0);
      if (v <= 0) {
        error(node, join(prefix, key), "must be positive");
        return;
      }
      out = static_cast<std::uint64_t>(v);
      return;
    }
    if (!node->is_string()) {
      error(node, join(prefix, key), "expected a size like \"8MiB\", got " + type_name(*node));
      return;
    }
    const std::string s = node->value<std::string>().value_or("");
    size_t i = 0;
    std::uint64_t n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && n < (1ULL << 40)) {
      n = n * 10 + static_cast<std::uint64_t>(s[i] - '0');
      ++i;
    }
    const std::string unit = s.substr(i);
    static const std::map<std::string, std::uint64_t> kUnits = {{"", 1},
                                                                {"B", 1},
                                                                {"KB", 1000},
                                                                {"KiB", 1024},
                                                                {"MB", 1000 * 1000},
                                                                {"MiB", 1 << 20},
                                                                {"GB", 1000000000ULL},
                                                                {"GiB", 1ULL << 30}};
    const auto u = kUnits.find(unit);
    if (i == 0 || u == kUnits.end() || n == 0) {
      error(node, join(prefix, key), "expected a size like \"8MiB\", got \"" + s + "\"");
      return;
    }
    out = n * u->second;
  }

  void read_duration(const toml::table& t, const std::string& prefix, const char* key,
                     milliseconds& out, milliseconds min = milliseconds(1)) {
    const toml::node* node = t.get(key);
    if (!node) return;
    if (!node->is_string()) {
      error(node, join(prefix, key),
            "expected a duration like \"90s\", \"5m\" or \"1h\", got " + type_name(*node));
      return;
    }
    const std::string s = node->value<std::string>().value_or("");
    const auto d = parse_duration(s);
    if (!d) {
      error(node, join(prefix, key),
            "expected a duration like \"90s\", \"5m\" or \"1h\", got \"" + s + "\"");
      return;
    }
    if (*d < min) {
      error(node, join(prefix, key), "must be at least " + format_duration(min));
      return;
    }
    out = *d;
  }

  void read_string_list(const toml::table& t, const std::string& prefix, const char* key,
                        std::vector<std::string>& out) {
    const toml::node* node = t.get(key);
    if (!node) return;
    if (node->is_string()) {  // a single recipient is fine
      out.push_back(node->value<std::string>().value_or(""));
      return;
    }
    const toml::array* arr = node->as_array();
    if (!arr) {
      error(node, join(prefix, key), "expected an array of strings, got " + type_name(*node));
      return;
    }
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::node& item = *arr->get(i);
      if (!item.is_string()) {
        error(&item, join(prefix, key) + "[" + std::to_string(i) + "]",
              "expected a string, got " + type_name(item));
        continue;
      }
      out.push_back(item.value<std::string>().value_or(""));
    }
  }

  // Returns the array of tables under `key`, or nullptr (with an error if it has the wrong type).
  const toml::array* table_array(const toml::table& root, const char* key) {
    const toml::node* node = root.get(key);
    if (!node) return nullptr;
    const toml::array* arr = node->as_array();
    if (!arr || !arr->is_array_of_tables()) {
      error(node, key,
            std::string("expected an array of tables ([[") + key + "]]), got " + type_name(*node));
      return nullptr;
    }
    return arr;
  }

  const toml::table* table(const toml::table& root, const char* key) {
    const toml::node* node = root.get(key);
    if (!node) return nullptr;
    if (!node->is_table()) {
      error(node, key, std::string("expected a table ([") + key + "]), got " + type_name(*node));
      return nullptr;
    }
    return node->as_table();
  }

 private:
  std::string m_file;
  std::vector<ConfigError>& m_errors;
};

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

bool valid_http_url(const std::string& s) {
  const auto url = parse_url(s);
  return url && is_http_url(*url);
}

}  // namespace

const char* source_kind_name(SourceKind kind) {
  for (const auto& k : kSourceKinds) {
    if (k.kind == kind) return k.name;
  }
  return "detect";
}

const char* channel_type_name(ChannelType type) {
  for (const auto& t : kChannelTypes) {
    if (t.type == type) return t.name;
  }
  return "webhook";
}

std::string ConfigError::to_string() const {
  std::ostringstream out;
  out << file;
  if (line > 0) out << ":" << line << ":" << column;
  out << ": ";
  if (!key.empty()) out << key << ": ";
  out << message;
  return out.str();
}

// `path` resolved against the directory of the config file `file`.
namespace {

bool names_a_secret(std::string_view key) {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* word : {"password", "secret", "token"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

// "scheme://user:password@host...": a URL that carries a password.
bool url_with_password(std::string_view value) {
  const auto scheme = value.find("://");
  if (scheme == std::string_view::npos) return false;
  const auto rest = value.substr(scheme + 3);
  const auto at = rest.find('@');
  if (at == std::string_view::npos) return false;
  const auto authority = rest.substr(0, at);
  if (authority.find_first_of("/?#") != std::string_view::npos) return false;
  const auto colon = authority.find(':');
  return colon != std::string_view::npos && colon + 1 < authority.size();
}

void collect_secret_keys(const toml::node& node, const std::string& path, bool secret_name,
                         std::vector<std::string>& out) {
  if (const auto* t = node.as_table()) {
    for (const auto& [key, value] : *t) {
      const std::string k(key.str());
      collect_secret_keys(value, path.empty() ? k : path + "." + k, names_a_secret(k), out);
    }
  } else if (const auto* a = node.as_array()) {
    for (std::size_t i = 0; i < a->size(); ++i) {
      collect_secret_keys(*a->get(i), path + "[" + std::to_string(i) + "]", secret_name, out);
    }
  } else if (const auto* v = node.as_string()) {
    const std::string& value = v->get();
    if ((secret_name && !value.empty()) || url_with_password(value)) out.push_back(path);
  }
}

}  // namespace

std::optional<SecretExposure> world_readable_secrets(const Config& config) {
  if (config.secret_keys.empty()) return std::nullopt;
  struct stat sb {};
  if (::stat(config.file.c_str(), &sb) != 0 || (sb.st_mode & S_IROTH) == 0) return std::nullopt;
  return SecretExposure{config.file, static_cast<unsigned>(sb.st_mode & 07777), config.secret_keys};
}

static std::string relative_to(const std::string& file, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative()) {
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::path(file).parent_path();
    if (dir.empty()) dir = ".";
    const auto abs = std::filesystem::absolute(dir, ec);
    p = (ec ? dir : abs) / p;
  }
  return p.lexically_normal().string();
}

ConfigResult parse_config(const std::string& text, const std::string& name) {
  ConfigResult result;
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    ConfigError err;
    err.file = name;
    err.line = static_cast<int>(e.source().begin.line);
    err.column = static_cast<int>(e.source().begin.column);
    err.message = std::string(e.description());
    result.errors.push_back(std::move(err));
    return result;
  }

  Config config;
  config.file = name;
  collect_secret_keys(root, "", false, config.secret_keys);
  Reader r(name, result.errors);
  r.check_keys(root, "",
               {"storage", "fetch", "log", "matching", "metrics", "sources", "channels", "topics"});

  // [storage]
  config.storage.path = "newswatch-db";
  if (const toml::table* t = r.table(root, "storage")) {
    r.check_keys(*t, "storage",
                 {"path", "retention", "remember_urls", "near_duplicate_threshold",
                  "tracking_params", "tracking_prefixes", "sync", "min_free_space", "block_cache"});
    r.read_string(*t, "storage", "path", config.storage.path);
    r.read_duration(*t, "storage", "retention", config.storage.retention, milliseconds(0));
    r.read_duration(*t, "storage", "remember_urls", config.storage.remember_urls, milliseconds(0));
    if (const toml::node* node = t->get("near_duplicate_threshold")) {
      const auto v = node->value<double>();
      if (!v || *v < 0 || *v > 1) {
        r.error(node, "storage.near_duplicate_threshold", "expected a number from 0 to 1");
      } else {
        config.storage.near_duplicate_threshold = *v;
      }
    }
    r.read_string_list(*t, "storage", "tracking_params", config.storage.tracking_params);
    r.read_string_list(*t, "storage", "tracking_prefixes", config.storage.tracking_prefixes);
    r.read_bool(*t, "storage", "sync", config.storage.sync);
    if (const toml::node* node = t->get("min_free_space");
        node && node->value<std::int64_t>() == 0) {
      config.storage.min_free_space = 0;  // the check turned off
    } else {
      r.read_size(*t, "storage", "min_free_space", config.storage.min_free_space);
    }
    r.read_size(*t, "storage", "block_cache", config.storage.block_cache);
  }
  config.storage.path = relative_to(name, config.storage.path);

  // [fetch]
  if (const toml::table* t = r.table(root, "fetch")) {
    r.check_keys(*t, "fetch",
                 {"user_agent", "timeout", "connect_timeout", "max_body_size", "max_redirects",
                  "per_host_connections", "host_delay", "allow_private_networks", "robots"});
    r.read_string(*t, "fetch", "user_agent", config.fetch.user_agent);
    r.read_duration(*t, "fetch", "timeout", config.fetch.timeout, milliseconds(100));
    r.read_duration(*t, "fetch", "connect_timeout", config.fetch.connect_timeout,
                    milliseconds(100));
    r.read_size(*t, "fetch", "max_body_size", config.fetch.max_body_size);
    r.read_int(*t, "fetch", "max_redirects", config.fetch.max_redirects, 0, 20);
    r.read_duration(*t, "fetch", "host_delay", config.fetch.host_delay, milliseconds(0));
    r.read_int(*t, "fetch", "per_host_connections", config.fetch.per_host_connections, 1, 64);
    r.read_bool(*t, "fetch", "allow_private_networks", config.fetch.allow_private_networks);
    r.read_bool(*t, "fetch", "robots", config.fetch.robots);
  }

  // [matching]
  if (const toml::table* t = r.table(root, "matching")) {
    r.check_keys(*t, "matching", {"languages", "synonyms", "compounds", "max_age"});
    if (t->get("languages")) config.matching.languages.clear();  // replaces the default list
    r.read_string_list(*t, "matching", "languages", config.matching.languages);
    for (const auto& lang : config.matching.languages) {
      if (!storage::has_stemmer(lang)) {
        r.error(t->get("languages"), "matching.languages",
                "no stemmer for language \"" + lang + "\"");
      }
    }
    if (const toml::node* node = t->get("synonyms")) {
      const toml::array* groups = node->as_array();
      bool ok = groups != nullptr;
      if (ok) {
        for (const auto& g : *groups) {
          const toml::array* words = g.as_array();
          if (!words || words->size() < 2) {
            ok = false;
            break;
          }
          std::vector<std::string> group;
          for (const auto& w : *words) {
            if (!w.is_string()) ok = false;
            group.push_back(w.value<std::string>().value_or(""));
          }
          config.matching.synonyms.push_back(std::move(group));
        }
      }
      if (!ok) {
        r.error(node, "matching.synonyms",
                "expected a list of word lists, each with two or more strings, like "
                "[[\"Pjöngjang\", \"Pyongyang\"]]");
      }
    }
    r.read_bool(*t, "matching", "compounds", config.matching.compounds);
    r.read_duration(*t, "matching", "max_age", config.matching.max_age, milliseconds(0));
  }

  // [metrics]
  if (const toml::table* t = r.table(root, "metrics")) {
    r.check_keys(*t, "metrics", {"listen"});
    if (r.read_string(*t, "metrics", "listen", config.metrics.listen) &&
        !config.metrics.listen.empty()) {
      if (auto addr = parse_listen_address(config.metrics.listen); !addr) {
        r.error(t->get("listen"), "metrics.listen", addr.error().message);
      }
    }
  }

  // [log]
  if (const toml::table* t = r.table(root, "log")) {
    r.check_keys(*t, "log", {"level"});
    if (r.read_string(*t, "log", "level", config.log.level)) {
      bool ok = false;
      for (const char* l : kLogLevels) ok = ok || config.log.level == l;
      if (!ok) {
        r.error(t->get("level"), "log.level",
                "unknown level \"" + config.log.level +
                    "\" (allowed: trace, debug, info, warn, error, off)");
      }
    }
  }

  // [[sources]]
  std::map<std::string, int> source_names;
  if (const toml::array* arr = r.table_array(root, "sources")) {
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::table& t = *arr->get(i)->as_table();
      const std::string p = "sources[" + std::to_string(i) + "]";
      r.check_keys(t, p, {"name", "url", "kind", "interval", "min_interval", "max_interval"});
      SourceConfig s;
      s.line = static_cast<int>(t.source().begin.line);
      if (r.read_string(t, p, "name", s.name, true) && !valid_name(s.name)) {
        r.error(t.get("name"), p + ".name",
                "\"" + s.name + "\" is not a valid name (letters, digits, - _ . only)");
      }
      if (r.read_string(t, p, "url", s.url, true) && !valid_http_url(s.url)) {
        r.error(t.get("url"), p + ".url", "\"" + s.url + "\" is not an http(s) URL");
      }
      std::string kind;
      if (r.read_string(t, p, "kind", kind)) {
        bool ok = false;
        for (const auto& k : kSourceKinds) {
          if (kind == k.name) {
            s.kind = k.kind;
            ok = true;
          }
        }
        if (!ok) {
          r.error(t.get("kind"), p + ".kind",
                  "unknown kind \"" + kind + "\" (allowed: detect, feed, sitemap, page)");
        }
      }
      r.read_duration(t, p, "interval", s.interval, milliseconds(1000));
      s.min_interval = std::max(milliseconds(1000), s.interval / 2);
      s.max_interval = s.interval * 6;
      r.read_duration(t, p, "min_interval", s.min_interval, milliseconds(1000));
      r.read_duration(t, p, "max_interval", s.max_interval, milliseconds(1000));
      if (s.min_interval > s.max_interval) {
        r.error(t.get("min_interval") ? t.get("min_interval") : t.get("max_interval"),
                p + ".min_interval",
                "must not be larger than max_interval (" + format_duration(s.max_interval) + ")");
      }
      if (!s.name.empty()) {
        if (auto [it, fresh] = source_names.emplace(s.name, s.line); !fresh) {
          r.error(t.get("name"), p + ".name",
                  "duplicate source name \"" + s.name + "\" (first defined on line " +
                      std::to_string(it->second) + ")");
        }
      }
      config.sources.push_back(std::move(s));
    }
  }

  // [[channels]]
  std::map<std::string, int> channel_names;
  if (const toml::array* arr = r.table_array(root, "channels")) {
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::table& t = *arr->get(i)->as_table();
      const std::string p = "channels[" + std::to_string(i) + "]";
      ChannelConfig c;
      c.line = static_cast<int>(t.source().begin.line);
      if (r.read_string(t, p, "name", c.name, true) && !valid_name(c.name)) {
        r.error(t.get("name"), p + ".name",
                "\"" + c.name + "\" is not a valid name (letters, digits, - _ . only)");
      }
      std::string type;
      if (r.read_string(t, p, "type", type, true)) {
        bool ok = false;
        for (const auto& k : kChannelTypes) {
          if (type == k.name) {
            c.type = k.type;
            ok = true;
          }
        }
        if (!ok) {
          r.error(t.get("type"), p + ".type",
                  "unknown channel type \"" + type + "\" (allowed: webhook, email, file)");
        }
      }
      if (c.type == ChannelType::webhook) {
        r.check_keys(t, p, {"name", "type", "url", "secret", "format", "quiet_hours", "timezone"});
        if (r.read_string(t, p, "format", c.format) && !alerts::parse_webhook_format(c.format)) {
          r.error(
              t.get("format"), p + ".format",
              "unknown webhook format \"" + c.format + "\" (allowed: json, slack, discord, ntfy)");
        }
        if (r.read_string(t, p, "url", c.url, true) && !valid_http_url(c.url)) {
          r.error(t.get("url"), p + ".url", "\"" + c.url + "\" is not an http(s) URL");
        }
        r.read_string(t, p, "secret", c.secret);
      } else if (c.type == ChannelType::file) {
        r.check_keys(t, p, {"name", "type", "path", "quiet_hours", "timezone"});
        if (r.read_string(t, p, "path", c.path, true)) c.path = relative_to(name, c.path);
      } else {
        r.check_keys(t, p,
                     {"name", "type", "smtp_url", "username", "password", "from", "to",
                      "quiet_hours", "timezone"});
        if (r.read_string(t, p, "smtp_url", c.smtp_url, true)) {
          const auto url = parse_url(c.smtp_url);
          if (!url || (url->scheme != "smtp" && url->scheme != "smtps") || url->host.empty()) {
            r.error(t.get("smtp_url"), p + ".smtp_url",
                    "\"" + c.smtp_url + "\" is not an smtp:// or smtps:// URL");
          }
        }
        r.read_string(t, p, "username", c.username);
        r.read_string(t, p, "password", c.password);
        r.read_string(t, p, "from", c.from, true);
        r.read_string_list(t, p, "to", c.to);
        if (c.to.empty()) r.error(&t, p + ".to", "needs at least one recipient");
      }
      if (r.read_string(t, p, "quiet_hours", c.quiet_hours) &&
          !alerts::parse_quiet_hours(c.quiet_hours)) {
        r.error(t.get("quiet_hours"), p + ".quiet_hours",
                "expected two different times like \"22:00-07:00\", got \"" + c.quiet_hours + "\"");
      }
      if (r.read_string(t, p, "timezone", c.timezone)) {
        if (c.quiet_hours.empty()) {
          r.error(t.get("timezone"), p + ".timezone",
                  "only used with quiet_hours, which is not set");
        } else if (auto zone = alerts::TimeZone::load(c.timezone); !zone) {
          r.error(t.get("timezone"), p + ".timezone", zone.error().message);
        }
      }
      if (!c.name.empty()) {
        if (auto [it, fresh] = channel_names.emplace(c.name, c.line); !fresh) {
          r.error(t.get("name"), p + ".name",
                  "duplicate channel name \"" + c.name + "\" (first defined on line " +
                      std::to_string(it->second) + ")");
        }
      }
      config.channels.push_back(std::move(c));
    }
  }

  // [[topics]]
  std::map<std::string, int> topic_names;
  if (const toml::array* arr = r.table_array(root, "topics")) {
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::table& t = *arr->get(i)->as_table();
      const std::string p = "topics[" + std::to_string(i) + "]";
      r.check_keys(t, p, {"name", "query", "channels", "max_alerts", "rate_window", "digest"});
      TopicConfig tc;
      tc.line = static_cast<int>(t.source().begin.line);
      if (r.read_string(t, p, "name", tc.name, true) && !valid_name(tc.name)) {
        r.error(t.get("name"), p + ".name",
                "\"" + tc.name + "\" is not a valid name (letters, digits, - _ . only)");
      }
      if (r.read_string(t, p, "query", tc.query, true)) {
        if (auto problem = validate_topic_query(tc.query)) {
          r.error(t.get("query"), p + ".query", *problem);
        }
      }
      r.read_string_list(t, p, "channels", tc.channels);
      r.read_int(t, p, "max_alerts", tc.max_alerts, 1, 100000);
      r.read_duration(t, p, "rate_window", tc.rate_window, milliseconds(1000));
      if (t.get("rate_window") && !t.get("max_alerts")) {
        r.error(t.get("rate_window"), p + ".rate_window",
                "only used with max_alerts, which is not set");
      }
      r.read_duration(t, p, "digest", tc.digest, milliseconds(1000));
      const toml::array* chans = t.get("channels") ? t.get("channels")->as_array() : nullptr;
      for (size_t k = 0; k < tc.channels.size(); ++k) {
        if (!channel_names.count(tc.channels[k])) {
          const toml::node* where = chans && k < chans->size() ? chans->get(k) : t.get("channels");
          r.error(where, p + ".channels[" + std::to_string(k) + "]",
                  "no channel named \"" + tc.channels[k] + "\"");
        }
      }
      if (!tc.name.empty()) {
        if (auto [it, fresh] = topic_names.emplace(tc.name, tc.line); !fresh) {
          r.error(t.get("name"), p + ".name",
                  "duplicate topic name \"" + tc.name + "\" (first defined on line " +
                      std::to_string(it->second) + ")");
        }
      }
      config.topics.push_back(std::move(tc));
    }
  }

  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

ConfigResult load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigResult result;
    result.errors.push_back(
        ConfigError{path, 0, 0, "", "cannot read file: " + std::string(std::strerror(errno))});
    return result;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

}  // namespace newswatch::daemon
