// search: ranked full-text search over the stored articles, read from the live database as a
// RocksDB secondary (storage/search.h).
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "daemon/cli_args.h"
#include "daemon/cli_store.h"
#include "daemon/cli_table.h"
#include "daemon/commands.h"
#include "daemon/config.h"
#include "storage/store.h"

namespace newswatch::daemon {

int cmd_search(const Args& raw);

namespace {

constexpr const char* kName = "newswatch search";

// --since/--until: a duration back from now ("7d", "12h") or an ISO 8601 date or time.
std::optional<TimePoint> parse_when(const std::string& text, TimePoint now) {
  if (auto d = parse_duration(text)) {
    return now - std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
  return parse_iso8601(text);
}

nlohmann::json marks_json(const std::vector<storage::Highlight>& marks) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [b, e] : marks) j.push_back({b, e});
  return j;
}

}  // namespace

int cmd_search(const Args& raw) {
  auto args = parse_cli_args(raw, CliSpec{{"--config", "--db", "--source", "--topic", "--lang",
                                           "--since", "--until", "--limit"},
                                          {"--json"},
                                          {}});
  if (!args) {
    std::fprintf(stderr, "%s: %s\n", kName, args.error().message.c_str());
    return kExitUsage;
  }
  if (args->positional.empty()) {
    std::fprintf(stderr,
                 "%s: a query is required, e.g. 'Sanktionen Russland' or '\"Kim Jong Un\"'\n",
                 kName);
    return kExitUsage;
  }
  storage::SearchQuery query;
  for (const auto& p : args->positional) query.text += (query.text.empty() ? "" : " ") + p;
  query.source = args->get("--source").value_or("");
  query.topic = args->get("--topic").value_or("");
  query.language = args->get("--lang").value_or("");
  const TimePoint now = SystemClock::instance().now();
  for (const char* opt : {"--since", "--until"}) {
    const auto value = args->get(opt);
    if (!value) continue;
    auto when = parse_when(*value, now);
    if (!when) {
      std::fprintf(stderr, "%s: %s takes a duration (7d, 12h) or a date (2026-11-01)\n", kName,
                   opt);
      return kExitUsage;
    }
    (std::string_view(opt) == "--since" ? query.since : query.until) = *when;
  }
  if (auto l = args->get("--limit")) {
    try {
      query.limit = std::stoul(*l);
    } catch (const std::exception&) {
      std::fprintf(stderr, "%s: --limit takes a number\n", kName);
      return kExitUsage;
    }
  }

  const auto path = database_path(*args);
  if (!path) return kExitUsage;
  storage::StoreOptions so;
  so.path = *path;
  so.access = storage::StoreOptions::Access::read_only;
  so.block_cache_bytes = 16u << 20;
  auto store = storage::Store::open(so);
  if (!store) {
    std::fprintf(stderr, "%s: %s\n", kName, store.error().message.c_str());
    return kExitFailure;
  }
  auto hits = (*store)->search(query);
  if (!hits) {
    std::fprintf(stderr, "%s: %s\n", kName, hits.error().message.c_str());
    return hits.error().code == ErrorCode::invalid_argument ? kExitUsage : kExitFailure;
  }
  const bool json = args->has("--json");
  const TableOutput out = table_output(*args);
  Table headlines({{"ID"}, {"DATE"}, {"SOURCE", Align::left, true}, {"TITLE", Align::left, true}});
  for (const auto& h : *hits) {
    if (json) {
      nlohmann::json j;
      j["id"] = h.id;
      j["score"] = h.score;
      j["title"] = h.title;
      j["url"] = h.url;
      j["source"] = h.source;
      j["language"] = h.language;
      j["published"] = h.published ? nlohmann::json(format_iso8601(*h.published)) : nullptr;
      j["fetched"] = format_iso8601(h.fetched);
      j["snippet"] = h.snippet;
      j["title_highlights"] = marks_json(h.title_highlights);
      j["snippet_highlights"] = marks_json(h.snippet_highlights);
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      continue;
    }
    const std::string when = format_iso8601(h.published.value_or(h.fetched)).substr(0, 10);
    headlines.add_row(
        {{h.id},
         {when, Style::dim},
         {h.source},
         {h.title, Style::bold, Marks(h.title_highlights.begin(), h.title_highlights.end())}});
  }
  if (!json && !hits->empty()) {
    // Each hit: its headline row (columns aligned across hits), the URL, the snippet.
    const auto lines = headlines.render_lines(out);
    // The header line comes first; headline i is lines[i + 1].
    for (std::size_t i = 0; i < hits->size(); ++i) {
      const auto& h = (*hits)[i];
      const Cell snippet{h.snippet, Style::plain,
                         Marks(h.snippet_highlights.begin(), h.snippet_highlights.end())};
      std::printf(
          "%s\n    %s\n    %s\n\n", lines[i + 1].c_str(),
          paint(h.url, Style::dim, out.color).c_str(),
          render_cell(snippet, display_width(h.snippet), Align::left, false, out.color).c_str());
    }
  }
  if (!json && hits->empty()) std::fprintf(stderr, "%s: no matches\n", kName);
  return kExitOk;
}

}  // namespace newswatch::daemon
