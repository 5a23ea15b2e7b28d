// parse_feed on small inline documents: one rule of the feed contract per test.
#include "parsers/feed_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace newswatch::parsers {
namespace {

std::string iso(const std::optional<TimePoint>& t) { return t ? format_iso8601(*t) : "null"; }

Feed parse_ok(std::string_view bytes, const std::string& url = "",
              const std::string& content_type = "") {
  FeedParseOptions options;
  options.url = url;
  options.content_type = content_type;
  Result<Feed> feed = parse_feed(bytes, options);
  EXPECT_TRUE(feed) << (feed ? "" : feed.error().to_string());
  return feed ? std::move(feed).value() : Feed{};
}

Error parse_error(std::string_view bytes) {
  Result<Feed> feed = parse_feed(bytes, {});
  EXPECT_FALSE(feed) << "parsed as a feed: " << bytes.substr(0, 60);
  return feed ? Error{} : feed.error();
}

std::string rss(const std::string& items, const std::string& ns = "") {
  return "<?xml version=\"1.0\"?><rss version=\"2.0\"" + ns +
         "><channel><title>T</title><link>https://site.example/</link>" + items +
         "</channel></rss>";
}

// A gzip member holding `data` in one stored deflate block (CRC is not checked by gunzip).
std::string gzip_stored(const std::string& data) {
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  const auto len = static_cast<uint16_t>(data.size());
  out += '\x01';
  out += static_cast<char>(len & 0xFF);
  out += static_cast<char>(len >> 8);
  out += static_cast<char>(~len & 0xFF);
  out += static_cast<char>((~len >> 8) & 0xFF);
  out += data;
  out.append(8, '\0');
  return out;
}

TEST(ParseFeed, DetectsTheFormatFromTheBytes) {
  EXPECT_EQ(parse_ok(rss("")).kind, FeedKind::rss);
  EXPECT_EQ(parse_ok("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title></feed>").kind,
            FeedKind::atom);
  EXPECT_EQ(parse_ok("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
                     "xmlns=\"http://purl.org/rss/1.0/\"><channel><title>R</title></channel>"
                     "</rdf:RDF>")
                .kind,
            FeedKind::rss);
  EXPECT_EQ(parse_ok("{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[]}").kind,
            FeedKind::json);
  EXPECT_EQ(parse_ok("<urlset><url><loc>https://a.example/x</loc></url></urlset>").kind,
            FeedKind::sitemap);
  EXPECT_EQ(parse_ok("<sitemapindex><sitemap><loc>https://a.example/s.xml</loc></sitemap>"
                     "</sitemapindex>")
                .kind,
            FeedKind::sitemap);
}

TEST(ParseFeed, IgnoresAWrongContentType) {
  const Feed f = parse_ok(rss("<item><title>x</title></item>"), "", "text/html; charset=utf-8");
  EXPECT_EQ(f.kind, FeedKind::rss);
  ASSERT_EQ(f.entries.size(), 1u);
}

TEST(ParseFeed, RejectsWhatIsNotAFeed) {
  EXPECT_EQ(parse_error("").code, ErrorCode::parse_error);
  EXPECT_EQ(parse_error(" \n\t ").code, ErrorCode::parse_error);
  EXPECT_NE(parse_error("<!DOCTYPE html><html><body>x</body></html>").message.find("HTML"),
            std::string::npos);
  EXPECT_NE(parse_error("<html xmlns=\"http://www.w3.org/1999/xhtml\"><head/></html>")
                .message.find("HTML"),
            std::string::npos);
  EXPECT_NE(parse_error("<HTML><BODY>x</BODY></HTML>").message.find("HTML"), std::string::npos);
  EXPECT_NE(parse_error("<catalog><book/></catalog>").message.find("catalog"), std::string::npos);
  EXPECT_EQ(parse_error("{\"a\": 1}").code, ErrorCode::parse_error);
  EXPECT_EQ(parse_error("{\"items\": [").code, ErrorCode::parse_error);
  EXPECT_EQ(parse_error("just some words").code, ErrorCode::parse_error);
  EXPECT_EQ(parse_error(std::string("\x1f\x8bgarbage", 9)).code, ErrorCode::parse_error);
}

TEST(ParseFeed, ReadsFeedsAfterPhpWarnings) {
  const Feed f = parse_ok(
      "<br />\n<b>Deprecated</b>:  Function create_function() is deprecated in "
      "<b>/srv/wp-includes/x.php</b> on line <b>12</b><br />\n" +
      rss("<item><title>Still here</title></item>"));
  EXPECT_EQ(f.title, "T");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].title, "Still here");
}

TEST(ParseFeed, KeepsDocumentOrder) {
  std::string items;
  for (int i = 0; i < 50; ++i) {
    items += "<item><title>n" + std::to_string(i) + "</title><link>https://site.example/" +
             std::to_string(i) + "</link></item>";
  }
  const Feed f = parse_ok(rss(items));
  ASSERT_EQ(f.entries.size(), 50u);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(f.entries[static_cast<size_t>(i)].title, "n" + std::to_string(i));
}

TEST(ParseFeed, ChoosesStableIds) {
  const Feed f = parse_ok(
      rss("<item><guid>g-1</guid><link>https://site.example/a</link></item>"
          "<item><atom:id>urn:x:2</atom:id><link>https://site.example/b</link></item>"
          "<item><link>https://site.example/c</link></item>"
          "<item><title>Only title</title><pubDate>Mon, 17 Jun 2024 09:00:00 GMT</pubDate></item>"
          "<item><title>Only title</title><pubDate>Tue, 18 Jun 2024 09:00:00 GMT</pubDate></item>",
          " xmlns:atom=\"http://www.w3.org/2005/Atom\""));
  ASSERT_EQ(f.entries.size(), 5u);
  EXPECT_EQ(f.entries[0].id, "g-1");
  EXPECT_EQ(f.entries[1].id, "urn:x:2");
  EXPECT_EQ(f.entries[2].id, "https://site.example/c");
  EXPECT_EQ(f.entries[3].id.rfind("hash:", 0), 0u);
  EXPECT_NE(f.entries[3].id, f.entries[4].id);
  // The same item parsed again gets the same id.
  const Feed again = parse_ok(rss(
      "<item><title>Only title</title><pubDate>Mon, 17 Jun 2024 09:00:00 GMT</pubDate></item>"));
  ASSERT_EQ(again.entries.size(), 1u);
  EXPECT_EQ(again.entries[0].id, f.entries[3].id);
}

TEST(ParseFeed, KeepsMissingDatesMissing) {
  const Feed f =
      parse_ok(rss("<item><title>a</title></item>"
                   "<item><title>b</title><pubDate>yesterday</pubDate></item>"
                   "<item><title>c</title><pubDate></pubDate></item>"));
  ASSERT_EQ(f.entries.size(), 3u);
  for (const FeedEntry& e : f.entries) {
    EXPECT_FALSE(e.published) << e.title;
    EXPECT_FALSE(e.updated) << e.title;
  }
}

TEST(ParseFeed, MapsDateElements) {
  const Feed f = parse_ok(rss(
      "<item><title>a</title><dc:date>2024-06-17T09:00:00Z</dc:date>"
      "<dcterms:modified>2024-06-18T09:00:00Z</dcterms:modified></item>"
      "<item><title>b</title><pubDate>Mon, 17 Jun 2024 09:00:00 GMT</pubDate>"
      "<dc:date>2020-01-01T00:00:00Z</dc:date><atom:updated>2024-06-19T00:00:00Z</atom:updated>"
      "</item>",
      " xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\""
      " xmlns:atom=\"http://www.w3.org/2005/Atom\""));
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(iso(f.entries[0].published), "2024-06-17T09:00:00Z");
  EXPECT_EQ(iso(f.entries[0].updated), "2024-06-18T09:00:00Z");
  EXPECT_EQ(iso(f.entries[1].published), "2024-06-17T09:00:00Z");
  EXPECT_EQ(iso(f.entries[1].updated), "2024-06-19T00:00:00Z");
}

TEST(ParseFeed, AtomUpdatedDoesNotBecomePublished) {
  const Feed f = parse_ok(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id>"
      "<updated>2024-06-18T10:00:00Z</updated></entry></feed>");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(iso(f.entries[0].published), "null");
  EXPECT_EQ(iso(f.entries[0].updated), "2024-06-18T10:00:00Z");
}

TEST(ParseFeed, CleansTitles) {
  const Feed f =
      parse_ok(rss("<item><title>  Multi\n   line\ttitle </title></item>"
                   "<item><title><![CDATA[<b>Bold</b> &amp; more]]></title></item>"
                   "<item><title>Escaped &lt;i&gt;markup&lt;/i&gt; here</title></item>"
                   "<item><title>Caf&eacute; &#8222;Zitat&#8220; &hellip;</title></item>"
                   "<item><title>AT&amp;T earnings</title></item>"
                   "<item><title>1 &lt; 2</title></item>"));
  ASSERT_EQ(f.entries.size(), 6u);
  EXPECT_EQ(f.entries[0].title, "Multi line title");
  EXPECT_EQ(f.entries[1].title, "Bold & more");
  EXPECT_EQ(f.entries[2].title, "Escaped markup here");
  EXPECT_EQ(f.entries[3].title, "Café \u201eZitat\u201c \u2026");
  EXPECT_EQ(f.entries[4].title, "AT&T earnings");
  EXPECT_EQ(f.entries[5].title, "1 < 2");
}

TEST(ParseFeed, ResolvesRelativeLinks) {
  const std::string items =
      "<item><link>/a</link></item>"
      "<item><link>b/c.html</link></item>"
      "<item><link>//cdn.example.net/d</link></item>"
      "<item><link>\n   https://other.example/e  \n</link></item>"
      "<item><link><![CDATA[https://site.example/f?x=1&y=2]]></link></item>"
      "<item><link>https://site.example/g?x=1&y=2</link></item>";
  const Feed f = parse_ok(rss(items), "https://feeds.example/news/rss.xml");
  ASSERT_EQ(f.entries.size(), 6u);
  EXPECT_EQ(f.entries[0].link, "https://feeds.example/a");
  EXPECT_EQ(f.entries[1].link, "https://feeds.example/news/b/c.html");
  EXPECT_EQ(f.entries[2].link, "https://cdn.example.net/d");
  EXPECT_EQ(f.entries[3].link, "https://other.example/e");
  EXPECT_EQ(f.entries[4].link, "https://site.example/f?x=1&y=2");
  EXPECT_EQ(f.entries[5].link, "https://site.example/g?x=1&y=2");
  // Without a document URL the channel's link is the base.
  const Feed g = parse_ok(rss("<item><link>/a</link></item>"));
  ASSERT_EQ(g.entries.size(), 1u);
  EXPECT_EQ(g.entries[0].link, "https://site.example/a");
}

TEST(ParseFeed, HonoursXmlBaseOnItemsAndLinks) {
  const Feed f = parse_ok(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"https://a.example/blog/\">"
      "<entry><id>1</id><link href=\"p1\"/></entry>"
      "<entry xml:base=\"/other/\"><id>2</id><link href=\"p2\"/></entry>"
      "<entry><id>3</id><link xml:base=\"https://b.example/x/\" href=\"p3\"/></entry>"
      "</feed>",
      "https://feeds.example/atom.xml");
  ASSERT_EQ(f.entries.size(), 3u);
  EXPECT_EQ(f.entries[0].link, "https://a.example/blog/p1");
  EXPECT_EQ(f.entries[1].link, "https://a.example/other/p2");
  EXPECT_EQ(f.entries[2].link, "https://b.example/x/p3");
}

TEST(ParseFeed, PicksTheAlternateAtomLink) {
  const Feed f = parse_ok(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\">"
      "<link rel=\"self\" href=\"https://a.example/feed\"/>"
      "<link rel=\"alternate\" href=\"https://a.example/\"/>"
      "<entry><id>1</id><link rel=\"self\" href=\"https://a.example/api/1\"/>"
      "<link rel=\"replies\" href=\"https://a.example/1#c\"/>"
      "<link rel=\"alternate\" type=\"text/html\" href=\"https://a.example/1\"/>"
      "<link rel=\"alternate\" href=\"https://a.example/1-second\"/></entry>"
      "<entry><id>2</id><link href=\"https://a.example/2\"/></entry>"
      "<entry><id>3</id><content src=\"https://a.example/3.html\"/></entry>"
      "</feed>");
  EXPECT_EQ(f.link, "https://a.example/");
  ASSERT_EQ(f.entries.size(), 3u);
  EXPECT_EQ(f.entries[0].link, "https://a.example/1");
  EXPECT_EQ(f.entries[1].link, "https://a.example/2");
  EXPECT_EQ(f.entries[2].link, "");
  EXPECT_EQ(f.entries[2].content, "");
}

TEST(ParseFeed, ReadsAtomTextConstructsByType) {
  const Feed f = parse_ok(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"xhtml\"><div "
      "xmlns=\"http://www.w3.org/1999/xhtml\">X<b>H</b>TML</div></title>"
      "<entry><id>1</id><title type=\"text\">a &lt;b&gt; c</title>"
      "<summary type=\"html\">&lt;p&gt;p1&lt;/p&gt;&lt;p&gt;p2&lt;/p&gt;</summary>"
      "<content type=\"text\">line one\n\nline two</content></entry></feed>");
  EXPECT_EQ(f.title, "XHTML");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].title, "a <b> c");
  EXPECT_EQ(f.entries[0].summary, "p1\n\np2");
  EXPECT_EQ(f.entries[0].content, "line one\n\nline two");
}

TEST(ParseFeed, PrefersContentEncodedForContent) {
  const Feed f =
      parse_ok(rss("<item><description>&lt;p&gt;teaser&lt;/p&gt;</description>"
                   "<content:encoded><![CDATA[<p>full</p><p>text</p>]]></content:encoded></item>",
                   " xmlns:content=\"http://purl.org/rss/1.0/modules/content/\""));
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].summary, "teaser");
  EXPECT_EQ(f.entries[0].content, "full\n\ntext");
}

TEST(ParseFeed, CleansAuthors) {
  const Feed f =
      parse_ok(rss("<item><title>1</title><author>jo@example.org (Jo Doe)</author></item>"
                   "<item><title>2</title><author>Jo Doe &lt;jo@example.org&gt;</author></item>"
                   "<item><title>3</title><dc:creator>A</dc:creator><dc:creator>B</dc:creator>"
                   "<dc:creator>A</dc:creator></item>"
                   "<item><title>4</title><author>plain@example.org</author></item>",
                   " xmlns:dc=\"http://purl.org/dc/elements/1.1/\""));
  ASSERT_EQ(f.entries.size(), 4u);
  EXPECT_EQ(f.entries[0].author, "Jo Doe");
  EXPECT_EQ(f.entries[1].author, "Jo Doe");
  EXPECT_EQ(f.entries[2].author, "A, B");
  EXPECT_EQ(f.entries[3].author, "plain@example.org");
}

TEST(ParseFeed, FallsBackToMediaFields) {
  const Feed f = parse_ok(rss(
      "<item><link>https://v.example/1</link><media:group><media:title>Video title</media:title>"
      "<media:description>About the video</media:description></media:group></item>",
      " xmlns:media=\"http://search.yahoo.com/mrss/\""));
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].title, "Video title");
  EXPECT_EQ(f.entries[0].summary, "About the video");
}

TEST(ParseFeed, UsesContentTypeCharsetWithoutDeclaration) {
  const std::string latin1 =
      "<rss><channel><title>Gr\xFC\xDF"
      "e</title></channel></rss>";
  EXPECT_EQ(parse_ok(latin1, "", "application/xml; charset=iso-8859-1").title, "Grüße");
  // No header: invalid UTF-8 falls back to windows-1252.
  EXPECT_EQ(parse_ok(latin1).title, "Grüße");
  // A declaration wins over the header.
  const std::string declared = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>" + latin1;
  EXPECT_EQ(parse_ok(declared, "", "text/xml; charset=utf-8").title, "Grüße");
}

TEST(ParseFeed, ReadsUtf16WithBom) {
  const std::string ascii = "<rss><channel><title>Sixteen</title></channel></rss>";
  std::string le = "\xFF\xFE";
  for (const char c : ascii) {
    le += c;
    le += '\0';
  }
  EXPECT_EQ(parse_ok(le).title, "Sixteen");
}

TEST(ParseFeed, SubstitutesInternalEntitiesButNeverLoadsExternalOnes) {
  const Feed f = parse_ok(
      "<!DOCTYPE rss [<!ENTITY brand \"Acme News\">"
      "<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
      "<rss><channel><title>&brand;</title><item><title>x&xxe;y</title></item></channel></rss>");
  EXPECT_EQ(f.title, "Acme News");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].title.find("root:"), std::string::npos);
  EXPECT_EQ(f.entries[0].title.rfind("x", 0), 0u);
}

TEST(ParseFeed, SurvivesEntityExpansionBombs) {
  std::string dtd = "<!DOCTYPE rss [<!ENTITY a0 \"lol\">";
  for (int i = 1; i < 10; ++i) {
    dtd += "<!ENTITY a" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) dtd += "&a" + std::to_string(i - 1) + ";";
    dtd += "\">";
  }
  dtd += "]>";
  const Result<Feed> f = parse_feed(dtd + "<rss><channel><title>&a9;</title></channel></rss>", {});
  if (f) {
    EXPECT_LT(f->title.size(), 100'000u);
  }
}

TEST(ParseFeed, ReadsFeedsWithoutChannelOrWithAStrayDefaultNamespace) {
  const Feed bare = parse_ok("<channel><title>C</title><item><title>i</title></item></channel>");
  EXPECT_EQ(bare.title, "C");
  ASSERT_EQ(bare.entries.size(), 1u);
  const Feed outside = parse_ok(
      "<rss><channel><title>C</title></channel>"
      "<item><title>outside</title></item></rss>");
  ASSERT_EQ(outside.entries.size(), 1u);
  EXPECT_EQ(outside.entries[0].title, "outside");
  const Feed userland = parse_ok(
      "<rss xmlns=\"http://backend.userland.com/rss2\"><channel><title>U</title>"
      "<item><title>u1</title><link>https://u.example/1</link></item></channel></rss>");
  EXPECT_EQ(userland.title, "U");
  ASSERT_EQ(userland.entries.size(), 1u);
  EXPECT_EQ(userland.entries[0].link, "https://u.example/1");
}

TEST(ParseFeed, ReadsSitemapsWithoutNamespace) {
  const Feed f = parse_ok(
      "<urlset><url><loc>\n https://a.example/1 \n</loc><lastmod>2024-06-17</lastmod></url>"
      "<url><lastmod>2024-06-17</lastmod></url>"
      "<url><loc>/rel</loc></url></urlset>",
      "https://a.example/sitemap.xml");
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].link, "https://a.example/1");
  EXPECT_EQ(iso(f.entries[0].updated), "2024-06-17T00:00:00Z");
  EXPECT_EQ(f.entries[1].link, "https://a.example/rel");
}

TEST(ParseFeed, GunzipsCompressedDocuments) {
  const Feed f = parse_ok(gzip_stored(rss("<item><title>zipped</title></item>")));
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].title, "zipped");
}

TEST(ParseFeed, ReadsJsonFeedsDefensively) {
  const Feed f = parse_ok(
      "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":7,\"items\":["
      "{\"id\":\"a\",\"title\":[\"not\",\"a\",\"string\"],\"url\":5},"
      "\"not an object\","
      "{\"id\":\"b\",\"content_html\":\"<p>x &eacute;</p>\",\"authors\":\"nobody\"},"
      "{}]}");
  EXPECT_EQ(f.title, "7");  // numbers read as their decimal text, like numeric ids
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].id, "a");
  EXPECT_EQ(f.entries[0].title, "");
  EXPECT_EQ(f.entries[1].content, "x é");
  EXPECT_EQ(f.entries[1].author, "");
}

TEST(ParseFeed, ReadsTheWholeItemsOfATruncatedJsonFeed) {
  const std::string full =
      "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"J\",\"items\":["
      "{\"id\":\"1\",\"title\":\"one } ] \\\" tricky\",\"tags\":[\"a\"]},"
      "{\"id\":\"2\",\"title\":\"two\"},"
      "{\"id\":\"3\",\"title\":\"thr";
  const Feed f = parse_ok(full);
  EXPECT_EQ(f.title, "J");
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].title, "one } ] \" tricky");
  EXPECT_EQ(f.entries[1].id, "2");
  EXPECT_EQ(parse_error("{\"items\":[{\"id\":\"1\"").code, ErrorCode::parse_error);
}

TEST(ParseFeed, ToleratesInvalidUtf8InJson) {
  const Feed f = parse_ok("{\"items\":[{\"id\":\"1\",\"title\":\"bad \xFF byte\"}]}");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].title, "bad \xEF\xBF\xBD byte");
}

TEST(ParseFeed, NeverCrashesOnMutatedInput) {
  const std::string base =
      rss("<item><title>A &amp; B</title><link>/x</link><description><![CDATA[<p>t</p>]]>"
          "</description><pubDate>Mon, 17 Jun 2024 09:00:00 GMT</pubDate></item>"
          "<item><title>C</title><content:encoded><![CDATA[a <![CDATA[b]]> c]]></content:encoded>"
          "</item>",
          " xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"");
  std::mt19937 rng(12345);
  const std::string alphabet = "<>&;/![]\"'= \x1f\x8b\xC3\xFF\0ax";
  size_t parsed = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string doc = base;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits; ++k) {
      const size_t pos = rng() % doc.size();
      switch (rng() % 3) {
        case 0: doc[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: doc.erase(pos, 1 + rng() % 5); break;
        default: doc.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
      }
      if (doc.empty()) doc = "<";
    }
    const Result<Feed> f = parse_feed(doc, {});
    if (f) {
      ++parsed;
      EXPECT_LE(f->entries.size(), 3u);
    }
  }
  EXPECT_GT(parsed, 1000u);
}

}  // namespace
}  // namespace newswatch::parsers
