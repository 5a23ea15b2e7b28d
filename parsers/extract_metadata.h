// Article metadata from a parsed page: title, byline, dates, language, canonical URL, site name
// and lead image, read from JSON-LD, <meta> tags, <link>, <time> and the visible text, in the
// order of precedence Mozilla Readability uses where it defines one. Pure, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"
#include "parsers/html_dom.h"

namespace newswatch::parsers {

struct PageMetadata {
  std::string title;
  std::string byline;
  std::optional<TimePoint> published;
  std::optional<TimePoint> modified;
  std::string language;  // primary subtag, lower-case ("de"); empty when the page does not say
  std::string canonical_url;
  std::string site_name;
  std::string image;
  std::string description;
  std::string type;             // og:type or the JSON-LD @type of the main item, e.g. "article"
  bool has_article_ld = false;  // a JSON-LD item of an article type
};

// Reads the metadata that `doc` declares. `page_url` (may be empty) resolves relative URLs.
PageMetadata read_metadata(const HtmlDocument& doc, std::string_view page_url);

// The page title as Readability derives it from <title>: a site name after " | ", " - ", " » "
// and similar separators is dropped when what remains is long enough.
std::string title_from_title_element(const HtmlDocument& doc);

// `title` without a segment that names the site ("Title | Site", "Site - Title"): the site's
// name or its host from `url` (may be empty). Unchanged when no segment names the site or too
// little would remain.
std::string strip_site_name(std::string_view title, std::string_view site_name,
                            std::string_view url);

// A byline from the page body (rel=author, itemprop=author, class/id "byline", "author"),
// or "" when none is short enough to be one.
std::string byline_from_body(const HtmlDocument& doc);

// The first date written in `text` in a German, English or Russian form ("17. Juni 2024",
// "June 17, 2024", "17 июня 2024", "17.06.2024", "2024-06-17"); nullopt when there is none.
std::optional<TimePoint> find_date_in_text(std::string_view text);

// A date in a URL path ("/2024/06/17/", "/2024-06-17-"), or nullopt.
std::optional<TimePoint> date_from_url(std::string_view url);

// Lower-cased primary subtag of a language tag or Content-Language value ("de-DE" -> "de").
std::string primary_language(std::string_view tag);

}  // namespace newswatch::parsers
