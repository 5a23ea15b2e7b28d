#include "parsers/extractor.h"

#include <algorithm>

#include "parsers/charset.h"
#include "parsers/extract_content.h"
#include "parsers/extract_language.h"
#include "parsers/extract_metadata.h"
#include "parsers/html_dom.h"

namespace newswatch::parsers {

namespace {

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
  });
}

// Bytes that no text document contains: an image, PDF or archive signature, or NULs and other
// C0 controls in quantity (a compressed body). A stray NUL in a page is the server's mistake,
// not a sign of binary data; the HTML parser drops it.
bool looks_binary(std::string_view bytes) {
  static constexpr std::string_view k_magic[] = {"%PDF-",      "\x89PNG",  "GIF8", "\xff\xd8\xff",
                                                 "PK\x03\x04", "\x1f\x8b", "RIFF"};
  for (std::string_view m : k_magic) {
    if (bytes.substr(0, m.size()) == m) return true;
  }
  const std::size_t n = std::min<std::size_t>(bytes.size(), 4096);
  std::size_t controls = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const auto c = static_cast<unsigned char>(bytes[k]);
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b) ++controls;
  }
  return controls * 20 > n;
}

bool mentions_error(std::string_view s) {
  static constexpr std::string_view k_markers[] = {
      "404",
      "not found",
      "page not found",
      "nicht gefunden",
      "existiert nicht",
      "error",
      "fehler",
      "\xD0\xBD\xD0\xB5 \xD0\xBD\xD0\xB0\xD0\xB9\xD0\xB4\xD0\xB5\xD0\xBD",  // не найден
      "\xD0\xBE\xD1\x88\xD0\xB8\xD0\xB1\xD0\xBA\xD0\xB0",                   // ошибка
  };
  for (std::string_view m : k_markers) {
    if (icontains(s, m)) return true;
  }
  return false;
}

std::string join_blocks(const std::vector<TextBlock>& blocks) {
  std::size_t size = 0;
  for (const TextBlock& b : blocks) size += b.text.size() + 2;
  std::string out;
  out.reserve(size);
  for (const TextBlock& b : blocks) {
    if (!out.empty()) out += "\n\n";
    out += b.text;
  }
  return out;
}

}  // namespace

Result<Article> extract_article(std::string_view html, const ExtractOptions& options) {
  if (is_blank(html)) return make_error(ErrorCode::parse_error, "empty document");
  if (looks_binary(html)) {
    return make_error(ErrorCode::parse_error, "not a text document (binary data)");
  }
  // Bytes that are valid UTF-8 are UTF-8 whatever a <meta> claims (a legacy-charset page with
  // any non-ASCII byte is almost never valid UTF-8); pages re-saved as UTF-8 keep their old
  // declaration. An explicit HTTP charset still wins.
  std::string text;
  if (charset_from_content_type(options.content_type).empty() && is_valid_utf8(html)) {
    text.assign(html.substr(html.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0));
  } else {
    text = decode_to_utf8(html, options.content_type, DocumentKind::html);
  }
  if (is_blank(text)) return make_error(ErrorCode::parse_error, "empty document");

  const HtmlDocument doc = HtmlDocument::parse(text);
  PageMetadata md = read_metadata(doc, options.url);
  ContentOptions content_options;
  content_options.title = md.title;
  const Content content = find_main_content(doc, content_options);

  if (md.title.empty()) md.title = content.heading;
  if (options.min_chars == 0) {
    // The caller wants whatever there is.
  } else if (content.body_chars < options.min_chars) {
    return make_error(ErrorCode::unsupported, "not an article: no article text found");
  } else if (content.body_chars < 1000 && content.long_paragraphs < 2 &&
             (mentions_error(md.title) || mentions_error(content.heading))) {
    return make_error(ErrorCode::unsupported, "not an article: an error page");
  } else if (!(md.has_article_ld || icontains(md.type, "article")) &&
             content.long_paragraphs == 0 && content.body_chars < 500 &&
             content.page_link_chars * 2 > content.page_chars) {
    return make_error(ErrorCode::unsupported, "not an article: an index of links");
  }

  Article article;
  article.url = options.url;
  article.canonical_url = md.canonical_url;
  article.title = md.title;
  article.byline = md.byline;
  article.site_name = md.site_name;
  article.image = md.image;
  article.published = md.published;
  article.modified = md.modified;
  article.text = join_blocks(content.blocks);
  article.language = md.language.empty() ? detect_language(article.text) : md.language;
  if (!article.published) article.published = date_from_url(md.canonical_url);
  if (!article.published && !options.url.empty()) article.published = date_from_url(options.url);
  return article;
}

}  // namespace newswatch::parsers
