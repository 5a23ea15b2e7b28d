// What the commands that read the store share: finding the config, opening the store read-only
// (beside a running daemon), and the JSON form of an article.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/article.h"
#include "daemon/cli_args.h"
#include "daemon/config.h"
#include "storage/store.h"

namespace newswatch::daemon {

// An ISO 8601 string, or null.
nlohmann::json time_json(const std::optional<TimePoint>& t);
// The article as printed by list/show --json; `with_text` adds the body and the rarer fields.
nlohmann::json article_json(const Article& a, bool with_text);
// One line of JSON; invalid UTF-8 is replaced rather than thrown on.
std::string dump(const nlohmann::json& j);

// Finds the config: --config, then $NEWSWATCH_CONFIG, then /etc/newswatch/newswatch.toml.
std::string config_path(const CliArgs& args);

// Loads the config (printing every error; exit_code = 2) or returns it.
std::optional<Config> load_cli_config(const CliArgs& args, int& exit_code);

// The database directory: --db, else storage.path of the config (config_path()); nullopt after
// printing the config's errors.
std::optional<std::string> database_path(const CliArgs& args);

// Opens the store of `config` read-only; prints the error and sets exit_code = 1 on failure.
std::unique_ptr<storage::Store> open_store(const char* command, const Config& config,
                                           int& exit_code);
// Both of the above.
std::unique_ptr<storage::Store> open_store(const char* command, const CliArgs& args,
                                           int& exit_code);

}  // namespace newswatch::daemon
