// The value types that flow through the pipeline (DESIGN.md): a feed's entries point at
// articles; an Article is what extraction produces, storage keeps and alerts match.
// Standard library only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"

namespace newswatch {

// One item of a feed, sitemap or index page, before its article is fetched.
struct FeedEntry {
  std::string id;                      // guid/id, else canonical link, else a hash of title+date
  std::string link;                    // absolute
  std::string title;                   // plain text, entities decoded, markup stripped
  std::optional<TimePoint> published;  // missing stays missing, never "now"
  std::optional<TimePoint> updated;
  std::string summary;  // plain text
  std::string content;  // plain text of the full content when the feed carries it
  std::string author;
};

enum class FeedKind { rss, atom, json, sitemap, page };

// "rss", "atom", "json", "sitemap", "page".
const char* feed_kind_name(FeedKind kind);

struct Feed {
  FeedKind kind = FeedKind::rss;
  std::string title;
  std::string link;  // the site's home page, absolute
  std::vector<FeedEntry> entries;
  // Sitemap indexes point at further sitemaps rather than at articles.
  std::vector<std::string> child_sitemaps;
};

// A fetched, extracted article.
struct Article {
  std::string id;             // stable: derived from the canonical URL (storage assigns it)
  std::string url;            // the URL it was fetched from
  std::string canonical_url;  // rel=canonical / og:url, else the canonicalized url
  std::string source;         // name of the configured source that found it
  std::string title;
  std::string byline;
  std::string language;  // BCP 47 primary tag, "de", "en", "ru"; empty when unknown
  std::string site_name;
  std::string image;
  std::optional<TimePoint> published;
  std::optional<TimePoint> modified;
  TimePoint fetched{};
  std::string summary;              // the feed's teaser, if any
  std::string text;                 // clean body: paragraphs separated by one blank line ("\n\n")
  std::vector<std::string> topics;  // names of topics it matched
  std::string duplicate_of;         // id of the original story when this is a copy
  std::vector<std::string> duplicate_urls;  // further URLs that carried the same story
};

}  // namespace newswatch
