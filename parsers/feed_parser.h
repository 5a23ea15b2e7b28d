// Feed, sitemap and index-page parsing: bytes of a fetched document in, a Feed value out. No I/O,
// so it can be fuzzed. Runs on the CPU pool.
#pragma once

#include <string>
#include <string_view>

#include "core/article.h"
#include "core/result.h"

namespace newswatch::parsers {

struct FeedParseOptions {
  // The document's URL: the base for relative links (after any xml:base). May be empty; then
  // the feed's own home link is the base. Default empty.
  std::string url;
  // The HTTP Content-Type header. Only its charset is used, and only when the document has no
  // BOM and no encoding declaration; the media type is ignored (servers get it wrong). May be
  // empty. Default empty.
  std::string content_type;
};

// Parses RSS 0.90/0.91/0.92/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1, XML sitemaps, sitemap
// indexes (Feed::child_sitemaps), Google News sitemaps and plain-text URL lists, detected from the
// bytes; gzip-compressed input (1f 8b) is inflated first, up to 64 MiB.
// Forgiving: HTML entities, stray '&', raw HTML in text elements, nested CDATA, bad encodings and
// truncation still yield the items that are there, in document order. Entries carry plain text
// (entities decoded, markup stripped), absolute links where a base is known, UTC dates or nullopt
// (never "now"), and an id from guid/id, else the link, else "hash:" + FNV-1a of title and date.
// Never loads external entities or DTDs. An Error (parse_error; too_large for a gzip bomb) only
// when nothing usable is in `bytes`, e.g. "not a feed: the document is an HTML page". Any thread;
// about 1 ms per 300 KB on one core.
Result<Feed> parse_feed(std::string_view bytes, const FeedParseOptions& options);

}  // namespace newswatch::parsers
