#include "alerts/throttle.h"

#include <algorithm>

namespace newswatch::alerts {
namespace {

// Most stories in one digest or folded message (an email of about 1 MB).
constexpr std::size_t kMaxBundleStories = 500;

// Alerts going out as one message: an existing bundle, a new digest, or one alert.
struct Unit {
  std::vector<storage::OutboxRecord> records;
  std::string bundle;  // existing bundle id, or empty
  MessageKind kind = MessageKind::single;
};

void wake_at(DeliveryPlan& plan, TimePoint t) {
  if (!plan.next_wake || t < *plan.next_wake) plan.next_wake = t;
}

void hold(DeliveryPlan& plan, const std::string& topic, const std::string& channel,
          HoldReason reason, std::size_t count, std::optional<TimePoint> until) {
  if (count == 0) return;
  for (auto& h : plan.held) {
    if (h.topic == topic && h.channel == channel && h.reason == reason) {
      h.count += count;
      return;
    }
  }
  plan.held.push_back(HeldAlerts{topic, channel, reason, count, until});
  if (until) wake_at(plan, *until);
}

PlannedMessage emit(const std::string& topic, const std::string& channel, Unit unit) {
  PlannedMessage m;
  m.topic = topic;
  m.channel = channel;
  m.kind = unit.kind;
  if (unit.kind != MessageKind::single && unit.bundle.empty()) {
    unit.bundle = bundle_id(unit.kind, unit.records);
    m.new_bundle = true;
    for (auto& r : unit.records) r.bundle = unit.bundle;
  }
  m.bundle = unit.bundle;
  m.records = std::move(unit.records);
  return m;
}

void plan_group(DeliveryPlan& plan, const std::string& topic, const std::string& channel,
                std::vector<storage::OutboxRecord> records, const ThrottlePolicy& policy,
                const RateLookup& rate, const InFlight& in_flight, TimePoint now) {
  const auto limits_it = policy.topics.find(topic);
  const TopicLimits limits = limits_it == policy.topics.end() ? TopicLimits{} : limits_it->second;

  std::vector<storage::OutboxRecord> due;
  for (auto& r : records) {
    if (r.next_attempt > now) {
      wake_at(plan, r.next_attempt);  // backing off after a failure
    } else {
      due.push_back(std::move(r));
    }
  }
  if (due.empty()) return;

  if (const auto q = policy.quiet.find(channel); q != policy.quiet.end()) {
    if (const auto until = q->second.until(now)) {
      hold(plan, topic, channel, HoldReason::quiet_hours, due.size(), until);
      return;
    }
  }

  // Existing bundles first (they were promised to go out as they are), oldest first.
  std::vector<Unit> units;
  std::map<std::string, std::size_t> bundle_unit;
  std::vector<storage::OutboxRecord> loose;
  for (auto& r : due) {
    if (r.bundle.empty()) {
      loose.push_back(std::move(r));
      continue;
    }
    auto [it, fresh] = bundle_unit.emplace(r.bundle, units.size());
    if (fresh) units.push_back(Unit{{}, r.bundle, bundle_kind(r.bundle)});
    units[it->second].records.push_back(std::move(r));
  }
  const auto by_created = [](const storage::OutboxRecord& a, const storage::OutboxRecord& b) {
    return a.created < b.created;
  };
  for (auto& u : units) std::stable_sort(u.records.begin(), u.records.end(), by_created);
  std::stable_sort(units.begin(), units.end(), [](const Unit& a, const Unit& b) {
    return a.records.front().created < b.records.front().created;
  });
  std::stable_sort(loose.begin(), loose.end(), by_created);

  if (limits.digest.count() > 0 && !loose.empty()) {
    const TimePoint due_at = digest_due(loose.front().created, limits.digest);
    if (now < due_at) {
      hold(plan, topic, channel, HoldReason::digest, loose.size(), due_at);
      loose.clear();
    } else {
      // Oversized mails are refused by SMTP servers: a long digest becomes several messages.
      for (std::size_t k = 0; k < loose.size(); k += kMaxBundleStories) {
        Unit digest{{}, "", MessageKind::digest};
        const std::size_t end = std::min(loose.size(), k + kMaxBundleStories);
        for (std::size_t j = k; j < end; ++j) digest.records.push_back(std::move(loose[j]));
        units.push_back(std::move(digest));
      }
      loose.clear();
    }
  }
  for (auto& r : loose) units.push_back(Unit{{std::move(r)}, "", MessageKind::single});
  if (units.empty()) return;

  std::size_t budget = units.size();
  std::optional<TimePoint> slot_frees;
  if (limits.max_alerts > 0) {
    const storage::AlertRateState state = rate(topic, channel);
    const std::size_t used = sends_in_window(state, now, limits.rate_window);
    const auto flying = in_flight.find({topic, channel});
    const std::size_t busy = used + (flying == in_flight.end() ? 0 : flying->second);
    const auto max = static_cast<std::size_t>(limits.max_alerts);
    budget = busy >= max ? 0 : max - busy;
    // The oldest send in the window leaves it first.
    for (const auto& t : state.sent) {
      if (t + limits.rate_window > now) {
        slot_frees = t + limits.rate_window;
        break;
      }
    }
  }
  if (units.size() <= budget) {
    for (auto& u : units) plan.messages.push_back(emit(topic, channel, std::move(u)));
    return;
  }
  std::size_t i = 0;
  for (; budget > 1 && i < units.size(); --budget, ++i) {
    plan.messages.push_back(emit(topic, channel, std::move(units[i])));
  }
  std::size_t held = 0;
  if (budget == 1 && i < units.size()) {
    // The last slot: every remaining single alert folded into one message, else the next bundle.
    Unit fold{{}, "", MessageKind::folded};
    for (std::size_t k = i; k < units.size(); ++k) {
      if (units[k].kind == MessageKind::single && fold.records.size() < kMaxBundleStories) {
        fold.records.push_back(std::move(units[k].records.front()));
        units[k].records.clear();
      }
    }
    if (fold.records.size() == 1) {
      fold.kind = MessageKind::single;
    }
    if (!fold.records.empty()) {
      plan.messages.push_back(emit(topic, channel, std::move(fold)));
    } else {
      plan.messages.push_back(emit(topic, channel, std::move(units[i])));
      units[i].records.clear();
    }
  }
  for (std::size_t k = i; k < units.size(); ++k) held += units[k].records.size();
  hold(plan, topic, channel, HoldReason::rate_limit, held, slot_frees);
}

}  // namespace

const char* hold_reason_name(HoldReason reason) {
  switch (reason) {
    case HoldReason::rate_limit: return "rate_limit";
    case HoldReason::digest: return "digest";
    case HoldReason::quiet_hours: return "quiet_hours";
  }
  return "rate_limit";
}

DeliveryPlan plan_deliveries(std::vector<storage::OutboxRecord> pending,
                             const ThrottlePolicy& policy, const RateLookup& rate,
                             const InFlight& in_flight, TimePoint now) {
  std::map<std::pair<std::string, std::string>, std::vector<storage::OutboxRecord>> groups;
  for (auto& r : pending) groups[{r.topic, r.channel}].push_back(std::move(r));
  DeliveryPlan plan;
  for (auto& [key, records] : groups) {
    plan_group(plan, key.first, key.second, std::move(records), policy, rate, in_flight, now);
  }
  // Oldest lead first across groups, so no topic starves another.
  std::stable_sort(plan.messages.begin(), plan.messages.end(),
                   [](const PlannedMessage& a, const PlannedMessage& b) {
                     return a.records.front().created < b.records.front().created;
                   });
  return plan;
}

std::size_t sends_in_window(const storage::AlertRateState& state, TimePoint now,
                            std::chrono::seconds window) {
  return static_cast<std::size_t>(std::count_if(state.sent.begin(), state.sent.end(),
                                                [&](TimePoint t) { return t + window > now; }));
}

storage::AlertRateState record_send(storage::AlertRateState state, TimePoint now,
                                    const TopicLimits& limits) {
  std::erase_if(state.sent, [&](TimePoint t) { return t + limits.rate_window <= now; });
  state.sent.push_back(now);
  std::sort(state.sent.begin(), state.sent.end());
  const auto keep = static_cast<std::size_t>(std::max(limits.max_alerts, 1));
  if (state.sent.size() > keep) {
    state.sent.erase(state.sent.begin(),
                     state.sent.begin() + static_cast<std::ptrdiff_t>(state.sent.size() - keep));
  }
  return state;
}

std::string bundle_id(MessageKind kind, const std::vector<storage::OutboxRecord>& records) {
  std::vector<std::string> keys;
  keys.reserve(records.size());
  for (const auto& r : records) keys.push_back(r.key());
  std::sort(keys.begin(), keys.end());
  std::string all;
  for (const auto& k : keys) all += k + '\n';
  return std::string(kind == MessageKind::digest ? "d" : "f") +
         storage::hex64(storage::stable_hash64(all));
}

MessageKind bundle_kind(const std::string& bundle) {
  return !bundle.empty() && bundle.front() == 'd' ? MessageKind::digest : MessageKind::folded;
}

TimePoint digest_due(TimePoint t, std::chrono::seconds period) {
  const std::int64_t p = std::max<std::int64_t>(period.count(), 1);
  const std::int64_t s = t.time_since_epoch().count();
  const std::int64_t start = s - ((s % p) + p) % p;
  return TimePoint(std::chrono::seconds(start + p));
}

}  // namespace newswatch::alerts
