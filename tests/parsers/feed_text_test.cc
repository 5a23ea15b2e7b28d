#include "parsers/feed_text.h"

#include <gtest/gtest.h>

namespace newswatch::parsers {
namespace {

TEST(HtmlEntityCodePoint, KnowsHtml4Names) {
  EXPECT_EQ(html_entity_code_point("nbsp"), 0xA0u);
  EXPECT_EQ(html_entity_code_point("eacute"), 0xE9u);
  EXPECT_EQ(html_entity_code_point("Eacute"), 0xC9u);
  EXPECT_EQ(html_entity_code_point("szlig"), 0xDFu);
  EXPECT_EQ(html_entity_code_point("yuml"), 0xFFu);
  EXPECT_EQ(html_entity_code_point("euro"), 0x20ACu);
  EXPECT_EQ(html_entity_code_point("hellip"), 0x2026u);
  EXPECT_EQ(html_entity_code_point("bdquo"), 0x201Eu);
  EXPECT_EQ(html_entity_code_point("Omega"), 0x3A9u);
  EXPECT_EQ(html_entity_code_point("sigmaf"), 0x3C2u);
  EXPECT_EQ(html_entity_code_point("apos"), 0x27u);
  EXPECT_EQ(html_entity_code_point("diams"), 0x2666u);
  EXPECT_EQ(html_entity_code_point("nosuch"), 0u);
  EXPECT_EQ(html_entity_code_point(""), 0u);
  EXPECT_EQ(html_entity_code_point("NBSP"), 0u);
}

TEST(DecodeHtmlReference, ReadsNamedAndNumeric) {
  size_t len = 0;
  EXPECT_EQ(decode_html_reference("&amp;x", 0, len), U'&');
  EXPECT_EQ(len, 5u);
  EXPECT_EQ(decode_html_reference("&#8217;", 0, len), 0x2019u);
  EXPECT_EQ(len, 7u);
  EXPECT_EQ(decode_html_reference("&#x2019;", 0, len), 0x2019u);
  EXPECT_EQ(decode_html_reference("&#X41;", 0, len), U'A');
  EXPECT_EQ(decode_html_reference("&#146;", 0, len), 0x2019u);  // windows-1252 quote
  EXPECT_EQ(decode_html_reference("&#0;", 0, len), 0xFFFDu);
  EXPECT_EQ(decode_html_reference("&#xD800;", 0, len), 0xFFFDu);
  EXPECT_EQ(decode_html_reference("&copy 2024", 0, len), 0xA9u);
  EXPECT_EQ(len, 5u);
  EXPECT_EQ(decode_html_reference("& x", 0, len), 0u);
  EXPECT_EQ(decode_html_reference("&#;", 0, len), 0u);
  EXPECT_EQ(decode_html_reference("&bogus;", 0, len), 0u);
}

TEST(AppendUtf8, EncodesEveryLength) {
  std::string s;
  append_utf8(s, U'A');
  append_utf8(s, 0xE9);
  append_utf8(s, 0x20AC);
  append_utf8(s, 0x1F600);
  append_utf8(s, 0xD800);
  EXPECT_EQ(s, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBD");
}

TEST(HtmlToText, StripsTagsAndDecodesEntities) {
  EXPECT_EQ(html_to_text("<b>Hello</b> &amp; <i>bye</i>"), "Hello & bye");
  EXPECT_EQ(html_to_text("caf&eacute; &#8222;Zitat&#8220;"), "café „Zitat“");
  EXPECT_EQ(html_to_text("<a href=\"x?a=1&b=2\">link</a>"), "link");
  EXPECT_EQ(html_to_text("<img src='a.jpg' alt=\"x > y\">text"), "text");
  EXPECT_EQ(html_to_text("AT&T and R&D"), "AT&T and R&D");
}

TEST(HtmlToText, SeparatesBlocks) {
  EXPECT_EQ(html_to_text("<p>One</p><p>Two</p>"), "One\n\nTwo");
  EXPECT_EQ(html_to_text("<div>One</div>Two"), "One\n\nTwo");
  EXPECT_EQ(html_to_text("line<br>next<br/>last"), "line\nnext\nlast");
  EXPECT_EQ(html_to_text("<ul><li>a</li><li>b</li></ul>after"), "a\nb\n\nafter");
  EXPECT_EQ(html_to_text("<h2>Head</h2>body"), "Head\n\nbody");
  EXPECT_EQ(html_to_text("<table><tr><td>a</td><td>b</td></tr></table>"), "a b");
  EXPECT_EQ(html_to_text("<P>Upper</P><P>case</P>"), "Upper\n\ncase");
}

TEST(HtmlToText, CollapsesWhitespace) {
  EXPECT_EQ(html_to_text("  a \n\t b  "), "a b");
  EXPECT_EQ(html_to_text("a&nbsp;&nbsp;b"), "a b");
  EXPECT_EQ(html_to_text("a\xC2\xA0 b"), "a b");
  EXPECT_EQ(html_to_text("<p>  </p><p> x </p>"), "x");
  EXPECT_EQ(html_to_text(""), "");
}

TEST(HtmlToText, DropsScriptsStylesAndComments) {
  EXPECT_EQ(html_to_text("a<script>var x = '<p>';</script>b"), "ab");
  EXPECT_EQ(html_to_text("a<style>p { color: red }</style> b"), "a b");
  EXPECT_EQ(html_to_text("a<!-- hidden <p> -->b"), "ab");
  EXPECT_EQ(html_to_text("a<SCRIPT>x</SCRIPT>b"), "ab");
  EXPECT_EQ(html_to_text("a<script>never closed"), "a");
}

TEST(HtmlToText, KeepsTextThatIsNotMarkup) {
  EXPECT_EQ(html_to_text("1 < 2 and 3 > 2"), "1 < 2 and 3 > 2");
  EXPECT_EQ(html_to_text("x <3"), "x <3");
  EXPECT_EQ(html_to_text("<![CDATA[raw <text>]]>"), "raw <text>");
  EXPECT_EQ(html_to_text("unclosed <b"), "unclosed");
}

TEST(HtmlToLine, MakesOneLine) {
  EXPECT_EQ(html_to_line("<p>One</p><p>Two</p>"), "One Two");
  EXPECT_EQ(html_to_line("  Breaking:\n  news  "), "Breaking: news");
  EXPECT_EQ(html_to_line("Tom &amp;amp; Jerry"), "Tom &amp; Jerry");
  EXPECT_EQ(html_to_line("A <em>big</em> day"), "A big day");
}

TEST(NormalizeText, KeepsParagraphsOfPlainText) {
  EXPECT_EQ(normalize_text("a  b\n\n\nc\nd"), "a b\n\nc\nd");
  EXPECT_EQ(normalize_text("  x <b> y  "), "x <b> y");
  EXPECT_EQ(normalize_line("a\n\nb"), "a b");
  EXPECT_EQ(normalize_text("a &amp; b"), "a &amp; b");
}

}  // namespace
}  // namespace newswatch::parsers
