#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/time.h"
#include "daemon/cli_args.h"
#include "daemon/commands.h"
#include "parsers/feed_parser.h"

namespace newswatch::daemon {

namespace {

nlohmann::ordered_json date_json(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return format_iso8601(*t);
}

nlohmann::ordered_json feed_json(const Feed& feed) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["title"] = feed.title;
  out["link"] = feed.link;
  out["kind"] = feed_kind_name(feed.kind);
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const FeedEntry& e : feed.entries) {
    entries.push_back({{"id", e.id},
                       {"link", e.link},
                       {"title", e.title},
                       {"published", date_json(e.published)},
                       {"updated", date_json(e.updated)},
                       {"summary", e.summary},
                       {"content", e.content},
                       {"author", e.author}});
  }
  out["entries"] = std::move(entries);
  if (feed.kind == FeedKind::sitemap && !feed.child_sitemaps.empty()) {
    out["sitemaps"] = feed.child_sitemaps;
  }
  return out;
}

}  // namespace

int cmd_parse_feed(const Args& args) {
  CliSpec spec;
  spec.value_options = {"--url", "--content-type"};
  spec.flags = {"--help"};
  const Result<CliArgs> parsed = parse_cli_args(args, spec);
  if (!parsed) {
    std::fprintf(stderr, "newswatch parse-feed: %s\n", parsed.error().message.c_str());
    return kExitUsage;
  }
  if (parsed->has("--help")) {
    std::printf("usage: newswatch parse-feed [--url URL] [--content-type TYPE] [FILE|-]\n");
    return kExitOk;
  }
  if (parsed->positional.size() > 1) {
    std::fprintf(stderr, "newswatch parse-feed: expected at most one FILE\n");
    return kExitUsage;
  }
  const std::string file = parsed->positional.empty() ? "-" : parsed->positional[0];
  const std::string shown = input_name(file);
  const auto input = read_input(file);
  if (!input) {
    std::fprintf(stderr, "newswatch parse-feed: %s: %s\n", shown.c_str(),
                 input.error().message.c_str());
    return kExitFailure;
  }
  const std::string& bytes = *input;
  parsers::FeedParseOptions options;
  options.url = parsed->get("--url").value_or("");
  options.content_type = parsed->get("--content-type").value_or("");
  const Result<Feed> feed = parsers::parse_feed(bytes, options);
  if (!feed) {
    std::fprintf(stderr, "newswatch parse-feed: %s: %s\n", shown.c_str(),
                 feed.error().to_string().c_str());
    return kExitFailure;
  }
  // The parser emits UTF-8 only, so dumping cannot throw on invalid sequences.
  const std::string out =
      feed_json(*feed).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fputc('\n', stdout);
  return kExitOk;
}

}  // namespace newswatch::daemon
