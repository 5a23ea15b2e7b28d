// A linear pre-pass that turns the XML real feeds serve into XML libxml2 parses without losing
// text: undeclared HTML entities, stray '&', raw HTML inside text elements, nested CDATA,
// junk before the root and truncation. Pure function, any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace newswatch::parsers {

struct RepairedXml {
  std::string text;           // UTF-8 XML without an XML declaration
  std::string root;           // qualified name of the root element as written ("rss", "rdf:RDF")
  bool truncated = false;     // the root was never closed; text was cut after the last whole item
  bool has_xml_base = false;  // some element carries xml:base
  // Contents of text elements that were one clean CDATA section. They are kept out of `text`
  // (libxml2 parses CDATA one character at a time) and replaced there by a placeholder that
  // cdata_placeholder_index() recognises. Views into the `utf8` argument of repair_feed_xml.
  std::vector<std::string_view> cdata;
};

// The index into RepairedXml::cdata when `text` is exactly a placeholder, else -1.
long cdata_placeholder_index(std::string_view text);

// REQUIRES: `utf8` is UTF-8 without a BOM. Fixes, outside CDATA and comments: HTML named
// entities become their characters, unknown ones and bare '&' become "&amp;", invalid numeric
// references U+FFFD. Inside title/description/summary/content/content:encoded (not media:*)
// raw markup and nested CDATA are escaped into text so the element keeps its HTML as a string.
// The result refers to `utf8`, which must outlive it. A document whose root never closes is cut
// after its last complete item/entry/url/sitemap.
RepairedXml repair_feed_xml(std::string_view utf8);

}  // namespace newswatch::parsers
