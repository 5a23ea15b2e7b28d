// `kind = "page"` sources: an HTML section page (a "Politik" front page) read as a feed of the
// article links it shows. No I/O. Any thread.
#pragma once

#include <string_view>

#include "core/article.h"

namespace newswatch::parsers {

struct PageLinkOptions {
  // The page's URL: the base for relative links and the site whose articles count. Required.
  std::string_view url;
  // The HTTP Content-Type header, for its charset. May be empty.
  std::string_view content_type;
};

// The links of `html` that look like articles of the same site, in page order, one entry per
// URL (fragment removed), with the teaser's headline as title, its other text as summary and a
// <time datetime> in the teaser as published date. Judged by general signals: same site (www.
// and m. ignored), outside nav/header/footer/aside and menu/share/cookie/pagination blocks, an
// article-like path (a slug of several words, a numeric id or a date; not tag, author, search,
// category-index or legal pages), and a headline-like anchor text. Feed::kind is `page`.
Feed parse_page_links(std::string_view html, const PageLinkOptions& options);

}  // namespace newswatch::parsers
