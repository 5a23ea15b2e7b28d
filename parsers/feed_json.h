// JSON Feed 1.0/1.1 (https://jsonfeed.org) to a Feed. Pure function, any thread.
#pragma once

#include <string_view>

#include "core/article.h"
#include "core/result.h"

namespace newswatch::parsers {

// Reads a JSON Feed; `utf8` is the document (JSON is UTF-8), `base_url` the document URL used to
// resolve relative URLs (may be empty: then home_page_url). parse_error when the text is not
// JSON or not a JSON Feed (no "items" array and no jsonfeed.org version).
Result<Feed> parse_json_feed(std::string_view utf8, std::string_view base_url);

}  // namespace newswatch::parsers
