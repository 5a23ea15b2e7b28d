// Main-content detection for article extraction: which part of a parsed page is the article's
// body, and its text as paragraphs. General signals only (text and link density, block
// structure, semantic tags and roles, class/id vocabularies in several languages, punctuation).
// Pure, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "parsers/html_dom.h"

namespace newswatch::parsers {

enum class BlockKind : std::uint8_t {
  paragraph,
  heading,
  list_item,
  quote,
  preformatted,
  table_row
};

struct TextBlock {
  BlockKind kind = BlockKind::paragraph;
  std::string text;  // white space folded, no leading/trailing space
};

struct Content {
  std::vector<TextBlock> blocks;  // the body in document order
  NodeId root = k_no_node;        // the element judged to hold the article
  std::string heading;            // the article's <h1> (or best heading) text, may be empty
  // Signals for the article/not-an-article decision.
  std::size_t body_chars = 0;       // characters in `blocks`
  std::size_t page_chars = 0;       // visible characters on the page
  std::size_t page_link_chars = 0;  // of which inside links
  std::size_t long_paragraphs = 0;  // paragraphs of 150+ characters in `blocks`
  std::size_t lead_chars = 0;       // of `body_chars`, the standfirst found outside `root`
};

struct ContentOptions {
  // A heading equal to this (the page title) is not repeated in the body. May be empty.
  std::string title;
  // When non-null, a human-readable trace of the decisions (candidates and scores) is appended.
  std::string* trace = nullptr;
};

// Finds the article body in `doc`. Never fails; an empty `blocks` means nothing article-like.
Content find_main_content(const HtmlDocument& doc, const ContentOptions& options);

// Classifies a class/id attribute value: negative for boilerplate words ("comment", "share",
// "related", "anzeige", ...), positive for content words ("article", "entry-content", ...), 0
// otherwise. Exposed for tests and for the page link finder.
int class_weight(std::string_view class_and_id);

// True when a class/id value names boilerplate strongly enough to drop the element outright.
bool is_boilerplate_name(std::string_view class_and_id);

}  // namespace newswatch::parsers
