// Feed autodiscovery: the feeds a site's HTML page announces, and where else feeds usually live.
// No I/O; `newswatch discover` fetches and probes. Any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace newswatch::parsers {

struct DiscoveredFeed {
  std::string url;    // absolute
  std::string title;  // the link's title attribute or text; may be empty
  std::string type;   // "rss", "atom", "json", "sitemap" or "" when only guessed
  std::string found;  // how: "link-alternate", "anchor", "robots", "guess"
};

// Feeds announced by `html` (<link rel="alternate"> with an RSS, Atom or JSON Feed type, then
// <a> links whose target or text names a feed), absolute against `page_url` and <base href>,
// without duplicates, in page order.
std::vector<DiscoveredFeed> discover_feeds(std::string_view html, std::string_view page_url);

// Where feeds and news sitemaps commonly live on the site of `page_url` ("/feed", "/rss.xml",
// "/atom.xml", "/index.xml", "/feed.json", "/sitemap-news.xml", ...), for probing.
std::vector<std::string> common_feed_urls(std::string_view page_url);

}  // namespace newswatch::parsers
