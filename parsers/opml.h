// OPML subscription lists (OPML 1.0/2.0, as Miniflux, FreshRSS, Feedly, Inoreader and
// NetNewsWire export them): reading them into feed URLs for [[sources]], and writing the
// configured sources back out. No I/O; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace newswatch::parsers {

struct OpmlFeed {
  std::string title;     // the outline's title, else its text; may be empty
  std::string xml_url;   // the feed, absolute http(s)
  std::string html_url;  // the site; may be empty
  std::string category;  // the enclosing outlines' titles joined by " / "; empty at top level
};

struct OpmlList {
  std::string title;  // <head><title>
  std::vector<OpmlFeed> feeds;
  // Outlines with an xmlUrl that is not an http(s) URL, as "line N: reason", skipped.
  std::vector<std::string> skipped;
};

// Every outline with an xmlUrl, in document order, without repeating a URL. An error names the
// line when the XML is not well-formed, or says why the document is not OPML.
Result<OpmlList> parse_opml(std::string_view bytes);

// An OPML 2.0 document listing `feeds` (title, xmlUrl, htmlUrl; grouped by category).
std::string write_opml(const std::string& title, const std::vector<OpmlFeed>& feeds);

}  // namespace newswatch::parsers
