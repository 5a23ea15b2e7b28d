#include "core/time.h"

#include <gtest/gtest.h>

namespace newswatch {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsUnitsAndCombinations) {
  EXPECT_EQ(parse_duration("90s"), milliseconds(90'000));
  EXPECT_EQ(parse_duration("5m"), milliseconds(300'000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("2d"), milliseconds(172'800'000));
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("1h30m"), milliseconds(5'400'000));
}

TEST(ParseDuration, RejectsMalformed) {
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("90"));
  EXPECT_FALSE(parse_duration("5 m"));
  EXPECT_FALSE(parse_duration("m"));
  EXPECT_FALSE(parse_duration("-5m"));
  EXPECT_FALSE(parse_duration("5x"));
  EXPECT_FALSE(parse_duration("1.5h"));
}

TEST(FormatDuration, RoundTrips) {
  for (const char* text : {"90s", "5m", "1h30m", "250ms", "2d"}) {
    const auto d = parse_duration(text);
    ASSERT_TRUE(d) << text;
    EXPECT_EQ(parse_duration(format_duration(*d)), d) << text;
  }
  EXPECT_EQ(format_duration(milliseconds(5'400'000)), "1h30m");
}

TEST(Iso8601, ParsesZonesAndFormatsUtc) {
  const auto t = parse_iso8601("2024-06-17T11:00:00+02:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_iso8601(*t), "2024-06-17T09:00:00Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2024-06-17")), "2024-06-17T00:00:00Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2024-06-17T09:00:00.123Z")), "2024-06-17T09:00:00Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2024-06-17 04:30-0430")), "2024-06-17T09:00:00Z");
  EXPECT_FALSE(parse_iso8601("2024-13-01"));
  EXPECT_FALSE(parse_iso8601("2024-02-30"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
  EXPECT_FALSE(parse_iso8601("2024-06-17T09:00:00 garbage"));
}

}  // namespace
}  // namespace newswatch
