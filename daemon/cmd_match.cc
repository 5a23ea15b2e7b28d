// `newswatch match`: which stored articles a topic query would have matched, with the matched
// words highlighted, so that users can tune queries before an alert fires on the wrong story.
#include <cstdio>

#include "alerts/query.h"
#include "daemon/cli_store.h"
#include "daemon/cli_table.h"
#include "daemon/commands.h"
#include "daemon/topic_query.h"

namespace newswatch::daemon {
namespace {

constexpr std::size_t k_page = 500;

TimePoint article_time(const Article& a) { return a.published ? *a.published : a.fetched; }

// The matcher marks matched words «like this»; with colour they are highlighted instead.
std::string guillemets_to_colour(const std::string& snippet, bool color) {
  if (!color) return snippet;
  static constexpr std::string_view k_open = "«", k_close = "»";
  Cell cell{"", Style::plain, {}};
  std::size_t at = 0;
  while (at < snippet.size()) {
    const auto b = snippet.find(k_open, at);
    const auto e = b == std::string::npos ? b : snippet.find(k_close, b + k_open.size());
    if (e == std::string::npos) break;
    cell.text.append(snippet, at, b - at);
    const std::size_t mark = cell.text.size();
    cell.text.append(snippet, b + k_open.size(), e - b - k_open.size());
    cell.marks.emplace_back(mark, cell.text.size());
    at = e + k_close.size();
  }
  cell.text.append(snippet, at, std::string::npos);
  return render_cell(cell, display_width(cell.text), Align::left, false, true);
}

}  // namespace

int cmd_match(const Args& raw) {
  auto args = parse_cli_args(
      raw, CliSpec{{"--config", "--topic", "--query", "--since", "--limit"}, {"--json"}, {}});
  if (!args) {
    std::fprintf(stderr, "newswatch match: %s\n", args.error().message.c_str());
    return kExitUsage;
  }
  if (args->positional.size() > 1) {
    std::fprintf(stderr, "newswatch match: at most one article ID\n");
    return kExitUsage;
  }
  if (!args->positional.empty() && args->get("--since")) {
    std::fprintf(stderr, "newswatch match: give an article ID or --since, not both\n");
    return kExitUsage;
  }
  if (args->get("--topic") && args->get("--query")) {
    std::fprintf(stderr, "newswatch match: give --topic or --query, not both\n");
    return kExitUsage;
  }
  const std::string since_text = args->get("--since").value_or("7d");
  const auto since = parse_duration(since_text);
  if (!since) {
    std::fprintf(
        stderr,
        "newswatch match: --since: expected a duration like \"7d\" or \"12h\", got \"%s\"\n",
        since_text.c_str());
    return kExitUsage;
  }
  std::size_t limit = 100;
  if (auto l = args->get("--limit")) {
    try {
      limit = std::stoul(*l);
    } catch (const std::exception&) {
      std::fprintf(stderr, "newswatch match: --limit takes a number\n");
      return kExitUsage;
    }
  }

  int code = kExitOk;
  auto config = load_cli_config(*args, code);
  if (!config) return code;
  std::vector<TopicConfig> topics;
  if (auto query = args->get("--query")) {
    if (auto problem = validate_topic_query(*query)) {
      std::fprintf(stderr, "newswatch match: --query: %s\n", problem->c_str());
      return kExitUsage;
    }
    topics.push_back({"query", *query, {}, 0});
  } else if (auto name = args->get("--topic")) {
    for (const auto& t : config->topics) {
      if (t.name == *name) topics.push_back(t);
    }
    if (topics.empty()) {
      std::fprintf(stderr, "newswatch match: no topic named \"%s\" in %s\n", name->c_str(),
                   config->file.c_str());
      return kExitUsage;
    }
  } else {
    topics = config->topics;
  }
  const TopicMatcher matcher(topics, config->matching);
  auto store = open_store("match", *config, code);
  if (!store) return code;

  const bool json = args->has("--json");
  const TableOutput out = table_output(*args);
  Table headlines({{"ID"},
                   {"DATE"},
                   {"SOURCE", Align::left, true},
                   {"TOPIC", Align::left, true},
                   {"TITLE", Align::left, true}});
  struct Detail {
    std::string terms, snippet;
  };
  std::vector<Detail> details;
  std::size_t shown = 0, scanned = 0;
  auto report = [&](const Article& a) {
    ++scanned;
    for (const auto& hit : matcher.match(a)) {
      if (shown >= limit) return;
      ++shown;
      if (json) {
        nlohmann::json j = article_json(a, false);
        j["topic"] = hit.topic;
        j["terms"] = hit.terms;
        j["snippet"] = hit.snippet;
        std::printf("%s\n", dump(j).c_str());
        continue;
      }
      std::string terms;
      for (const auto& t : hit.terms) terms += (terms.empty() ? "" : ", ") + t;
      headlines.add_row({{a.id},
                         {format_iso8601(article_time(a)).substr(0, 16), Style::dim},
                         {a.source},
                         {"[" + hit.topic + "]"},
                         {a.title, Style::bold}});
      details.push_back({terms, hit.snippet});
    }
  };
  if (!args->positional.empty()) {
    auto article = store->get_article(args->positional[0]);
    if (!article) {
      std::fprintf(stderr, "newswatch match: %s\n", article.error().to_string().c_str());
      return kExitFailure;
    }
    if (!article->has_value()) {
      std::fprintf(stderr, "newswatch match: no article with id %s\n", args->positional[0].c_str());
      return kExitFailure;
    }
    report(**article);
  } else {
    const TimePoint cutoff =
        SystemClock::instance().now() - std::chrono::duration_cast<std::chrono::seconds>(*since);
    bool done = false;
    for (std::size_t offset = 0; !done && shown < limit; offset += k_page) {
      auto page = store->list_articles(k_page, offset);
      if (!page) {
        std::fprintf(stderr, "newswatch match: %s\n", page.error().to_string().c_str());
        return kExitFailure;
      }
      for (const auto& a : *page) {
        if (a.fetched < cutoff) {  // the list is in order of arrival, newest first
          done = true;
          break;
        }
        report(a);
      }
      if (page->size() < k_page) done = true;
    }
  }
  if (!json && !details.empty()) {
    const auto lines = headlines.render_lines(out);  // lines[0] is the header
    for (std::size_t i = 0; i < details.size(); ++i) {
      std::printf("%s\n    terms: %s\n    %s\n\n", lines[i + 1].c_str(), details[i].terms.c_str(),
                  guillemets_to_colour(details[i].snippet, out.color).c_str());
    }
  }
  if (!json) {
    std::fprintf(stderr, "%zu match%s in %zu article%s\n", shown, shown == 1 ? "" : "es", scanned,
                 scanned == 1 ? "" : "s");
  }
  return kExitOk;
}

}  // namespace newswatch::daemon
