#include "daemon/cli_store.h"

#include <cstdio>
#include <cstdlib>

#include "daemon/commands.h"

namespace newswatch::daemon {

nlohmann::json time_json(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(format_iso8601(*t)) : nlohmann::json(nullptr);
}

nlohmann::json article_json(const Article& a, bool with_text) {
  nlohmann::json j;
  j["id"] = a.id;
  j["url"] = a.url;
  j["canonical_url"] = a.canonical_url;
  j["title"] = a.title;
  j["published"] = time_json(a.published);
  j["fetched"] = format_iso8601(a.fetched);
  j["source"] = a.source;
  j["language"] = a.language;
  j["byline"] = a.byline;
  j["topics"] = a.topics;
  if (with_text) {
    j["modified"] = time_json(a.modified);
    j["site_name"] = a.site_name;
    j["image"] = a.image;
    j["summary"] = a.summary;
    j["duplicate_urls"] = a.duplicate_urls;
    j["text"] = a.text;
  }
  return j;
}

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string config_path(const CliArgs& args) {
  if (auto p = args.get("--config")) return *p;
  if (const char* env = std::getenv("NEWSWATCH_CONFIG"); env && *env) return env;
  return "/etc/newswatch/newswatch.toml";
}

std::optional<Config> load_cli_config(const CliArgs& args, int& exit_code) {
  ConfigResult loaded = load_config(config_path(args));
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    exit_code = kExitUsage;
    return std::nullopt;
  }
  return std::move(*loaded.config);
}

std::optional<std::string> database_path(const CliArgs& args) {
  if (auto db = args.get("--db")) return *db;
  int exit_code = 0;
  auto config = load_cli_config(args, exit_code);
  if (!config) return std::nullopt;
  return config->storage.path;
}

std::unique_ptr<storage::Store> open_store(const char* command, const CliArgs& args,
                                           int& exit_code) {
  auto config = load_cli_config(args, exit_code);
  if (!config) return nullptr;
  return open_store(command, *config, exit_code);
}

std::unique_ptr<storage::Store> open_store(const char* command, const Config& config,
                                           int& exit_code) {
  storage::StoreOptions so;
  so.path = config.storage.path;
  so.access = storage::StoreOptions::Access::read_only;
  so.block_cache_bytes = 8u << 20;
  auto store = storage::Store::open(so);
  if (!store) {
    std::fprintf(stderr, "newswatch %s: %s\n", command, store.error().message.c_str());
    exit_code = kExitFailure;
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace newswatch::daemon
