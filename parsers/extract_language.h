// A cheap language guess from text for pages that do not declare one: counts of very common
// function words per language. Pure, any thread.
#pragma once

#include <string>
#include <string_view>

namespace newswatch::parsers {

// The primary language subtag ("de", "en", "ru", "fr", "es", "it", "nl", "pl", "pt", "uk",
// "sv", "da", "cs", "tr") of `text`, or "" when too little text or no clear winner.
std::string detect_language(std::string_view text);

}  // namespace newswatch::parsers
