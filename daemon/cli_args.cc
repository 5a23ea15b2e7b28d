#include "daemon/cli_args.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "daemon/cli_table.h"

namespace newswatch::daemon {

std::optional<std::string> CliArgs::get(const std::string& option) const {
  const auto it = values.find(option);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

Result<CliArgs> parse_cli_args(const std::vector<std::string>& args, const CliSpec& spec) {
  CliArgs out;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positional || arg.size() < 2 || arg[0] != '-') {
      out.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> value;
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (spec.flags.count(name)) {
      if (value) return make_error(ErrorCode::invalid_argument, name + " takes no value");
      out.flags.insert(name);
      continue;
    }
    if (!spec.value_options.count(name) && name != "--color") {
      return make_error(ErrorCode::invalid_argument, "unknown option " + name);
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return make_error(ErrorCode::invalid_argument, name + " needs a value");
      }
      value = args[++i];
    }
    auto& slot = out.values[name];
    if (!slot.empty() && !spec.repeatable.count(name)) {
      return make_error(ErrorCode::invalid_argument, name + " given more than once");
    }
    slot.push_back(*value);
  }
  if (auto color = out.get("--color"); color && !parse_color_mode(*color)) {
    return make_error(ErrorCode::invalid_argument,
                      "--color takes auto, always or never, not '" + *color + "'");
  }
  return out;
}

Result<std::string> read_input(const std::string& file) {
  std::string bytes;
  if (file == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (in) bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in.is_open() || in.bad()) return make_error(ErrorCode::io_error, "cannot read file");
  return bytes;
}

std::string input_name(const std::string& file) { return file == "-" ? "<stdin>" : file; }

}  // namespace newswatch::daemon
