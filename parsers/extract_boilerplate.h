// Text-level boilerplate tests for article extraction: the short blocks that sit inside an
// article's container but are not the article ("Teilen", "Anzeige", "Foto: dpa", "Mehr zum
// Thema"), in German, English, Russian and a few other languages. Pure, any thread.
#pragma once

#include <string>
#include <string_view>

namespace newswatch::parsers {

// Lower-cases ASCII, Latin-1 letters (Ä -> ä) and Cyrillic, for phrase matching.
std::string fold_case(std::string_view text);
// The same into `out` (replaced), for callers folding many words through one buffer.
void fold_case_into(std::string_view text, std::string& out);

// True when `text` (one block, white space folded) is a UI string, label, credit, date line or
// teaser heading rather than article prose.
bool is_boilerplate_block(std::string_view text);

// True when `heading` opens a section that follows the article: related articles, comments,
// "about the author". What follows such a heading in its container is not the article.
bool starts_tail_section(std::string_view heading);

// True when `text` asks the reader to do something besides reading: follow, subscribe, get the
// app, donate, comment, share. Only meaningful for short blocks at an article's end.
bool is_call_to_action(std::string_view text);

// True when `text` ends like a sentence: . ! ? … a closing quote or bracket.
bool ends_sentence(std::string_view text);

// Unicode code points in UTF-8 `text`.
std::size_t code_point_count(std::string_view text);

}  // namespace newswatch::parsers
