// When to poll a source next: an adaptive interval that shortens while a source publishes and
// lengthens while it is quiet, bounded per source, with jitter so sources never poll in lockstep,
// and exponential backoff on errors that never gives up on a source. Pure: time and chance are
// passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace newswatch::fetchers {

using std::chrono::milliseconds;

struct PollPolicy {
  milliseconds interval{300'000};                    // configured starting point
  milliseconds min_interval{100'000};                // never poll faster than this
  milliseconds max_interval{1'800'000};              // a quiet source is still polled this often
  milliseconds max_backoff{std::chrono::hours(24)};  // a failing source, at most this rarely
  double jitter = 0.1;                               // +- fraction applied to every delay
};

enum class PollResult { new_items, no_new_items, not_modified, error, throttled };

struct PollDecision {
  milliseconds interval;  // the adapted interval to remember (unchanged on errors)
  milliseconds delay;     // time until the next poll, jittered
};

// Decides the next poll. `current` is the remembered adapted interval (0 = none yet);
// `consecutive_errors` counts this failure too when `result` is error/throttled.
// Quiet polls grow the interval by 1.5x, polls with new items shrink it by 0.5x (more with many
// items), within [min_interval, max_interval]. Errors back off as interval * 2^(errors-1), capped
// at max_backoff; `retry_after` (429/503) is honoured as a lower bound.
PollDecision next_poll(const PollPolicy& policy, milliseconds current, PollResult result,
                       std::size_t new_items, std::uint32_t consecutive_errors,
                       std::optional<std::chrono::seconds> retry_after, std::mt19937_64& rng);

}  // namespace newswatch::fetchers
