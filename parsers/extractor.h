// Article extraction: an article page's HTML in, the clean article (text and metadata) out.
// No I/O. Runs on the CPU pool.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/article.h"
#include "core/result.h"

namespace newswatch::parsers {

struct ExtractOptions {
  // The page's URL: the base for relative links and a fallback canonical URL. May be empty.
  std::string url;
  // The HTTP Content-Type header, for its charset. May be empty.
  std::string content_type;
  // Fewest body characters for a page to count as an article; below it the result is
  // `unsupported` ("not an article"). Default 100: a two-paragraph news item passes. 0 turns
  // the judgement off (index and error pages too): whatever text there is comes back.
  std::size_t min_chars = 100;
};

// Extracts the main article from `html`. The returned Article has title, text and whatever
// metadata the page carries; id, source and fetched are left for the caller. Error `unsupported`
// with a reason when the page is not an article (an index or error page), `parse_error` when the
// input is empty or undecodable. Any thread.
Result<Article> extract_article(std::string_view html, const ExtractOptions& options);

}  // namespace newswatch::parsers
