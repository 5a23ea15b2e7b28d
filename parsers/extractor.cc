// Minimal first pass: the page's <title> and its <p> paragraphs.
#include "parsers/extractor.h"

#include <gumbo.h>

#include "parsers/charset.h"

namespace newswatch::parsers {
namespace {

void collect_text(const GumboNode* node, std::string& out) {
  if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE) {
    out += node->v.text.text;
    return;
  }
  if (node->type != GUMBO_NODE_ELEMENT) return;
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    collect_text(static_cast<const GumboNode*>(children.data[i]), out);
  }
}

std::string squash(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void walk(const GumboNode* node, Article& a) {
  if (node->type != GUMBO_NODE_ELEMENT) return;
  const GumboTag tag = node->v.element.tag;
  if (tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_NAV ||
      tag == GUMBO_TAG_FOOTER) {
    return;
  }
  if (tag == GUMBO_TAG_H1 && a.byline.empty()) {
    std::string t;
    collect_text(node, t);
    a.title = squash(t);
    a.byline = " ";  // marks that an <h1> set the title; cleared below
    return;
  }
  if (tag == GUMBO_TAG_TITLE && a.title.empty()) {
    std::string t;
    collect_text(node, t);
    a.title = squash(t);
    return;
  }
  if (tag == GUMBO_TAG_P) {
    std::string t;
    collect_text(node, t);
    t = squash(t);
    if (!t.empty()) a.text += (a.text.empty() ? "" : "\n\n") + t;
    return;
  }
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    walk(static_cast<const GumboNode*>(children.data[i]), a);
  }
}

}  // namespace

Result<Article> extract_article(std::string_view html, const ExtractOptions& options) {
  const std::string text = decode_to_utf8(html, options.content_type, DocumentKind::html);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return make_error(ErrorCode::parse_error, "empty document");
  }
  GumboOutput* out = gumbo_parse_with_options(&kGumboDefaultOptions, text.data(), text.size());
  Article a;
  walk(out->root, a);
  gumbo_destroy_output(&kGumboDefaultOptions, out);
  a.byline.clear();
  if (a.text.empty()) return make_error(ErrorCode::unsupported, "not an article: no paragraphs");
  return a;
}

}  // namespace newswatch::parsers
