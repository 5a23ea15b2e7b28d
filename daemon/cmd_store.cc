// check-config, list and show: the commands that read the config and the store.
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "daemon/cli_args.h"
#include "daemon/cli_store.h"
#include "daemon/cli_table.h"
#include "daemon/commands.h"
#include "daemon/config.h"
#include "daemon/retry_requests.h"
#include "storage/store.h"

namespace newswatch::daemon {
namespace {}  // namespace

int cmd_check_config(const Args& raw) {
  auto args = parse_cli_args(raw, CliSpec{{"--config"}, {"--quiet"}, {}});
  if (!args) {
    std::fprintf(stderr, "newswatch check-config: %s\n", args.error().message.c_str());
    return kExitUsage;
  }
  const std::string path = config_path(*args);
  ConfigResult loaded = load_config(path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    std::fprintf(stderr, "newswatch check-config: %zu error%s in %s\n", loaded.errors.size(),
                 loaded.errors.size() == 1 ? "" : "s", path.c_str());
    return kExitUsage;
  }
  if (auto exposed = world_readable_secrets(*loaded.config)) {
    std::string keys;
    for (const auto& k : exposed->keys) keys += (keys.empty() ? "" : ", ") + k;
    std::fprintf(stderr,
                 "newswatch check-config: warning: %s holds secrets (%s) and every local user can "
                 "read it (mode %04o); chmod o-r it\n",
                 path.c_str(), keys.c_str(), exposed->mode);
  }
  if (!args->has("--quiet")) {
    const Config& c = *loaded.config;
    std::printf("%s: ok (%zu sources, %zu topics, %zu channels; database %s)\n", path.c_str(),
                c.sources.size(), c.topics.size(), c.channels.size(), c.storage.path.c_str());
  }
  return kExitOk;
}

int cmd_list(const Args& raw) {
  auto args = parse_cli_args(raw, CliSpec{{"--config", "--limit", "--offset"}, {"--json"}, {}});
  if (!args) {
    std::fprintf(stderr, "newswatch list: %s\n", args.error().message.c_str());
    return kExitUsage;
  }
  std::size_t limit = 50, offset = 0;
  try {
    if (auto l = args->get("--limit")) limit = std::stoul(*l);
    if (auto o = args->get("--offset")) offset = std::stoul(*o);
  } catch (const std::exception&) {
    std::fprintf(stderr, "newswatch list: --limit and --offset take a number\n");
    return kExitUsage;
  }
  int code = kExitOk;
  auto store = open_store("list", *args, code);
  if (!store) return code;
  auto articles = store->list_articles(limit, offset);
  if (!articles) {
    std::fprintf(stderr, "newswatch list: %s\n", articles.error().to_string().c_str());
    return kExitFailure;
  }
  if (args->has("--json")) {
    for (const auto& a : *articles) std::printf("%s\n", dump(article_json(a, false)).c_str());
    return kExitOk;
  }
  Table table({{"ID"}, {"PUBLISHED"}, {"SOURCE", Align::left, true}, {"TITLE", Align::left, true}});
  for (const auto& a : *articles) {
    const std::string when = a.published ? format_iso8601(*a.published).substr(0, 16) : "-";
    table.add_row({{a.id}, {when, Style::dim}, {a.source}, {a.title, Style::bold}});
  }
  if (!table.empty()) std::fputs(table.render(table_output(*args)).c_str(), stdout);
  return kExitOk;
}

int cmd_show(const Args& raw) {
  auto args = parse_cli_args(raw, CliSpec{{"--config"}, {"--json"}, {}});
  if (!args) {
    std::fprintf(stderr, "newswatch show: %s\n", args.error().message.c_str());
    return kExitUsage;
  }
  if (args->positional.size() != 1) {
    std::fprintf(stderr, "newswatch show: exactly one article ID is required\n");
    return kExitUsage;
  }
  int code = kExitOk;
  auto store = open_store("show", *args, code);
  if (!store) return code;
  const std::string& id = args->positional[0];
  auto article = store->get_article(id);
  if (!article) {
    std::fprintf(stderr, "newswatch show: %s\n", article.error().to_string().c_str());
    return kExitFailure;
  }
  if (!article->has_value()) {
    std::fprintf(stderr, "newswatch show: no article with id %s\n", id.c_str());
    return kExitFailure;
  }
  const Article& a = **article;
  // The alerts this story caused: delivered, dead-lettered and still pending.
  std::vector<storage::OutboxRecord> alerts;
  for (auto list : {store->alert_log(1'000'000), store->pending_alerts(1'000'000)}) {
    if (!list) continue;
    for (auto& r : *list) {
      if (r.article_id == a.id) alerts.push_back(std::move(r));
    }
  }
  const auto state_name = [](storage::DeliveryState s) {
    return s == storage::DeliveryState::delivered ? "delivered"
           : s == storage::DeliveryState::dead    ? "dead"
                                                  : "pending";
  };
  if (args->has("--json")) {
    nlohmann::json j = article_json(a, true);
    j["alerts"] = nlohmann::json::array();
    for (const auto& r : alerts) {
      j["alerts"].push_back({{"topic", r.topic},
                             {"channel", r.channel},
                             {"state", state_name(r.state)},
                             {"attempts", r.attempts},
                             {"idempotency_key", r.idempotency_key()},
                             {"bundle", r.bundle},
                             {"also_reported_by", r.also_reported_by}});
    }
    std::printf("%s\n", dump(j).c_str());
    return kExitOk;
  }
  std::printf("%s\n\n", a.title.c_str());
  std::printf("id:        %s\nurl:       %s\nsource:    %s\n", a.id.c_str(), a.url.c_str(),
              a.source.c_str());
  if (a.published) std::printf("published: %s\n", format_iso8601(*a.published).c_str());
  if (!a.byline.empty()) std::printf("byline:    %s\n", a.byline.c_str());
  if (!a.language.empty()) std::printf("language:  %s\n", a.language.c_str());
  if (!a.topics.empty()) {
    std::string topics;
    for (const auto& t : a.topics) topics += (topics.empty() ? "" : ", ") + t;
    std::printf("topics:    %s\n", topics.c_str());
  }
  for (const auto& u : a.duplicate_urls) std::printf("also at:   %s\n", u.c_str());
  for (const auto& r : alerts) {
    std::printf("alert:     %s -> %s: %s", r.topic.c_str(), r.channel.c_str(), state_name(r.state));
    if (r.state == storage::DeliveryState::delivered) {
      std::printf(" %s", format_iso8601(r.delivered_at).c_str());
    } else if (!r.last_error.empty()) {
      std::printf(" (%u attempts, %s)", r.attempts, r.last_error.c_str());
    }
    if (!r.also_reported_by.empty()) {
      std::string also;
      for (const auto& src : r.also_reported_by) also += (also.empty() ? "" : ", ") + src;
      std::printf("; also reported by %s", also.c_str());
    }
    std::printf("\n");
  }
  std::printf("\n%s\n", a.text.c_str());
  return kExitOk;
}

namespace {

std::string age(std::optional<TimePoint> t, TimePoint now) {
  if (!t || t->time_since_epoch().count() == 0) return "never";
  const auto d = now - *t;
  const bool future = d.count() < 0;
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(future ? -d : d);
  const auto text = format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::seconds(s.count() >= 3600 ? s.count() / 60 * 60 : s.count())));
  return future ? "in " + text : text + " ago";
}

}  // namespace

int cmd_sources(const Args& raw) {
  auto args = parse_cli_args(raw, CliSpec{{"--config"}, {"--json"}, {}});
  if (!args) {
    std::fprintf(stderr, "newswatch sources: %s\n", args.error().message.c_str());
    return kExitUsage;
  }
  int code = kExitOk;
  const auto config = load_cli_config(*args, code);
  if (!config) return code;
  auto store = open_store("sources", *config, code);
  if (!store) return code;
  const TimePoint now = SystemClock::instance().now();
  Table table({{"NAME", Align::left, true},
               {"STATUS"},
               {"LAST SUCCESS"},
               {"NEXT POLL"},
               {"INTERVAL"},
               {"ITEMS", Align::right},
               {"ITEMS/DAY", Align::right},
               {"304 %", Align::right},
               {"LATENCY", Align::right},
               {"ERRORS", Align::right},
               {"LAST ERROR", Align::left, true}});
  for (const auto& src : config->sources) {
    auto state = store->get_source_state(src.name);
    if (!state) {
      std::fprintf(stderr, "newswatch sources: %s: %s\n", src.name.c_str(),
                   state.error().to_string().c_str());
      return kExitFailure;
    }
    const storage::SourceState st = state->value_or(storage::SourceState{});
    const bool never = !state->has_value() || st.polls == 0;
    const std::string status = never ? "new" : st.consecutive_errors > 0 ? "failing" : "ok";
    const auto interval =
        std::chrono::milliseconds(st.interval_ms > 0 ? st.interval_ms : src.interval.count());
    // Items per day since the first poll (at least an hour of history, so a new source does not
    // extrapolate its first feed into thousands a day); the share of polls answered 304.
    double per_day = -1;  // -1: unknown
    if (st.first_poll != TimePoint{} && now > st.first_poll) {
      const double days =
          std::max(1.0 / 24, std::chrono::duration<double>(now - st.first_poll).count() / 86400);
      per_day = static_cast<double>(st.items_seen) / days;
    }
    const double share_304 =
        st.polls > 0 ? 100.0 * static_cast<double>(st.not_modified) / static_cast<double>(st.polls)
                     : -1;
    const auto fixed = [](double v, int digits) {
      if (v < 0) return std::string("-");
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.*f", digits, v);
      return std::string(buf);
    };
    if (args->has("--json")) {
      nlohmann::json j;
      j["name"] = src.name;
      j["url"] = src.url;
      j["status"] = status;
      j["last_success"] = st.last_success.time_since_epoch().count()
                              ? nlohmann::json(format_iso8601(st.last_success))
                              : nlohmann::json(nullptr);
      j["next_poll"] =
          never ? nlohmann::json(nullptr) : nlohmann::json(format_iso8601(st.next_due));
      j["interval_seconds"] = interval.count() / 1000;
      j["items_seen"] = st.items_seen;
      j["polls"] = st.polls;
      j["first_poll"] = st.first_poll == TimePoint{}
                            ? nlohmann::json(nullptr)
                            : nlohmann::json(format_iso8601(st.first_poll));
      j["items_per_day"] = per_day < 0 ? nlohmann::json(nullptr) : nlohmann::json(per_day);
      j["not_modified"] = st.not_modified;
      j["failures"] = st.failures;
      j["bytes"] = st.bytes;
      j["latency_ms"] = st.latency_ms;
      j["last_latency_ms"] = st.last_latency_ms;
      j["consecutive_errors"] = st.consecutive_errors;
      j["last_error"] = st.last_error;
      std::printf("%s\n", dump(j).c_str());
      continue;
    }
    const Style status_style = never                       ? Style::warn
                               : st.consecutive_errors > 0 ? Style::bad
                                                           : Style::good;
    table.add_row({{src.name},
                   {status, status_style},
                   {age(st.last_success, now), Style::dim},
                   {never ? "-" : age(st.next_due, now), Style::dim},
                   {format_duration(interval)},
                   {std::to_string(st.items_seen)},
                   {fixed(per_day, 1)},
                   {fixed(share_304, 0)},
                   {never ? "-" : std::to_string(st.latency_ms) + " ms"},
                   {std::to_string(st.consecutive_errors),
                    st.consecutive_errors > 0 ? Style::bad : Style::plain},
                   {st.last_error, Style::bad}});
  }
  if (!args->has("--json")) std::fputs(table.render(table_output(*args)).c_str(), stdout);
  return kExitOk;
}

int cmd_stats(const Args& raw) {
  auto args = parse_cli_args(raw, CliSpec{{"--config"}, {"--json"}, {}});
  if (!args) {
    std::fprintf(stderr, "newswatch stats: %s\n", args.error().message.c_str());
    return kExitUsage;
  }
  int code = kExitOk;
  auto store = open_store("stats", *args, code);
  if (!store) return code;
  auto st = store->stats();
  if (!st) {
    std::fprintf(stderr, "newswatch stats: %s\n", st.error().to_string().c_str());
    return kExitFailure;
  }
  nlohmann::json j;
  j["articles"] = st->articles;
  j["urls"] = st->urls;
  j["purged_urls"] = st->purged_urls;
  j["purged_texts"] = st->purged_texts;
  j["pending_alerts"] = st->pending_alerts;
  j["sources"] = st->sources;
  j["disk_bytes"] = st->disk_bytes;
  j["oldest"] = time_json(st->oldest);
  j["newest"] = time_json(st->newest);
  if (args->has("--json")) {
    std::printf("%s\n", dump(j).c_str());
    return kExitOk;
  }
  Table table({{""}, {""}});
  const auto count = [](std::uint64_t n) { return std::to_string(n); };
  table.add_row({{"articles:"}, {count(st->articles), Style::bold}});
  table.add_row({{"known URLs:"}, {count(st->urls)}});
  if (st->purged_urls > 0) {
    table.add_row({{"  of purged stories:"}, {count(st->purged_urls), Style::dim}});
  }
  if (st->purged_texts > 0) {
    table.add_row({{"purged texts remembered:"}, {count(st->purged_texts), Style::dim}});
  }
  table.add_row({{"pending alerts:"},
                 {count(st->pending_alerts), st->pending_alerts > 0 ? Style::warn : Style::plain}});
  table.add_row({{"sources:"}, {count(st->sources)}});
  char disk[32];
  std::snprintf(disk, sizeof disk, "%.1f MiB",
                static_cast<double>(st->disk_bytes) / (1024.0 * 1024.0));
  table.add_row({{"disk:"}, {disk}});
  if (st->oldest) table.add_row({{"oldest fetched:"}, {format_iso8601(*st->oldest), Style::dim}});
  if (st->newest) table.add_row({{"newest fetched:"}, {format_iso8601(*st->newest), Style::dim}});
  std::fputs(table.render(table_output(*args)).c_str(), stdout);
  return kExitOk;
}

namespace {

// --retry / --all-dead: requeue dead-lettered alerts, directly when the daemon is stopped, else
// through a request file that the running daemon takes.
int retry_alerts(const CliArgs& args) {
  int code = kExitOk;
  auto config = load_cli_config(args, code);
  if (!config) return code;
  RetryRequest request;
  request.all_dead = args.has("--all-dead");
  if (auto ids = args.values.find("--retry"); ids != args.values.end()) request.ids = ids->second;
  // Which dead alerts match, read beside a possibly running daemon.
  std::size_t matching = 0;
  {
    auto store = open_store("alerts", *config, code);
    if (!store) return code;
    auto log = store->alert_log(10'000'000);
    if (!log) {
      std::fprintf(stderr, "newswatch alerts: %s\n", log.error().to_string().c_str());
      return kExitFailure;
    }
    for (const auto& r : *log) {
      matching += r.state == storage::DeliveryState::dead && request.selects(r);
    }
  }
  if (matching == 0) {
    std::fprintf(stderr, "newswatch alerts: no dead-lettered alert matches %s\n",
                 request.text().c_str());
    return kExitFailure;
  }
  storage::StoreOptions so;
  so.path = config->storage.path;
  so.block_cache_bytes = 8u << 20;
  so.near_duplicate_threshold = 0;  // no near-duplicate index needed to move alerts
  auto store = storage::Store::open(so);
  if (!store) {
    // The running daemon holds the database's lock: hand the request over.
    if (store.error().message.find("lock") == std::string::npos &&
        store.error().message.find("LOCK") == std::string::npos) {
      std::fprintf(stderr, "newswatch alerts: %s\n", store.error().message.c_str());
      return kExitFailure;
    }
    if (auto st = write_retry_request(config->storage.path, request); !st.ok()) {
      std::fprintf(stderr, "newswatch alerts: %s\n", st.to_string().c_str());
      return kExitFailure;
    }
    std::printf("requested: the running daemon requeues %zu dead alert%s within seconds\n",
                matching, matching == 1 ? "" : "s");
    return kExitOk;
  }
  auto moved =
      (*store)->requeue_dead([&](const storage::OutboxRecord& r) { return request.selects(r); },
                             SystemClock::instance().now());
  if (!moved) {
    std::fprintf(stderr, "newswatch alerts: %s\n", moved.error().to_string().c_str());
    return kExitFailure;
  }
  std::printf("requeued %zu dead alert%s; the daemon delivers them when it runs\n", *moved,
              *moved == 1 ? "" : "s");
  return kExitOk;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

int cmd_alerts(const Args& raw) {
  auto args =
      parse_cli_args(raw, CliSpec{{"--config", "--limit", "--retry"},
                                  {"--json", "--pending", "--dead", "--delivered", "--all-dead"},
                                  {"--retry"}});
  if (!args) {
    std::fprintf(stderr, "newswatch alerts: %s\n", args.error().message.c_str());
    return kExitUsage;
  }
  if (args->has("--all-dead") || args->get("--retry")) {
    if (args->has("--all-dead") && args->get("--retry")) {
      std::fprintf(stderr, "newswatch alerts: --retry and --all-dead exclude each other\n");
      return kExitUsage;
    }
    return retry_alerts(*args);
  }
  int code = kExitOk;
  auto store = open_store("alerts", *args, code);
  if (!store) return code;
  const bool any_filter = args->has("--pending") || args->has("--dead") || args->has("--delivered");
  std::vector<storage::OutboxRecord> records;
  if (!any_filter || args->has("--pending")) {
    auto pending = store->pending_alerts(100000);
    if (!pending) {
      std::fprintf(stderr, "newswatch alerts: %s\n", pending.error().to_string().c_str());
      return kExitFailure;
    }
    records.insert(records.end(), pending->begin(), pending->end());
  }
  if (!any_filter || args->has("--dead") || args->has("--delivered")) {
    auto log = store->alert_log(100000);
    if (!log) {
      std::fprintf(stderr, "newswatch alerts: %s\n", log.error().to_string().c_str());
      return kExitFailure;
    }
    for (auto& r : *log) {
      const bool dead = r.state == storage::DeliveryState::dead;
      if (!any_filter || (dead && args->has("--dead")) || (!dead && args->has("--delivered"))) {
        records.push_back(std::move(r));
      }
    }
  }
  const auto state_name = [](storage::DeliveryState s) {
    return s == storage::DeliveryState::pending ? "pending"
           : s == storage::DeliveryState::dead  ? "dead"
                                                : "delivered";
  };
  const bool json = args->has("--json");
  Table table({{"STATE"},
               {"TOPIC", Align::left, true},
               {"ARTICLE"},
               {"CHANNEL", Align::left, true},
               {"ATTEMPTS", Align::right},
               {"CREATED"},
               {"KEY"},
               {"DETAIL", Align::left, true}});
  for (const auto& r : records) {
    if (json) {
      nlohmann::json j;
      j["topic"] = r.topic;
      j["article"] = r.article_id;
      j["channel"] = r.channel;
      j["state"] = state_name(r.state);
      j["attempts"] = r.attempts;
      j["created"] = format_iso8601(r.created);
      j["idempotency_key"] = r.idempotency_key();
      j["last_error"] = r.last_error;
      j["bundle"] = r.bundle;
      j["also_reported_by"] = r.also_reported_by;
      std::printf("%s\n", dump(j).c_str());
      continue;
    }
    std::string extra = r.last_error;
    if (!r.bundle.empty()) extra += (extra.empty() ? "" : " ") + std::string("bundle=") + r.bundle;
    if (!r.also_reported_by.empty()) {
      extra += (extra.empty() ? "" : " ") + std::string("also reported by ") +
               joined(r.also_reported_by);
    }
    const Style state_style = r.state == storage::DeliveryState::delivered ? Style::good
                              : r.state == storage::DeliveryState::dead    ? Style::bad
                                                                           : Style::warn;
    table.add_row({{state_name(r.state), state_style},
                   {r.topic},
                   {r.article_id},
                   {r.channel},
                   {std::to_string(r.attempts)},
                   {format_iso8601(r.created).substr(0, 16), Style::dim},
                   {r.idempotency_key(), Style::dim},
                   {extra}});
  }
  if (!json && !table.empty()) std::fputs(table.render(table_output(*args)).c_str(), stdout);
  return kExitOk;
}

}  // namespace newswatch::daemon
