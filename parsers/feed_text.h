// Text cleanup for feed fields: HTML fragments (RSS descriptions, content:encoded, Atom html
// content) to plain text, titles to one clean line, and the HTML entity table the XML repair
// pass uses. Pure functions, any thread; input and output are UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace newswatch::parsers {

// The code point of a named HTML entity without '&' and ';' ("nbsp" -> 0xA0), or 0 when unknown.
// Covers the HTML 4 set plus "apos".
char32_t html_entity_code_point(std::string_view name);

// Decodes the character reference at s[i] == '&' ("&amp;", "&#8217;", "&#x2019;", "&nbsp",
// HTML's windows-1252 mapping for &#128;..&#159;). Returns the code point and sets `len` to the
// bytes consumed, or returns 0 when s[i] starts no known reference. A missing ';' is tolerated.
char32_t decode_html_reference(std::string_view s, size_t i, size_t& len);

// Appends `cp` as UTF-8; surrogates and values above U+10FFFF become U+FFFD.
void append_utf8(std::string& out, char32_t cp);

// Plain text of an HTML fragment: tags stripped (script/style dropped with their content),
// entities decoded, whitespace collapsed; block elements separate paragraphs with "\n\n" and
// <br>/<li> with "\n". Unbalanced markup and a '<' that starts no tag are handled as text.
std::string html_to_text(std::string_view html);

// One line of plain text: html_to_text with every break collapsed to a single space. For titles.
std::string html_to_line(std::string_view html);

// Plain text (no markup) with whitespace runs collapsed: a run holding a blank line becomes
// "\n\n", one holding a newline "\n", others one space. Trimmed.
std::string normalize_text(std::string_view text);

// normalize_text collapsed to a single line.
std::string normalize_line(std::string_view text);

}  // namespace newswatch::parsers
