// `newswatch topics`: per configured topic, how many stored stories matched (all time, last 24 h,
// last 7 days), when the last one arrived, and how its alerts fared.
#include <cstdio>
#include <map>

#include "daemon/cli_store.h"
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
  std::printf("%-20s %8s %6s %6s  %-17s %9s %7s %5s\n", "TOPIC", "STORIES", "24H", "7D",
              "LAST MATCH", "DELIVERED", "PENDING", "DEAD");
  for (const auto& [name, c] : topics) {
    const std::string last = c.last ? format_iso8601(*c.last).substr(0, 16) : "-";
    std::printf("%-20s %8llu %6llu %6llu  %-17s %9llu %7llu %5llu%s\n", name.c_str(),
                static_cast<unsigned long long>(c.total), static_cast<unsigned long long>(c.day),
                static_cast<unsigned long long>(c.week), last.c_str(),
                static_cast<unsigned long long>(c.delivered),
                static_cast<unsigned long long>(c.pending), static_cast<unsigned long long>(c.dead),
                c.configured ? "" : "  (no longer configured)");
  }
  return kExitOk;
}

}  // namespace newswatch::daemon
