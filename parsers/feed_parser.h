// Feed, sitemap and index-page parsing: bytes of a fetched document in, a Feed value out. No I/O,
// so it can be fuzzed. Runs on the CPU pool.
#pragma once

#include <string>
#include <string_view>

#include "core/article.h"
#include "core/result.h"

namespace newswatch::parsers {

struct FeedParseOptions {
  // The document's URL: the base for relative links. May be empty.
  std::string url;
  // The HTTP Content-Type header, for its charset. May be empty.
  std::string content_type;
};

// Parses RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed and XML sitemaps (detected from the bytes).
// Forgiving: returns whatever items can be read. An Error (parse_error) only when nothing usable
// is in `bytes`. Any thread.
Result<Feed> parse_feed(std::string_view bytes, const FeedParseOptions& options);

}  // namespace newswatch::parsers
