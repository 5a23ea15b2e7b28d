// `newswatch match`: which stored articles a topic query would have matched, with the matched
// words highlighted, so that users can tune queries before an alert fires on the wrong story.
#include <unistd.h>

#include <cstdio>

#include "alerts/query.h"
#include "daemon/cli_store.h"
#include "daemon/commands.h"
#include "daemon/topic_query.h"

namespace newswatch::daemon {
namespace {

constexpr std::size_t k_page = 500;

TimePoint article_time(const Article& a) { return a.published ? *a.published : a.fetched; }

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
  const bool tty = isatty(STDOUT_FILENO);
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
      std::string snippet = hit.snippet;
      if (tty) {  // bold instead of guillemets on a terminal
        for (auto [from, to] :
             {std::pair<std::string, std::string>{"«", "\x1b[1m"}, {"»", "\x1b[0m"}}) {
          for (auto at = snippet.find(from); at != std::string::npos; at = snippet.find(from, at)) {
            snippet.replace(at, from.size(), to);
            at += to.size();
          }
        }
      }
      std::string terms;
      for (const auto& t : hit.terms) terms += (terms.empty() ? "" : ", ") + t;
      std::printf("%s  %s  %-12s  [%s] %s\n    terms: %s\n    %s\n\n", a.id.c_str(),
                  format_iso8601(article_time(a)).substr(0, 16).c_str(), a.source.c_str(),
                  hit.topic.c_str(), a.title.c_str(), terms.c_str(), snippet.c_str());
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
  if (!json) {
    std::fprintf(stderr, "%zu match%s in %zu article%s\n", shown, shown == 1 ? "" : "es", scanned,
                 scanned == 1 ? "" : "s");
  }
  return kExitOk;
}

}  // namespace newswatch::daemon
