// No alert storms: which pending alerts go out now, alone or together, and which wait for a
// topic's rate limit or digest period or a channel's quiet hours. Pure functions: the daemon's
// delivery worker reads the outbox and the rate state from the store, asks plan_deliveries,
// marks new bundles in the store, sends, and records each message with Store::update_alerts.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alerts/delivery.h"
#include "alerts/quiet_hours.h"
#include "core/time.h"
#include "storage/records.h"

namespace newswatch::alerts {

struct TopicLimits {
  // At most this many messages per channel in any `rate_window`; 0 = no limit. Alerts beyond it
  // wait and go out folded into the next allowed message ("and N more stories").
  int max_alerts = 0;
  std::chrono::seconds rate_window{std::chrono::hours(1)};
  // Collect matches and send one message per channel when the period (aligned to the Unix epoch,
  // so "1h" sends on the hour and "1d" at 00:00 UTC) of the oldest collected one ends; 0 sends
  // each story at once.
  std::chrono::seconds digest{0};
};

struct ThrottlePolicy {
  std::map<std::string, TopicLimits> topics;  // by topic name; absent: no limits
  std::map<std::string, QuietHours> quiet;    // by channel name
};

enum class HoldReason { rate_limit, digest, quiet_hours };
// "rate_limit", "digest", "quiet_hours".
const char* hold_reason_name(HoldReason reason);

struct PlannedMessage {
  MessageKind kind = MessageKind::single;
  std::string topic;
  std::string channel;
  // Oldest first; the first one leads a folded message. Every record carries `bundle` already
  // (new bundles: set here, not yet stored).
  std::vector<storage::OutboxRecord> records;
  std::string bundle;       // empty for single messages; else the message's idempotency key
  bool new_bundle = false;  // formed by this plan: store the records with `bundle` before sending
};

struct HeldAlerts {
  std::string topic;
  std::string channel;
  HoldReason reason = HoldReason::rate_limit;
  std::size_t count = 0;
  std::optional<TimePoint> until;  // when they may go, if known
};

struct DeliveryPlan {
  std::vector<PlannedMessage> messages;  // in the order they should be sent
  std::vector<HeldAlerts> held;
  std::optional<TimePoint> next_wake;  // when a held or backing-off alert becomes due
};

// Sent-message times per (topic, channel) for rate limits.
using RateLookup =
    std::function<storage::AlertRateState(const std::string& topic, const std::string& channel)>;
// Messages per (topic, channel) being sent right now (they count against the rate limit).
using InFlight = std::map<std::pair<std::string, std::string>, int>;

// Decides the messages for `pending` (outbox records not in flight) at `now`. A record already
// in a bundle goes out with exactly that bundle's other records, so a resend after a crash or a
// failure carries the same stories under the same key. Under a rate limit, the last message the
// window allows folds every remaining single alert into one. A message carries at most 500
// stories: a longer digest is split, a longer fold leaves the rest for the next slot.
DeliveryPlan plan_deliveries(std::vector<storage::OutboxRecord> pending,
                             const ThrottlePolicy& policy, const RateLookup& rate,
                             const InFlight& in_flight, TimePoint now);

// Messages sent to a (topic, channel) in the `window` that ends at `now`.
std::size_t sends_in_window(const storage::AlertRateState& state, TimePoint now,
                            std::chrono::seconds window);

// The state after one more message at `now`: older sends than the window dropped, at most
// `limits.max_alerts` kept.
storage::AlertRateState record_send(storage::AlertRateState state, TimePoint now,
                                    const TopicLimits& limits);

// The id of a message carrying `records`: 'd' (digest) or 'f' (folded) and a hash of their keys
// in sorted order, so the same stories always make the same id.
std::string bundle_id(MessageKind kind, const std::vector<storage::OutboxRecord>& records);

// The kind a stored bundle id names.
MessageKind bundle_kind(const std::string& bundle);

// The end of the digest period that `t` falls in.
TimePoint digest_due(TimePoint t, std::chrono::seconds period);

}  // namespace newswatch::alerts
