// Text-level boilerplate tests for article extraction: the short blocks that sit inside an
// article's container but are not the article ("Teilen", "Anzeige", "Foto: dpa", "Mehr zum
// Thema"), in German, English, Russian and a few other languages. Pure, any thread.
#pragma once

#include <string>
#include <string_view>

namespace newswatch::parsers {

// Lower-cases ASCII, Latin-1 letters (Ä -> ä) and Cyrillic, for phrase matching.
std::string fold_case(std::string_view text);

// True when `text` (one block, white space folded) is a UI string, label, credit, date line or
// teaser heading rather than article prose.
bool is_boilerplate_block(std::string_view text);

// True when `heading` opens a section that follows the article: related articles, comments,
// "about the author". What follows such a heading in its container is not the article.
bool starts_tail_section(std::string_view heading);

}  // namespace newswatch::parsers
