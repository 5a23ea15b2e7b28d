#include "parsers/dates.h"

#include <gtest/gtest.h>

#include <string>

namespace newswatch::parsers {
namespace {

// "null" or the ISO-8601 UTC form, so failures print readable values.
std::string parsed(std::string_view text) {
  const auto t = parse_feed_date(text);
  return t ? format_iso8601(*t) : "null";
}

TEST(ParseFeedDate, ReadsRfc822WithNumericZones) {
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 09:00:00 +0000"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 11:00:00 +0200"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 04:00:00 -0500"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 14:30:00 +0530"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 11:00:00 +02:00"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 12:00:00 +03"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 00:30:00 +0100"), "2024-06-16T23:30:00Z");
}

TEST(ParseFeedDate, ReadsNamedZones) {
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 09:00:00 GMT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 09:00:00 UT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 09:00:00 UTC"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 09:00:00 Z"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 05:00:00 EDT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 04:00:00 EST"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 02:00:00 PDT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 01:00:00 PST"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 04:00:00 CDT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 11:00:00 CEST"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 11:00:00 MESZ"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jan 2024 10:00:00 CET"), "2024-01-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jan 2024 10:00:00 MEZ"), "2024-01-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 12:00:00 MSK"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 10:00:00 BST"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 18:00:00 JST"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 09:00:00 gmt"), "2024-06-17T09:00:00Z");
}

TEST(ParseFeedDate, ReadsZoneNamePlusOffset) {
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 11:00:00 GMT+2"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 11:00:00 GMT+0200"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 12:00:00 UTC+03:00"), "2024-06-17T09:00:00Z");
}

TEST(ParseFeedDate, ToleratesMissingSecondsAndTime) {
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 09:00 GMT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 11:05 +0200"), "2024-06-17T09:05:00Z");
  EXPECT_EQ(parsed("17 Jun 2024"), "2024-06-17T00:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024"), "2024-06-17T00:00:00Z");
}

TEST(ParseFeedDate, IgnoresWrongOrMissingDayNames) {
  EXPECT_EQ(parsed("Fri, 17 Jun 2024 09:00:00 GMT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Tuesday, 17 Jun 2024 09:00:00 GMT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("17 Jun 2024 09:00:00 GMT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mo, 17 Jun 2024 09:00:00 GMT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Thurs, 17 Jun 2024 09:00:00 GMT"), "2024-06-17T09:00:00Z");
}

TEST(ParseFeedDate, ReadsSloppySpacingAndDigits) {
  EXPECT_EQ(parsed("  Mon, 17 Jun 2024 09:00:00 GMT \n"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon,17 Jun 2024 09:00:00 GMT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 7 Jun 2024 9:05:03 GMT"), "2024-06-07T09:05:03Z");
  EXPECT_EQ(parsed("Mon, 07 June 2024 09:00:00 GMT"), "2024-06-07T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17-Jun-2024 09:00:00 GMT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 Sept 2024 09:00:00 GMT"), "2024-09-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon, 17 JUN 2024 09:00:00 GMT"), "2024-06-17T09:00:00Z");
}

TEST(ParseFeedDate, ExpandsTwoDigitYears) {
  EXPECT_EQ(parsed("Mon, 17 Jun 24 09:00:00 GMT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Thu, 01 Jan 98 00:00:00 GMT"), "1998-01-01T00:00:00Z");
}

TEST(ParseFeedDate, ReadsAllEnglishMonths) {
  const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int m = 0; m < 12; ++m) {
    char expected[32];
    std::snprintf(expected, sizeof expected, "2023-%02d-01T12:00:00Z", m + 1);
    EXPECT_EQ(parsed(std::string("01 ") + months[m] + " 2023 12:00:00 GMT"), expected) << months[m];
  }
}

TEST(ParseFeedDate, ReadsGermanMonthNames) {
  EXPECT_EQ(parsed("17. März 2024 10:00"), "2024-03-17T10:00:00Z");
  EXPECT_EQ(parsed("Di, 14 Mai 2024 09:00:00 +0200"), "2024-05-14T07:00:00Z");
  EXPECT_EQ(parsed("3. Okt 2024"), "2024-10-03T00:00:00Z");
  EXPECT_EQ(parsed("24. Dezember 2024, 18:00 Uhr"), "2024-12-24T18:00:00Z");
  EXPECT_EQ(parsed("1 Mrz 2024 10:00 MEZ"), "2024-03-01T09:00:00Z");
}

TEST(ParseFeedDate, ReadsRussianMonthNames) {
  EXPECT_EQ(parsed("18 июня 2024 10:00 +0300"), "2024-06-18T07:00:00Z");
  EXPECT_EQ(parsed("1 января 2024"), "2024-01-01T00:00:00Z");
  EXPECT_EQ(parsed("9 мая 2024, 12:00 MSK"), "2024-05-09T09:00:00Z");
  EXPECT_EQ(parsed("31 Декабря 2023 23:59"), "2023-12-31T23:59:00Z");
  EXPECT_EQ(parsed("12 марта 2024"), "2024-03-12T00:00:00Z");
  EXPECT_EQ(parsed("5 ноя 2024"), "2024-11-05T00:00:00Z");
}

TEST(ParseFeedDate, ReadsIso8601AndRfc3339) {
  EXPECT_EQ(parsed("2024-06-17T09:00:00Z"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("2024-06-17T11:00:00+02:00"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("2024-06-17T04:00:00-05:00"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("2024-06-17T09:00:00.123456Z"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("2024-06-17T09:00Z"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("2024-06-17t09:00:00z"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("2024-06-17 09:00:00"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("2024-06-17T11:00:00+0200"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("2024-06-17"), "2024-06-17T00:00:00Z");
  EXPECT_EQ(parsed("2024-06-17T09:00:00 GMT"), "2024-06-17T09:00:00Z");
}

TEST(ParseFeedDate, ReadsIso8601Basic) {
  EXPECT_EQ(parsed("20240617T090000Z"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("20240617T1100+0200"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("20240617"), "2024-06-17T00:00:00Z");
  EXPECT_EQ(parsed("20240617090000"), "2024-06-17T09:00:00Z");
}

TEST(ParseFeedDate, ReadsUsAndCtimeForms) {
  EXPECT_EQ(parsed("Jun 17, 2024 09:00:00 GMT"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("June 17, 2024 9:00 AM"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("June 17, 2024 9:00 PM"), "2024-06-17T21:00:00Z");
  EXPECT_EQ(parsed("June 17, 2024 12:15 AM"), "2024-06-17T00:15:00Z");
  EXPECT_EQ(parsed("Mon Jun 17 09:00:00 2024"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("Mon Jun 17 09:00:00 UTC 2024"), "2024-06-17T09:00:00Z");
}

TEST(ParseFeedDate, ReadsNumericDates) {
  EXPECT_EQ(parsed("17.06.2024 09:00"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("17.06.2024, 11:00 +0200"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("2024/06/17 09:00:00"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("06/17/2024 09:00"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("17/06/2024"), "2024-06-17T00:00:00Z");
  EXPECT_EQ(parsed("17-06-2024"), "2024-06-17T00:00:00Z");
}

TEST(ParseFeedDate, ReadsUnixTimestamps) {
  EXPECT_EQ(parsed("1718614800"), "2024-06-17T09:00:00Z");
  EXPECT_EQ(parsed("1718614800000"), "2024-06-17T09:00:00Z");
}

TEST(ParseFeedDate, HandlesCalendarEdges) {
  EXPECT_EQ(parsed("Thu, 29 Feb 2024 12:00:00 GMT"), "2024-02-29T12:00:00Z");
  EXPECT_EQ(parsed("Wed, 31 Dec 2025 23:30:00 -0100"), "2026-01-01T00:30:00Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 23:59:60 GMT"), "2024-06-17T23:59:59Z");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 24:00:00 GMT"), "2024-06-18T00:00:00Z");
}

TEST(ParseFeedDate, RejectsWhatIsNotADate) {
  EXPECT_EQ(parsed(""), "null");
  EXPECT_EQ(parsed("   "), "null");
  EXPECT_EQ(parsed("yesterday"), "null");
  EXPECT_EQ(parsed("now"), "null");
  EXPECT_EQ(parsed("Jun 2024"), "null");
  EXPECT_EQ(parsed("17 Foo 2024"), "null");
  EXPECT_EQ(parsed("Fri, 31 Feb 2024 10:00:00 GMT"), "null");
  EXPECT_EQ(parsed("2024-13-01"), "null");
  EXPECT_EQ(parsed("2024-02-30T10:00:00Z"), "null");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 25:00:00 GMT"), "null");
  EXPECT_EQ(parsed("Mon, 17 Jun 2024 09:61:00 GMT"), "null");
  EXPECT_EQ(parsed("12:00"), "null");
  EXPECT_EQ(parsed("0"), "null");
  EXPECT_EQ(parsed(std::string(300, '1')), "null");
}

}  // namespace
}  // namespace newswatch::parsers
