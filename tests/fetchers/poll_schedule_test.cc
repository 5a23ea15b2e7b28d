#include "fetchers/poll_schedule.h"

#include <gtest/gtest.h>

#include <set>

namespace newswatch::fetchers {
namespace {

using namespace std::chrono_literals;

PollPolicy policy_without_jitter() {
  PollPolicy p;
  p.interval = 5min;
  p.min_interval = 1min;
  p.max_interval = 30min;
  p.jitter = 0;
  return p;
}

TEST(PollSchedule, BusySourcesArePolledMoreOftenDownToTheMinimum) {
  std::mt19937_64 rng(1);
  const auto p = policy_without_jitter();
  auto d = next_poll(p, 0ms, PollResult::new_items, 1, 0, std::nullopt, rng);
  EXPECT_EQ(d.interval, 150s);
  d = next_poll(p, d.interval, PollResult::new_items, 1, 0, std::nullopt, rng);
  EXPECT_EQ(d.interval, 75s);
  d = next_poll(p, d.interval, PollResult::new_items, 20, 0, std::nullopt, rng);
  EXPECT_EQ(d.interval, 1min);
  EXPECT_EQ(d.delay, 1min);
}

TEST(PollSchedule, QuietSourcesSlowDownToTheMaximum) {
  std::mt19937_64 rng(1);
  const auto p = policy_without_jitter();
  std::chrono::milliseconds interval = 0ms;
  std::vector<std::chrono::milliseconds> seen;
  for (int i = 0; i < 10; ++i) {
    interval = next_poll(p, interval, PollResult::not_modified, 0, 0, std::nullopt, rng).interval;
    seen.push_back(interval);
  }
  EXPECT_EQ(seen[0], 450s);
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i], seen[i - 1]);
  EXPECT_EQ(seen.back(), 30min);
}

TEST(PollSchedule, ErrorsBackOffExponentiallyButNeverGiveUp) {
  std::mt19937_64 rng(1);
  const auto p = policy_without_jitter();
  EXPECT_EQ(next_poll(p, 0ms, PollResult::error, 0, 1, std::nullopt, rng).delay, 5min);
  EXPECT_EQ(next_poll(p, 0ms, PollResult::error, 0, 2, std::nullopt, rng).delay, 10min);
  EXPECT_EQ(next_poll(p, 0ms, PollResult::error, 0, 4, std::nullopt, rng).delay, 40min);
  const auto capped = next_poll(p, 0ms, PollResult::error, 0, 1000, std::nullopt, rng);
  EXPECT_EQ(capped.delay, 24h);
  // The adapted interval survives errors: recovery resumes where it left off.
  EXPECT_EQ(next_poll(p, 2min, PollResult::error, 0, 3, std::nullopt, rng).interval, 2min);
}

TEST(PollSchedule, RetryAfterIsALowerBoundEvenWithJitter) {
  std::mt19937_64 rng(7);
  auto p = policy_without_jitter();
  p.jitter = 0.5;
  for (int i = 0; i < 100; ++i) {
    const auto d = next_poll(p, 0ms, PollResult::throttled, 0, 1, 2h, rng);
    EXPECT_GE(d.delay, 2h);
  }
}

TEST(PollSchedule, JitterSpreadsSourcesWithinBounds) {
  std::mt19937_64 rng(42);
  PollPolicy p = policy_without_jitter();
  p.jitter = 0.1;
  std::set<long long> distinct;
  for (int i = 0; i < 200; ++i) {
    const auto d = next_poll(p, 5min, PollResult::no_new_items, 0, 0, std::nullopt, rng);
    EXPECT_GE(d.delay, std::chrono::milliseconds(405'000));
    EXPECT_LE(d.delay, std::chrono::milliseconds(495'000));
    distinct.insert(d.delay.count());
  }
  EXPECT_GT(distinct.size(), 150u);
}

}  // namespace
}  // namespace newswatch::fetchers
