// Dates as feeds and sitemaps write them: RFC 822/1123/2822, ISO 8601/RFC 3339 and the broken
// variants real publishers emit. Pure functions, any thread.
#pragma once

#include <optional>
#include <string_view>

#include "core/time.h"

namespace newswatch::parsers {

// Parses a feed date to UTC. Accepts RFC 822 with or without day name (a wrong day name is
// ignored), 2- or 4-digit years, missing seconds or time, named zones (GMT, EST, CEST, MSK, ...)
// and numeric ones (+0200, +02:00, GMT+2); ISO 8601 with or without zone (basic or extended);
// "Jun 17, 2024 9:00 AM"; ctime ("Mon Jun 17 09:00:00 2024"); numeric "17.06.2024 09:00" and
// "2024/06/17"; English, German and Russian month names; Unix timestamps of 9-10 digits.
// A missing zone means UTC. nullopt when no calendar date can be read (never "now").
std::optional<TimePoint> parse_feed_date(std::string_view text);

}  // namespace newswatch::parsers
