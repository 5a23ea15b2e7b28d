#include "fetchers/poll_schedule.h"

#include <algorithm>

namespace newswatch::fetchers {

PollDecision next_poll(const PollPolicy& policy, milliseconds current, PollResult result,
                       std::size_t new_items, std::uint32_t consecutive_errors,
                       std::optional<std::chrono::seconds> retry_after, std::mt19937_64& rng) {
  const milliseconds lo = std::min(policy.min_interval, policy.max_interval);
  const milliseconds hi = std::max(policy.min_interval, policy.max_interval);
  milliseconds interval = current.count() > 0 ? current : policy.interval;
  interval = std::clamp(interval, lo, hi);
  milliseconds delay = interval;
  switch (result) {
    case PollResult::new_items: {
      // Halve per burst; a feed that delivered many new items at once likely publishes often.
      const double factor = new_items >= 10 ? 0.25 : new_items >= 3 ? 0.4 : 0.5;
      interval = std::clamp(
          milliseconds(static_cast<std::int64_t>(static_cast<double>(interval.count()) * factor)),
          lo, hi);
      delay = interval;
      break;
    }
    case PollResult::no_new_items:
    case PollResult::not_modified:
      interval = std::clamp(milliseconds(interval.count() + interval.count() / 2), lo, hi);
      delay = interval;
      break;
    case PollResult::error:
    case PollResult::throttled: {
      const std::uint32_t n = std::clamp<std::uint32_t>(consecutive_errors, 1, 30);
      const auto base = policy.interval.count() > 0 ? policy.interval : interval;
      std::int64_t d = base.count();
      for (std::uint32_t i = 1; i < n && d < policy.max_backoff.count(); ++i) d *= 2;
      delay = std::min(milliseconds(d), policy.max_backoff);
      if (retry_after) delay = std::max<milliseconds>(delay, *retry_after);
      break;
    }
  }
  if (policy.jitter > 0) {
    std::uniform_real_distribution<double> spread(1.0 - policy.jitter, 1.0 + policy.jitter);
    delay =
        milliseconds(static_cast<std::int64_t>(static_cast<double>(delay.count()) * spread(rng)));
    // Jitter must not undercut an explicit Retry-After.
    if (retry_after) delay = std::max<milliseconds>(delay, *retry_after);
  }
  return PollDecision{interval, std::max(delay, milliseconds(1))};
}

}  // namespace newswatch::fetchers
