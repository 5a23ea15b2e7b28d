// `newswatch opml import FILE` and `newswatch opml export`: moving a subscription list between
// newswatch and feed readers (Miniflux, FreshRSS, Feedly, Inoreader, NetNewsWire all speak OPML).
// Import prints [[sources]] blocks to append to the config (a config is never rewritten behind
// the operator's back: comments and order stay theirs); export prints the configured sources.
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/url.h"
#include "daemon/cli_args.h"
#include "daemon/cli_store.h"
#include "daemon/commands.h"
#include "daemon/config.h"
#include "parsers/opml.h"

namespace newswatch::daemon {
namespace {

constexpr const char* kUsage =
    "usage: newswatch opml import [--config FILE] [--interval 5m] [--json] FILE|-\n"
    "       newswatch opml export [--config FILE]\n";

// A TOML basic string.
std::string toml_quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A source name from the feed's title ("Tagesschau - Ausland" -> "tagesschau-ausland"), else its
// host ("www.tass.ru" -> "tass.ru") when the title has too few ASCII letters to name it.
std::string source_name(const parsers::OpmlFeed& f) {
  std::string slug;
  for (const char c : f.title) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 0x80) {
      slug += static_cast<char>(std::tolower(u));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.size() > 40) slug.resize(40);
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  std::size_t alnum = 0;
  for (const char c : slug) alnum += std::isalpha(static_cast<unsigned char>(c)) ? 1 : 0;
  if (alnum >= 3) return slug;
  const auto url = parse_url(f.xml_url);
  std::string host;
  for (const char c : url ? url->host : std::string()) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') host += c;
  }
  if (host.rfind("www.", 0) == 0) host.erase(0, 4);
  return host.empty() ? "feed" : host;
}

int import_opml(const CliArgs& args) {
  if (args.positional.size() != 2) {
    std::fprintf(stderr, "newswatch opml import: exactly one FILE (or - for stdin) is required\n");
    return kExitUsage;
  }
  const std::string file = args.positional[1];
  const std::string shown = input_name(file);
  const auto bytes = read_input(file);
  if (!bytes) {
    std::fprintf(stderr, "newswatch opml import: %s: %s\n", shown.c_str(),
                 bytes.error().message.c_str());
    return kExitFailure;
  }
  auto list = parsers::parse_opml(*bytes);
  if (!list) {
    std::fprintf(stderr, "newswatch opml import: %s: %s\n", shown.c_str(),
                 list.error().message.c_str());
    return kExitUsage;
  }
  for (const auto& s : list->skipped) {
    std::fprintf(stderr, "newswatch opml import: %s: %s (skipped)\n", shown.c_str(), s.c_str());
  }
  const std::string interval = args.get("--interval").value_or("5m");
  const auto parsed_interval = parse_duration(interval);
  if (!parsed_interval || *parsed_interval < std::chrono::seconds(1)) {
    std::fprintf(stderr, "newswatch opml import: --interval: expected a duration like \"5m\"\n");
    return kExitUsage;
  }

  // Sources already configured are left out, by URL and by name; only an explicit --config is
  // required to exist (importing before any config is written is fine).
  std::set<std::string> names, urls;
  const bool explicit_config = args.get("--config").has_value();
  const std::string path = config_path(args);
  if (explicit_config || std::ifstream(path).good()) {
    int exit_code = kExitOk;
    const auto config = load_cli_config(args, exit_code);
    if (!config) return exit_code;
    for (const auto& s : config->sources) {
      names.insert(s.name);
      urls.insert(s.url);
    }
  }
  std::size_t added = 0, already = 0;
  std::string toml;
  for (const auto& f : list->feeds) {
    if (urls.count(f.xml_url)) {
      ++already;
      continue;
    }
    std::string name = source_name(f);
    const std::string base = name;
    for (int n = 2; names.count(name); ++n) name = base + "-" + std::to_string(n);
    names.insert(name);
    urls.insert(f.xml_url);
    ++added;
    if (args.has("--json")) {
      nlohmann::json j = {{"name", name},
                          {"url", f.xml_url},
                          {"title", f.title},
                          {"site", f.html_url},
                          {"category", f.category}};
      std::printf("%s\n", dump(j).c_str());
      continue;
    }
    toml += "\n";
    if (!f.title.empty() || !f.category.empty()) {
      std::string comment = f.category.empty() ? f.title : f.category + ": " + f.title;
      for (char& c : comment) {
        if (c == '\n' || c == '\r') c = ' ';
      }
      toml += "# " + comment + "\n";
    }
    toml += "[[sources]]\nname = " + toml_quote(name) + "\nurl = " + toml_quote(f.xml_url) +
            "\nkind = \"feed\"\ninterval = " + toml_quote(interval) + "\n";
  }
  if (!args.has("--json")) {
    std::printf("# %zu feeds from %s%s%s\n%s", added, shown.c_str(),
                list->title.empty() ? "" : ": ", list->title.c_str(), toml.c_str());
  }
  std::fprintf(stderr,
               "newswatch opml import: %zu new sources, %zu already configured, %zu skipped\n",
               added, already, list->skipped.size());
  return added + already > 0 ? kExitOk : kExitFailure;
}

int export_opml(const CliArgs& args) {
  int exit_code = kExitOk;
  const auto config = load_cli_config(args, exit_code);
  if (!config) return exit_code;
  std::vector<parsers::OpmlFeed> feeds;
  for (const auto& s : config->sources) feeds.push_back({s.name, s.url, "", ""});
  std::fputs(parsers::write_opml("newswatch sources", feeds).c_str(), stdout);
  return kExitOk;
}

}  // namespace

int cmd_opml(const Args& raw) {
  const auto args = parse_cli_args(raw, CliSpec{{"--config", "--interval"}, {"--json"}, {}});
  if (!args) {
    std::fprintf(stderr, "newswatch opml: %s\n%s", args.error().message.c_str(), kUsage);
    return kExitUsage;
  }
  const std::string verb = args->positional.empty() ? "" : args->positional[0];
  if (verb == "import") return import_opml(*args);
  if (verb == "export" && args->positional.size() == 1) return export_opml(*args);
  std::fprintf(stderr, "newswatch opml: expected 'import FILE' or 'export'\n%s", kUsage);
  return kExitUsage;
}

}  // namespace newswatch::daemon
