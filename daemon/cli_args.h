// A small, strict command-line reader shared by every `newswatch <command>`: long options with
// values (`--config FILE` or `--config=FILE`), flags, and positional arguments.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"

namespace newswatch::daemon {

struct CliSpec {
  std::set<std::string> value_options;  // e.g. "--config"
  std::set<std::string> flags;          // e.g. "--json"
  std::set<std::string> repeatable;     // value options that may be given more than once
};

struct CliArgs {
  std::map<std::string, std::vector<std::string>> values;
  std::set<std::string> flags;
  std::vector<std::string> positional;

  bool has(const std::string& flag) const { return flags.count(flag) > 0; }
  std::optional<std::string> get(const std::string& option) const;
};

// Reads `args` (without the program and command names) against `spec`. Error naming the option
// for unknown options, missing values and repeated single-valued options. "-" is positional.
// Every command takes --color=auto|always|never (daemon/cli_table.h); other values are an error.
Result<CliArgs> parse_cli_args(const std::vector<std::string>& args, const CliSpec& spec);

// The bytes of FILE, or of standard input for "-"; the error says "cannot read file". Commands
// print it after input_name(FILE), which is "<stdin>" for "-".
Result<std::string> read_input(const std::string& file);
std::string input_name(const std::string& file);

}  // namespace newswatch::daemon
