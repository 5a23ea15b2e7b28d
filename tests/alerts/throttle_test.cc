#include "alerts/throttle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "alerts/email.h"
#include "storage/store.h"
#include "tests/support/sandbox.h"

namespace newswatch::alerts {
namespace {

using namespace std::chrono_literals;
using storage::AlertRateState;
using storage::OutboxRecord;

// 2026-11-20T10:00:00Z
const TimePoint kTen = TimePoint(std::chrono::seconds(1'795'168'800));

OutboxRecord rec(const std::string& topic, const std::string& id, TimePoint created,
                 const std::string& channel = "hook") {
  OutboxRecord r;
  r.topic = topic;
  r.article_id = id;
  r.channel = channel;
  r.created = created;
  r.next_attempt = created;
  return r;
}

RateLookup rates(std::map<std::string, AlertRateState> by_topic) {
  return [by_topic](const std::string& topic, const std::string&) {
    auto it = by_topic.find(topic);
    return it == by_topic.end() ? AlertRateState{} : it->second;
  };
}

// The plan as one string: "kind:id,id|..." for messages, then "held reason=N".
std::string render(const DeliveryPlan& plan) {
  std::string out;
  for (const auto& m : plan.messages) {
    out += m.kind == MessageKind::single   ? "single:"
           : m.kind == MessageKind::digest ? "digest:"
                                           : "folded:";
    for (size_t i = 0; i < m.records.size(); ++i) {
      out += (i ? "," : "") + m.records[i].article_id;
    }
    out += "|";
  }
  for (const auto& h : plan.held) {
    out += std::string(" held ") + hold_reason_name(h.reason) + "=" + std::to_string(h.count);
  }
  return out;
}

ThrottlePolicy limit(int max, std::chrono::seconds window, std::chrono::seconds digest = 0s) {
  ThrottlePolicy p;
  p.topics["korea"] = TopicLimits{max, window, digest};
  return p;
}

TEST(Throttle, NoLimitsSendEachAlertAloneOldestFirst) {
  std::vector<OutboxRecord> pending = {rec("korea", "b", kTen + 2s), rec("korea", "a", kTen + 1s),
                                       rec("other", "c", kTen)};
  const auto plan = plan_deliveries(pending, ThrottlePolicy{}, rates({}), {}, kTen + 10s);
  EXPECT_EQ(render(plan), "single:c|single:a|single:b|");
  EXPECT_FALSE(plan.next_wake);
}

TEST(Throttle, RateLimitFoldsTheRestIntoTheLastAllowedMessage) {
  std::vector<OutboxRecord> pending;
  for (int i = 0; i < 5; ++i)
    pending.push_back(rec("korea", "s" + std::to_string(i), kTen + 1s * i));
  const auto plan = plan_deliveries(pending, limit(3, 1h), rates({}), {}, kTen + 10s);
  EXPECT_EQ(render(plan), "single:s0|single:s1|folded:s2,s3,s4|");
  const auto& fold = plan.messages[2];
  EXPECT_TRUE(fold.new_bundle);
  EXPECT_EQ(fold.bundle[0], 'f');
  for (const auto& r : fold.records) EXPECT_EQ(r.bundle, fold.bundle);
}

TEST(Throttle, FullWindowHoldsUntilTheOldestSendLeavesIt) {
  std::vector<OutboxRecord> pending = {rec("korea", "a", kTen + 30min),
                                       rec("korea", "b", kTen + 31min)};
  AlertRateState state;
  state.sent = {kTen - 2h, kTen + 5min, kTen + 10min};  // the first is outside the window
  auto plan = plan_deliveries(pending, limit(2, 1h), rates({{"korea", state}}), {}, kTen + 40min);
  EXPECT_EQ(render(plan), " held rate_limit=2");
  ASSERT_TRUE(plan.next_wake);
  EXPECT_EQ(*plan.next_wake, kTen + 65min);
  // One slot frees at 11:05: both held alerts go out as one message.
  plan = plan_deliveries(pending, limit(2, 1h), rates({{"korea", state}}), {}, kTen + 65min);
  EXPECT_EQ(render(plan), "folded:a,b|");
  // Messages in flight use the window too.
  InFlight flying{{{"korea", "hook"}, 1}};
  plan = plan_deliveries(pending, limit(2, 1h), rates({{"korea", state}}), flying, kTen + 65min);
  EXPECT_EQ(render(plan), " held rate_limit=2");
}

TEST(Throttle, RecordSendKeepsOnlyTheWindow) {
  TopicLimits limits{3, 1h, 0s};
  AlertRateState s;
  s.sent = {kTen - 3h, kTen - 30min};
  s = record_send(s, kTen, limits);
  ASSERT_EQ(s.sent.size(), 2u);
  EXPECT_EQ(s.sent[0], kTen - 30min);
  EXPECT_EQ(sends_in_window(s, kTen + 29min, 1h), 2u);
  EXPECT_EQ(sends_in_window(s, kTen + 30min, 1h), 1u);
  for (int i = 1; i <= 5; ++i) s = record_send(s, kTen + 1s * i, limits);
  EXPECT_EQ(s.sent.size(), 3u) << "at most max_alerts sends are remembered";
  EXPECT_EQ(s.sent.back(), kTen + 5s);
}

TEST(Throttle, DigestCollectsUntilThePeriodEnds) {
  std::vector<OutboxRecord> pending = {rec("korea", "a", kTen + 5min),
                                       rec("korea", "b", kTen + 20min)};
  auto plan = plan_deliveries(pending, limit(0, 1h, 1h), rates({}), {}, kTen + 30min);
  EXPECT_EQ(render(plan), " held digest=2");
  ASSERT_TRUE(plan.next_wake);
  EXPECT_EQ(*plan.next_wake, kTen + 1h) << "hourly digests go out on the hour";
  plan = plan_deliveries(pending, limit(0, 1h, 1h), rates({}), {}, kTen + 1h);
  EXPECT_EQ(render(plan), "digest:a,b|");
  EXPECT_EQ(plan.messages[0].bundle[0], 'd');
  EXPECT_EQ(bundle_kind(plan.messages[0].bundle), MessageKind::digest);
  // The id depends on the stories, not their order.
  std::vector<OutboxRecord> reversed = {pending[1], pending[0]};
  EXPECT_EQ(bundle_id(MessageKind::digest, reversed), plan.messages[0].bundle);
  EXPECT_NE(bundle_id(MessageKind::digest, {pending[0]}), plan.messages[0].bundle);
}

TEST(Throttle, LongDigestsAndFoldsAreCutAtFiveHundredStories) {
  std::vector<OutboxRecord> pending;
  for (int i = 0; i < 1200; ++i) {
    pending.push_back(rec("korea", "s" + std::to_string(i), kTen + 1s * (i % 3000)));
  }
  auto plan = plan_deliveries(pending, limit(0, 1h, 1h), rates({}), {}, kTen + 2h);
  ASSERT_EQ(plan.messages.size(), 3u);
  EXPECT_EQ(plan.messages[0].records.size(), 500u);
  EXPECT_EQ(plan.messages[2].records.size(), 200u);
  std::set<std::string> bundles;
  for (const auto& m : plan.messages) bundles.insert(m.bundle);
  EXPECT_EQ(bundles.size(), 3u);
  plan = plan_deliveries(pending, limit(1, 1h), rates({}), {}, kTen + 2h);
  ASSERT_EQ(plan.messages.size(), 1u);
  EXPECT_EQ(plan.messages[0].kind, MessageKind::folded);
  EXPECT_EQ(plan.messages[0].records.size(), 500u);
  ASSERT_EQ(plan.held.size(), 1u);
  EXPECT_EQ(plan.held[0].count, 700u);
}

TEST(Throttle, AStoredBundleGoesOutExactlyAsItWas) {
  auto a = rec("korea", "a", kTen), b = rec("korea", "b", kTen + 1s);
  a.bundle = b.bundle = bundle_id(MessageKind::digest, {a, b});
  auto late = rec("korea", "c", kTen + 2h);  // matched after the bundle was formed
  const auto plan = plan_deliveries({late, b, a}, limit(0, 1h, 1h), rates({}), {}, kTen + 2h + 1s);
  EXPECT_EQ(render(plan), "digest:a,b| held digest=1");
  EXPECT_FALSE(plan.messages[0].new_bundle);
  EXPECT_EQ(plan.messages[0].bundle, a.bundle);
}

TEST(Throttle, BackingOffAlertsWaitAndWakeThePlanner) {
  auto a = rec("korea", "a", kTen);
  a.next_attempt = kTen + 5min;
  const auto plan = plan_deliveries({a}, ThrottlePolicy{}, rates({}), {}, kTen + 1min);
  EXPECT_EQ(render(plan), "");
  ASSERT_TRUE(plan.next_wake);
  EXPECT_EQ(*plan.next_wake, kTen + 5min);
}

TEST(QuietHoursTest, ParsesWindows) {
  EXPECT_EQ(parse_quiet_hours("22:00-07:00"), std::make_pair(1320, 420));
  EXPECT_EQ(parse_quiet_hours(" 9:30 - 12:00 "), std::make_pair(570, 720));
  EXPECT_EQ(parse_quiet_hours("23:00-24:00"), std::make_pair(1380, 0));
  EXPECT_FALSE(parse_quiet_hours("22:00"));
  EXPECT_FALSE(parse_quiet_hours("22:00-22:00"));
  EXPECT_FALSE(parse_quiet_hours("25:00-07:00"));
  EXPECT_FALSE(parse_quiet_hours("22:60-07:00"));
  EXPECT_FALSE(parse_quiet_hours("ten-seven"));
}

TEST(QuietHoursTest, HoldsAChannelUntilTheWindowEnds) {
  auto utc = TimeZone::load("UTC");
  if (!utc) GTEST_SKIP() << "no tz database: " << utc.error().message;
  ThrottlePolicy p;
  p.quiet["hook"] = QuietHours{22 * 60, 7 * 60, *utc};
  EXPECT_FALSE(p.quiet["hook"].until(kTen));
  const TimePoint night = kTen + 13h;  // 23:00 UTC
  ASSERT_TRUE(p.quiet["hook"].until(night));
  EXPECT_EQ(*p.quiet["hook"].until(night), kTen + 21h);       // 07:00 the next day
  EXPECT_EQ(*p.quiet["hook"].until(kTen + 18h), kTen + 21h);  // 04:00
  std::vector<OutboxRecord> pending = {rec("korea", "a", night - 1min),
                                       rec("korea", "b", night, "mail")};
  auto plan = plan_deliveries(pending, p, rates({}), {}, night);
  EXPECT_EQ(render(plan), "single:b| held quiet_hours=1");
  EXPECT_EQ(*plan.next_wake, kTen + 21h);
  plan = plan_deliveries(pending, p, rates({}), {}, kTen + 21h);
  EXPECT_EQ(render(plan), "single:a|single:b|");
}

TEST(QuietHoursTest, NamedZonesFollowDaylightSaving) {
  auto berlin = TimeZone::load("Europe/Berlin");
  if (!berlin) GTEST_SKIP() << "no tz database: " << berlin.error().message;
  EXPECT_EQ(berlin->offset(kTen), 1h);                                    // November: CET
  EXPECT_EQ(berlin->offset(*parse_iso8601("2026-07-01T12:00:00Z")), 2h);  // CEST
  QuietHours q{22 * 60, 7 * 60, *berlin};
  // 21:30 UTC is 22:30 in Berlin in November: quiet until 07:00 CET = 06:00 UTC.
  const TimePoint t = *parse_iso8601("2026-11-20T21:30:00Z");
  ASSERT_TRUE(q.until(t));
  EXPECT_EQ(format_iso8601(*q.until(t)), "2026-11-21T06:00:00Z");
  EXPECT_FALSE(q.until(*parse_iso8601("2026-11-20T20:30:00Z")));
  EXPECT_FALSE(TimeZone::load("Mars/Olympus_Mons"));
  EXPECT_FALSE(TimeZone::load("../../etc/passwd"));
}

TEST(BundleMessages, WebhookJsonCarriesEveryStory) {
  std::vector<OutboxRecord> alerts = {rec("korea", "a1", kTen), rec("korea", "a2", kTen + 1s)};
  alerts[1].also_reported_by = {"meduza"};
  std::vector<Article> articles(2);
  for (int i = 0; i < 2; ++i) {
    articles[i].id = alerts[i].article_id;
    articles[i].url = "https://news.example/" + alerts[i].article_id;
    articles[i].title = "Title " + std::to_string(i);
    articles[i].source = "testnews";
  }
  std::vector<AlertItem> items = {{&alerts[0], &articles[0], "über «Nordkorea»"},
                                  {&alerts[1], &articles[1], "second"}};
  const std::string bundle = bundle_id(MessageKind::folded, alerts);
  const auto m = build_bundle_webhook(bundle, MessageKind::folded, items, "k");
  const auto j = nlohmann::json::parse(m.body);
  EXPECT_EQ(j["kind"], "folded");
  EXPECT_EQ(j["count"], 2);
  EXPECT_EQ(j["more"], 1);
  EXPECT_EQ(j["idempotency_key"], bundle);
  ASSERT_EQ(j["articles"].size(), 2u);
  EXPECT_EQ(j["articles"][1]["url"], "https://news.example/a2");
  EXPECT_EQ(j["articles"][1]["also_reported_by"][0], "meduza");
  EXPECT_EQ(j["article"]["title"], "Title 0");
  bool signed_ok = false, keyed = false;
  for (const auto& [k, v] : m.headers) {
    signed_ok |= k == "X-Newswatch-Signature" && v == "sha256=" + hmac_sha256_hex("k", m.body);
    keyed |= k == "X-Newswatch-Idempotency-Key" && v == bundle;
  }
  EXPECT_TRUE(signed_ok);
  EXPECT_TRUE(keyed);
  const auto slack = nlohmann::json::parse(
      build_bundle_webhook(bundle, MessageKind::folded, items, "", WebhookFormat::slack).body);
  const std::string text = slack["text"];
  EXPECT_NE(text.find("and 1 more story:"), std::string::npos) << text;
  EXPECT_NE(text.find("<https://news.example/a2|Title 1> (testnews) (also reported by meduza)"),
            std::string::npos)
      << text;

  const auto mail = build_bundle_email("d1234", MessageKind::digest, items,
                                       "nw <alerts@nw.example>", {"me@example.org"}, kTen);
  EXPECT_EQ(mail.subject, "[korea] digest: 2 stories");
  EXPECT_EQ(mail.message_id, "d1234@nw.example");
  EXPECT_NE(mail.text.find("1. Title 0\n   https://news.example/a1"), std::string::npos)
      << mail.text;
  EXPECT_NE(mail.text.find("also reported by meduza"), std::string::npos);
  EXPECT_NE(mail.html.find("<a href=\"https://news.example/a2\">Title 1</a>"), std::string::npos);
  const std::string mime = build_mime(mail);
  EXPECT_NE(mime.find("multipart/alternative"), std::string::npos);
  EXPECT_NE(mime.find("X-Newswatch-Idempotency-Key: d1234"), std::string::npos);
}

TEST(BundleMessages, ChatDigestsListAtMostFiftyStories) {
  std::vector<OutboxRecord> alerts;
  std::vector<Article> articles(60);
  for (int i = 0; i < 60; ++i) alerts.push_back(rec("korea", "a" + std::to_string(i), kTen));
  std::vector<AlertItem> items;
  for (int i = 0; i < 60; ++i) {
    articles[i].url = "https://news.example/" + std::to_string(i);
    articles[i].title = "T" + std::to_string(i);
    items.push_back({&alerts[i], &articles[i], ""});
  }
  const std::string text = nlohmann::json::parse(
      build_bundle_webhook("d1", MessageKind::digest, items, "", WebhookFormat::slack)
          .body)["text"];
  EXPECT_NE(text.find("digest: 60 stories"), std::string::npos);
  EXPECT_NE(text.find("|T49>"), std::string::npos);
  EXPECT_EQ(text.find("|T50>"), std::string::npos);
  EXPECT_NE(text.find("… 10 more"), std::string::npos) << text;
  // JSON receivers get every story.
  EXPECT_EQ(nlohmann::json::parse(
                build_bundle_webhook("d1", MessageKind::digest, items, "").body)["articles"]
                .size(),
            60u);
}

// The store side: rate memory, bundles and also-reported notes in a real RocksDB directory.
class ThrottleStore : public testing::SandboxTest {
 protected:
  std::unique_ptr<storage::Store> open() {
    storage::StoreOptions so;
    so.path = (sandbox() / "db").string();
    auto store = storage::Store::open(so);
    EXPECT_TRUE(store) << store.error().to_string();
    return store ? std::move(*store) : nullptr;
  }

  // Stores an article with a text of its own and one alert for (korea, hook).
  static std::string put(storage::Store& store, const std::string& slug, TimePoint when,
                         const std::string& source = "testnews") {
    Article a;
    a.url = "https://news.example/" + slug;
    a.source = source;
    a.title = "Story " + slug;
    a.text = "Nordkorea " + slug + " unique words for this story only " + slug + ".";
    a.fetched = when;
    a.topics = {"korea"};
    auto out = store.put_article(a, {rec("korea", "", when)});
    EXPECT_TRUE(out && out->stored);
    return a.id;
  }

  DeliveryPlan plan(storage::Store& store, const ThrottlePolicy& policy, TimePoint now) {
    auto pending = store.pending_alerts(1000);
    EXPECT_TRUE(pending);
    return plan_deliveries(
        *pending, policy,
        [&](const std::string& t, const std::string& c) {
          auto s = store.get_alert_rate(t, c);
          return s && s->has_value() ? **s : AlertRateState{};
        },
        {}, now);
  }

  // What the daemon does when a message was accepted.
  static void delivered(storage::Store& store, PlannedMessage m, const TopicLimits& limits,
                        TimePoint now) {
    for (auto& r : m.records) r.state = storage::DeliveryState::delivered;
    auto state = store.get_alert_rate(m.topic, m.channel);
    ASSERT_TRUE(state);
    storage::AlertRateUpdate rate{m.topic, m.channel,
                                  record_send(state->value_or(AlertRateState{}), now, limits)};
    ASSERT_TRUE(store.update_alerts(m.records, rate).ok());
  }
};

TEST_F(ThrottleStore, RateLimitSurvivesARestart) {
  const auto policy = limit(1, 1h);
  {
    auto store = open();
    put(*store, "one", kTen);
    put(*store, "two", kTen + 1s);
    auto p = plan(*store, policy, kTen + 2s);
    ASSERT_EQ(render(p), "folded:" + p.messages[0].records[0].article_id + "," +
                             p.messages[0].records[1].article_id + "|");
    delivered(*store, p.messages[0], policy.topics.at("korea"), kTen + 2s);
    put(*store, "three", kTen + 3s);
  }
  auto store = open();
  auto p = plan(*store, policy, kTen + 10min);
  EXPECT_EQ(render(p), " held rate_limit=1") << "the window's one message was sent before";
  EXPECT_EQ(*p.next_wake, kTen + 2s + 1h);
  p = plan(*store, policy, kTen + 2s + 1h);
  EXPECT_EQ(p.messages.size(), 1u);
}

TEST_F(ThrottleStore, ABundleIsResentWholeAfterACrash) {
  const auto policy = limit(0, 1h, 1h);
  std::string bundle;
  {
    auto store = open();
    put(*store, "one", kTen + 1min);
    put(*store, "two", kTen + 2min);
    auto p = plan(*store, policy, kTen + 1h);
    ASSERT_EQ(p.messages.size(), 1u);
    ASSERT_TRUE(p.messages[0].new_bundle);
    bundle = p.messages[0].bundle;
    // The daemon stores the composition, sends ... and crashes before recording the answer.
    ASSERT_TRUE(store->update_alerts(p.messages[0].records).ok());
  }
  auto store = open();
  put(*store, "three", kTen + 1h + 1min);  // matched after the crash
  auto p = plan(*store, policy, kTen + 2h);
  ASSERT_EQ(p.messages.size(), 2u) << render(p);
  EXPECT_EQ(p.messages[0].bundle, bundle);
  EXPECT_FALSE(p.messages[0].new_bundle);
  EXPECT_EQ(p.messages[0].records.size(), 2u);
  EXPECT_EQ(p.messages[1].records.size(), 1u);
  EXPECT_NE(p.messages[1].bundle, bundle);
  // Once recorded as delivered, no story of the bundle is sent again.
  delivered(*store, p.messages[0], policy.topics.at("korea"), kTen + 2h);
  p = plan(*store, policy, kTen + 3h);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].records.size(), 1u);
  auto log = store->alert_log(100);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->size(), 2u);
  for (const auto& r : *log) EXPECT_EQ(r.bundle, bundle);
}

TEST_F(ThrottleStore, AlsoReportedSurvivesAnInFlightCopy) {
  auto store = open();
  const std::string id = put(*store, "one", kTen);
  auto pending = store->pending_alerts(10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  OutboxRecord in_flight = pending->front();  // the delivery worker's copy
  auto n = store->note_also_reported({in_flight.key()}, "meduza");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  n = store->note_also_reported({in_flight.key()}, "meduza");
  EXPECT_EQ(*n, 0u) << "a source is noted once";
  in_flight.state = storage::DeliveryState::delivered;
  ASSERT_TRUE(store->update_alerts({in_flight}).ok());
  auto log = store->alert_log(10);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ(log->front().article_id, id);
  EXPECT_EQ(log->front().also_reported_by, std::vector<std::string>{"meduza"});
  // Delivered alerts still learn later sources.
  EXPECT_EQ(*store->note_also_reported({in_flight.key()}, "bbc"), 1u);
  EXPECT_EQ(store->alert_log(10)->front().also_reported_by.size(), 2u);
}

TEST_F(ThrottleStore, DeadAlertsCanBeRequeued) {
  auto store = open();
  put(*store, "one", kTen);
  put(*store, "two", kTen + 1s);
  auto pending = *store->pending_alerts(10);
  for (auto& r : pending) {
    r.state = storage::DeliveryState::dead;
    r.attempts = 8;
    r.bundle = "fdeadbeef";
  }
  ASSERT_TRUE(store->update_alerts(pending).ok());
  EXPECT_TRUE(store->pending_alerts(10)->empty());
  const std::string key = pending[0].idempotency_key();
  auto moved = store->requeue_dead(
      [&](const OutboxRecord& r) { return r.idempotency_key() == key; }, kTen + 1h);
  ASSERT_TRUE(moved);
  EXPECT_EQ(*moved, 1u);
  auto again = *store->pending_alerts(10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].idempotency_key(), key);
  EXPECT_EQ(again[0].attempts, 0u);
  EXPECT_EQ(again[0].next_attempt, kTen + 1h);
  EXPECT_TRUE(again[0].bundle.empty());
  EXPECT_EQ(store->alert_log(10)->size(), 1u);
}

}  // namespace
}  // namespace newswatch::alerts
