#include "parsers/feed_xml_repair.h"

#include <gtest/gtest.h>

namespace newswatch::parsers {
namespace {

TEST(RepairFeedXml, DropsJunkBeforeRootAndTheDeclaration) {
  const RepairedXml r =
      repair_feed_xml("\n  junk<?xml version=\"1.0\" encoding=\"latin1\"?><rss/>");
  EXPECT_EQ(r.text, "<rss/>");
  EXPECT_EQ(r.root, "rss");
  EXPECT_FALSE(r.truncated);
}

TEST(RepairFeedXml, SkipsWarningsPrintedBeforeTheFeed) {
  const RepairedXml r = repair_feed_xml(
      "<br />\n<b>Warning</b>:  Cannot modify header information in <b>/var/www/x.php</b><br />\n"
      "<?xml version=\"1.0\"?><rss><channel/></rss>");
  EXPECT_EQ(r.root, "rss");
  EXPECT_EQ(r.text, "<rss><channel/></rss>");
  const RepairedXml no_decl =
      repair_feed_xml("<b>Notice</b>: undefined index<feed xmlns=\"a\"></feed>");
  EXPECT_EQ(no_decl.root, "feed");
  // A page without any feed keeps its own root, so it can be reported as what it is.
  EXPECT_EQ(repair_feed_xml("<html><body><p>x</p></body></html>").root, "html");
}

TEST(RepairFeedXml, FindsRootAfterPrologConstructs) {
  EXPECT_EQ(repair_feed_xml("<!-- c --><!DOCTYPE rss [<!ENTITY x \"y\">]><rss></rss>").root, "rss");
  EXPECT_EQ(repair_feed_xml("<?xml-stylesheet href=\"a\"?><rdf:RDF></rdf:RDF>").root, "rdf:RDF");
  EXPECT_EQ(repair_feed_xml("no markup").root, "");
}

TEST(RepairFeedXml, DecodesHtmlEntitiesAndEscapesStrayAmpersands) {
  EXPECT_EQ(repair_feed_xml("<a>caf&eacute;&nbsp;x</a>").text, "<a>café\xC2\xA0x</a>");
  EXPECT_EQ(repair_feed_xml("<a>Tom & Jerry</a>").text, "<a>Tom &amp; Jerry</a>");
  EXPECT_EQ(repair_feed_xml("<a>&amp;&lt;&gt;&quot;&apos;</a>").text,
            "<a>&amp;&lt;&gt;&quot;&apos;</a>");
  EXPECT_EQ(repair_feed_xml("<a>&#8217;&#x2019;</a>").text, "<a>&#8217;&#x2019;</a>");
  EXPECT_EQ(repair_feed_xml("<a>&#146;</a>").text, "<a>\xE2\x80\x99</a>");
  EXPECT_EQ(repair_feed_xml("<a>&#1;</a>").text, "<a>\xEF\xBF\xBD</a>");
  EXPECT_EQ(repair_feed_xml("<a>&nosuch;</a>").text, "<a>&amp;nosuch;</a>");
  EXPECT_EQ(repair_feed_xml("<a>R&D;</a>").text, "<a>R&amp;D;</a>");
}

TEST(RepairFeedXml, KeepsEntitiesTheDocumentDeclares) {
  const RepairedXml r = repair_feed_xml("<!DOCTYPE a [<!ENTITY own \"x\">]><a>&own;</a>");
  EXPECT_NE(r.text.find("<a>&own;</a>"), std::string::npos);
}

TEST(RepairFeedXml, FixesAmpersandsInAttributes) {
  EXPECT_EQ(repair_feed_xml("<l href=\"/a?x=1&y=2\"/>").text, "<l href=\"/a?x=1&amp;y=2\"/>");
  // Without ';' a legacy entity name in a URL stays literal, as browsers do.
  EXPECT_EQ(repair_feed_xml("<l href=\"/a?x=1&copy=2\"/>").text, "<l href=\"/a?x=1&amp;copy=2\"/>");
}

TEST(RepairFeedXml, EscapesRawMarkupInTextElements) {
  EXPECT_EQ(repair_feed_xml("<item><description>a<br>b</description></item>").text,
            "<item><description>a&lt;br&gt;b</description></item>");
  EXPECT_EQ(repair_feed_xml("<item><title>x <b>y</b></title></item>").text,
            "<item><title>x &lt;b&gt;y&lt;/b&gt;</title></item>");
  // media:* children are structure, not text.
  EXPECT_EQ(repair_feed_xml("<i><media:content url=\"u\"><media:title>t</media:title>"
                            "</media:content></i>")
                .text,
            "<i><media:content url=\"u\"><media:title>t</media:title></media:content></i>");
}

TEST(RepairFeedXml, FlattensNestedCdata) {
  const RepairedXml r =
      repair_feed_xml("<r><description><![CDATA[a <![CDATA[b]]> c]]></description></r>");
  EXPECT_EQ(r.text, "<r><description>a b c</description></r>");
}

TEST(RepairFeedXml, MovesCleanCdataOutOfTheDocument) {
  const std::string doc = "<r><description><![CDATA[<p>x & y</p>]]></description></r>";
  const RepairedXml r = repair_feed_xml(doc);
  ASSERT_EQ(r.out_of_line.size(), 1u);
  EXPECT_EQ(r.out_of_line[0].raw, "<p>x & y</p>");
  EXPECT_FALSE(r.out_of_line[0].escaped);
  const size_t open = r.text.find("<description>") + 13;
  const size_t close = r.text.find("</description>");
  EXPECT_EQ(cdata_placeholder_index(std::string_view(r.text).substr(open, close - open)), 0);
  EXPECT_EQ(cdata_placeholder_index("plain"), -1);
  EXPECT_EQ(cdata_placeholder_index(""), -1);
}

TEST(RepairFeedXml, MovesEscapedTextOutOfTheDocument) {
  const RepairedXml r =
      repair_feed_xml("<r><title>A &amp;amp; B &lt;b&gt;</title><link>x</link></r>");
  ASSERT_EQ(r.out_of_line.size(), 1u);
  EXPECT_TRUE(r.out_of_line[0].escaped);
  EXPECT_EQ(r.out_of_line[0].raw, "A &amp;amp; B &lt;b&gt;");
  EXPECT_NE(r.text.find("<link>x</link>"), std::string::npos);
  // With an internal subset the text stays for libxml2, which knows the declared entities.
  const RepairedXml own =
      repair_feed_xml("<!DOCTYPE r [<!ENTITY e \"x\">]><r><title>&e;</title></r>");
  EXPECT_TRUE(own.out_of_line.empty());
}

TEST(AppendXmlText, DecodesLikeTheParser) {
  std::string out;
  append_xml_text("a &amp;amp; &lt;b&gt; &quot;q&apos; &#8217; &#x41; &eacute; &#1; R&D &bogus;",
                  out);
  EXPECT_EQ(out, "a &amp; <b> \"q' \u2019 A \u00e9 \ufffd R&D &bogus;");
}

TEST(RepairFeedXml, CutsTruncatedDocumentsAfterTheLastWholeItem) {
  const RepairedXml r = repair_feed_xml(
      "<rss><channel><item><link>1</link></item><item><link>2</link></item><item><li");
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.text, "<rss><channel><item><link>1</link></item><item><link>2</link></item>");
  const RepairedXml atom = repair_feed_xml("<feed><entry><id>1</id></entry><entry><id>2");
  EXPECT_TRUE(atom.truncated);
  EXPECT_EQ(atom.text, "<feed><entry><id>1</id></entry>");
}

TEST(RepairFeedXml, NotesXmlBase) {
  EXPECT_TRUE(repair_feed_xml("<feed xml:base=\"http://a/\"></feed>").has_xml_base);
  EXPECT_FALSE(repair_feed_xml("<feed></feed>").has_xml_base);
}

TEST(RepairFeedXml, EscapesLessThanThatStartsNoTag) {
  EXPECT_EQ(repair_feed_xml("<a>1 < 2</a>").text, "<a>1 &lt; 2</a>");
}

}  // namespace
}  // namespace newswatch::parsers
