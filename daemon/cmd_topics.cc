// `newswatch topics`: per configured topic, how many stored stories matched (all time, last 24 h,
// last 7 days), when the last one arrived, and how its alerts fared.
#include <cstdio>
#include <map>

#include "daemon/cli_store.h"
#include "daemon/cli_table.h"
#include "daemon/commands.h"

namespace newswatch::daemon {
namespace {

struct TopicCounts {
  std::uint64_t total = 0, day = 0, week = 0;
  std::optional<TimePoint> last;
  std::uint64_t delivered = 0, pending = 0, dead = 0;
  bool configured = false;
};

}  // namespace

int cmd_topics(const Args& raw) {
  auto args = parse_cli_args(raw, CliSpec{{"--config"}, {"--json"}, {}});
  if (!args) {
    std::fprintf(stderr, "newswatch topics: %s\n", args.error().message.c_str());
    return kExitUsage;
  }
  int code = kExitOk;
  auto config = load_cli_config(*args, code);
  if (!config) return code;
  auto store = open_store("topics", *config, code);
  if (!store) return code;

  std::map<std::string, TopicCounts> topics;
  for (const auto& t : config->topics) topics[t.name].configured = true;
  const TimePoint now = SystemClock::instance().now();
  constexpr std::size_t k_page = 1000;
  for (std::size_t offset = 0;; offset += k_page) {
    auto page = store->list_articles(k_page, offset);
    if (!page) {
      std::fprintf(stderr, "newswatch topics: %s\n", page.error().to_string().c_str());
      return kExitFailure;
    }
    for (const auto& a : *page) {
      for (const auto& t : a.topics) {
        TopicCounts& c = topics[t];
        ++c.total;
        c.day += a.fetched >= now - std::chrono::hours(24);
        c.week += a.fetched >= now - std::chrono::hours(24 * 7);
        if (!c.last || a.fetched > *c.last) c.last = a.fetched;
      }
    }
    if (page->size() < k_page) break;
  }
  for (auto list : {store->alert_log(10'000'000), store->pending_alerts(10'000'000)}) {
    if (!list) continue;
    for (const auto& r : *list) {
      TopicCounts& c = topics[r.topic];
      if (r.state == storage::DeliveryState::delivered) {
        ++c.delivered;
      } else if (r.state == storage::DeliveryState::dead) {
        ++c.dead;
      } else {
        ++c.pending;
      }
    }
  }

  if (args->has("--json")) {
    for (const auto& [name, c] : topics) {
      nlohmann::json j = {{"topic", name},
                          {"configured", c.configured},
                          {"stories", c.total},
                          {"last_24h", c.day},
                          {"last_7d", c.week},
                          {"last_match", time_json(c.last)},
                          {"alerts_delivered", c.delivered},
                          {"alerts_pending", c.pending},
                          {"alerts_dead", c.dead}};
      std::printf("%s\n", dump(j).c_str());
    }
    return kExitOk;
  }
  Table table({{"TOPIC", Align::left, true},
               {"STORIES", Align::right},
               {"24H", Align::right},
               {"7D", Align::right},
               {"LAST MATCH"},
               {"DELIVERED", Align::right},
               {"PENDING", Align::right},
               {"DEAD", Align::right},
               {""}});
  for (const auto& [name, c] : topics) {
    const std::string last = c.last ? format_iso8601(*c.last).substr(0, 16) : "-";
    table.add_row({{name, Style::bold},
                   {std::to_string(c.total)},
                   {std::to_string(c.day)},
                   {std::to_string(c.week)},
                   {last, Style::dim},
                   {std::to_string(c.delivered), c.delivered > 0 ? Style::good : Style::plain},
                   {std::to_string(c.pending), c.pending > 0 ? Style::warn : Style::plain},
                   {std::to_string(c.dead), c.dead > 0 ? Style::bad : Style::plain},
                   {c.configured ? "" : "(no longer configured)", Style::dim}});
  }
  std::fputs(table.render(table_output(*args)).c_str(), stdout);
  return kExitOk;
}

}  // namespace newswatch::daemon
