// The hand-written corpus under tests/data/feeds: realistic feeds in the shapes German, English
// and Russian outlets publish, plus broken ones. Each test asserts what a reader must see.
#include <gtest/gtest.h>

#include "parsers/feed_parser.h"
#include "tests/support/sandbox.h"

namespace newswatch::parsers {
namespace {

using newswatch::testing::read_file;
using newswatch::testing::test_data;

std::string iso(const std::optional<TimePoint>& t) { return t ? format_iso8601(*t) : "null"; }

Feed parse_file(const std::string& name, const std::string& url = "",
                const std::string& content_type = "") {
  const std::string bytes = read_file(test_data("feeds/" + name));
  EXPECT_FALSE(bytes.empty()) << name;
  FeedParseOptions options;
  options.url = url;
  options.content_type = content_type;
  Result<Feed> feed = parse_feed(bytes, options);
  EXPECT_TRUE(feed) << name << ": " << (feed ? "" : feed.error().to_string());
  return feed ? std::move(feed).value() : Feed{};
}

TEST(FeedCorpus, WordPressGerman) {
  const Feed f = parse_file("wordpress_de.xml", "https://www.stadtbote-leipzig.de/feed/");
  EXPECT_EQ(f.kind, FeedKind::rss);
  EXPECT_EQ(f.title, "Stadtbote Leipzig \u2013 Nachrichten aus der Region");
  EXPECT_EQ(f.link, "https://www.stadtbote-leipzig.de");
  ASSERT_EQ(f.entries.size(), 3u);
  const FeedEntry& e = f.entries[0];
  EXPECT_EQ(e.id, "https://www.stadtbote-leipzig.de/?p=48211");
  EXPECT_EQ(e.link, "https://www.stadtbote-leipzig.de/2024/06/17/stadtrat-radwegekonzept/");
  EXPECT_EQ(e.title, "Stadtrat beschließt neues Radwegekonzept für die Innenstadt");
  EXPECT_EQ(e.author, "Katrin Müller");
  EXPECT_EQ(iso(e.published), "2024-06-17T07:30:00Z");
  EXPECT_EQ(iso(e.updated), "null");
  EXPECT_EQ(e.summary.rfind("Mit knapper Mehrheit hat der Stadtrat am Sonntagabend das ", 0), 0u);
  EXPECT_NE(e.summary.find("\u201eRadwegekonzept 2030\u201c"), std::string::npos);
  EXPECT_NE(e.summary.find("Opposition \u2026 Weiterlesen"), std::string::npos);
  EXPECT_EQ(e.summary.find('<'), std::string::npos);
  EXPECT_NE(e.content.find("verabschiedet.\n\nOberbürgermeisterin Anna Weber sprach"),
            std::string::npos);
  EXPECT_NE(e.content.find("\n\nEin neuer Radweg am Ring.\n\n"), std::string::npos);
  EXPECT_EQ(e.content.find("wp-content"), std::string::npos);
  EXPECT_EQ(f.entries[1].content,
            "Entwarnung am Abend: Der Pegel fällt seit Mittag.\n\n"
            "Messstelle Knauthain: 2,10 m\nMessstelle Schkeuditz: 1,85 m");
  EXPECT_EQ(iso(f.entries[1].published), "2024-06-16T18:05:12Z");
  EXPECT_EQ(f.entries[2].title, "Kommentar: Warum die Leipziger Messe \u201eneu denken\u201c muss");
  EXPECT_EQ(f.entries[2].author, "Jörg Schäfer");
  EXPECT_EQ(f.entries[2].content, "");
}

TEST(FeedCorpus, DrupalEnglishWithEscapedHtmlAndXmlBase) {
  const Feed f = parse_file("drupal_en.xml");
  ASSERT_EQ(f.entries.size(), 2u);
  const FeedEntry& e = f.entries[0];
  EXPECT_EQ(e.link,
            "https://www.northshire-gazette.co.uk/news/council-approves-flood-defence-scheme");
  EXPECT_EQ(e.id, "10231 at https://www.northshire-gazette.co.uk");
  EXPECT_EQ(e.title, "Council approves £2.4m flood defence scheme");
  EXPECT_EQ(e.summary,
            "Council approves £2.4m flood defence scheme\n\nCouncillors voted 31\u20134 in favour "
            "of the plan on Tuesday.\n\nWork will start in September.");
  EXPECT_EQ(iso(e.published), "2024-06-18T15:45:00Z");
  EXPECT_EQ(e.author, "Tom Hughes");
  EXPECT_EQ(f.entries[1].title, "Roadworks on the A61 & A64 this weekend");
  EXPECT_EQ(f.entries[1].link, "https://www.northshire-gazette.co.uk/news/roadworks-a61-a64");
  EXPECT_EQ(f.entries[1].author, "Sarah O'Neill");
}

TEST(FeedCorpus, ArcEnglishWithMediaAndSeveralCreators) {
  const Feed f = parse_file("arc_en.xml");
  EXPECT_EQ(f.title, "The Capital Ledger - Politics");
  ASSERT_EQ(f.entries.size(), 2u);
  const FeedEntry& e = f.entries[0];
  EXPECT_EQ(e.author, "Maria Lopez, James Chen");
  EXPECT_EQ(e.summary, "The measure now heads to the full chamber, where its fate is uncertain.");
  EXPECT_EQ(e.content,
            "The measure now heads to the full chamber.\n\nLeaders said a vote could come next "
            "week.");
  EXPECT_EQ(iso(e.published), "2024-06-18T20:15:03Z");
  EXPECT_EQ(e.id, e.link);
  EXPECT_EQ(f.entries[1].summary, "Five takeaways from Tuesday's contests.");
}

TEST(FeedCorpus, BroadcasterEnglishWithImageBlockFirst) {
  const Feed f = parse_file("bbc_en.xml");
  // <image> carries its own title and link; the channel's must win.
  EXPECT_EQ(f.title, "Island Broadcasting News - UK");
  EXPECT_EQ(f.link, "https://www.example.co.uk/news/uk");
  ASSERT_EQ(f.entries.size(), 2u);
  const FeedEntry& e = f.entries[0];
  EXPECT_EQ(e.id, "https://www.example.co.uk/news/articles/c4nn1l2x3o#0");
  // Tracking parameters stay: canonicalisation belongs to storage.
  EXPECT_EQ(e.link,
            "https://www.example.co.uk/news/articles/c4nn1l2x3o?at_medium=RSS&at_campaign=rss");
  EXPECT_EQ(e.title, "Rail strike called off after late talks");
  EXPECT_EQ(e.summary, "Unions say a new offer will be put to members next week.");
  EXPECT_EQ(iso(e.published), "2024-06-18T20:41:07Z");
  EXPECT_EQ(e.author, "");
  EXPECT_EQ(f.entries[1].title, "Weather: Heat health alert issued for England");
  EXPECT_EQ(iso(f.entries[1].published), "2024-06-18T18:02:44Z");
}

TEST(FeedCorpus, GermanMagazineWithGermanDayNames) {
  const Feed f = parse_file("spiegel_de.xml");
  EXPECT_EQ(f.title, "DER BEISPIEL - Schlagzeilen");
  ASSERT_EQ(f.entries.size(), 2u);
  const FeedEntry& e = f.entries[0];
  EXPECT_EQ(
      e.id,
      "https://www.beispiel-magazin.de/politik/deutschland/bundestag-schuldenbremse-a-1234abcd");
  EXPECT_EQ(e.link, e.id + "#ref=rss");
  EXPECT_EQ(iso(e.published), "2025-01-15T09:20:00Z");
  EXPECT_EQ(e.summary,
            "Die Union wollte eine Abstimmung erzwingen \u2013 ohne Erfolg. Die Koalition verweist "
            "auf den Haushaltsausschuss.");
  EXPECT_EQ(e.content, "Die Union wollte eine Abstimmung erzwingen \u2013 ohne Erfolg.");
  EXPECT_EQ(f.entries[1].title, "Glatteis: Mehr als 200 Unfälle in Bayern");
  EXPECT_EQ(iso(f.entries[1].published), "2025-01-15T08:05:00Z");
}

TEST(FeedCorpus, RussianWindows1251) {
  const Feed f = parse_file("russian_cp1251.xml");
  EXPECT_EQ(f.title, "Новости Примерска");
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].title, "Мэр Примерска открыл новый мост через реку");
  EXPECT_EQ(f.entries[0].author, "Иван Петров");
  EXPECT_EQ(f.entries[0].summary, "Движение по мосту откроется в четверг «в штатном режиме».");
  EXPECT_EQ(iso(f.entries[0].published), "2024-06-18T12:30:00Z");
  EXPECT_EQ(f.entries[0].content,
            "Движение по мосту откроется в четверг. Стоимость работ составила 1,2 млрд рублей.");
  EXPECT_EQ(iso(f.entries[1].published), "2024-06-18T09:00:00Z");
  EXPECT_EQ(f.entries[1].content, "");
  EXPECT_EQ(f.entries[1].title, "Синоптики обещают жару до +35");
}

TEST(FeedCorpus, RussianYandexTurbo) {
  const Feed f = parse_file("yandex_turbo_ru.xml");
  EXPECT_EQ(f.title, "Городские вести");
  ASSERT_EQ(f.entries.size(), 1u);
  const FeedEntry& e = f.entries[0];
  EXPECT_EQ(e.title, "В центре города ограничат движение");
  EXPECT_EQ(e.author, "Мария Смирнова");
  EXPECT_EQ(iso(e.published), "2024-06-18T13:20:00Z");
  EXPECT_EQ(e.content,
            "В центре города ограничат движение\n\nОграничения продлятся до воскресенья.\n\n"
            "Объезд \u2014 по набережной.");
}

TEST(FeedCorpus, RussianKoi8rNamedOnlyByContentType) {
  const Feed f = parse_file("russian_koi8r_nodecl.xml", "", "application/rss+xml; charset=KOI8-R");
  EXPECT_EQ(f.title, "Вести Села");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].title, "Урожай пшеницы вырос на 12%");
  EXPECT_EQ(f.entries[0].summary, "Аграрии довольны.");
  EXPECT_EQ(iso(f.entries[0].published), "2024-06-18T07:00:00Z");
}

TEST(FeedCorpus, DeclarationBeatsContentTypeCharset) {
  // The document declares windows-1251; a wrong header charset must not garble it.
  const Feed f = parse_file("russian_cp1251.xml", "", "text/xml; charset=utf-8");
  EXPECT_EQ(f.title, "Новости Примерска");
}

TEST(FeedCorpus, MislabelledWindows1252) {
  const Feed f = parse_file("latin1_declared_utf8.xml");
  EXPECT_EQ(f.title, "Münchner Blatt");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].title, "Café-Streit in Schwabing: Stadt prüft Außenflächen");
  EXPECT_EQ(f.entries[0].summary, "Die Wirte sind verärgert \u2013 \u201eso nicht\u201c.");
  EXPECT_EQ(iso(f.entries[0].published), "2024-06-18T07:00:00Z");
}

TEST(FeedCorpus, GoogleNewsSitemap) {
  const Feed f = parse_file("google_news_sitemap.xml");
  EXPECT_EQ(f.kind, FeedKind::sitemap);
  ASSERT_EQ(f.entries.size(), 3u);
  const FeedEntry& e = f.entries[0];
  EXPECT_EQ(
      e.link,
      "https://www.nachrichten-beispiel.de/politik/deutschland/haushalt-2025-einigung-100.html");
  EXPECT_EQ(e.id, e.link);
  EXPECT_EQ(e.title, "Haushalt 2025: Koalition erzielt Einigung & vertagt Streitpunkte");
  EXPECT_EQ(iso(e.published), "2024-06-17T07:15:00Z");
  EXPECT_EQ(iso(e.updated), "2024-06-17T08:42:11Z");
  EXPECT_EQ(f.entries[1].title, "Inflation sinkt im Juni auf 2,2 Prozent");
  EXPECT_EQ(iso(f.entries[1].published), "2024-06-17T00:00:00Z");
  EXPECT_EQ(iso(f.entries[1].updated), "null");
  EXPECT_EQ(f.entries[2].title, "");
  EXPECT_EQ(iso(f.entries[2].published), "null");
  EXPECT_EQ(iso(f.entries[2].updated), "2024-06-16T22:01:00Z");
  EXPECT_TRUE(f.child_sitemaps.empty());
}

TEST(FeedCorpus, GzippedSitemapEqualsPlain) {
  const Feed plain = parse_file("google_news_sitemap.xml");
  const Feed gz = parse_file("google_news_sitemap.xml.gz");
  ASSERT_EQ(gz.entries.size(), plain.entries.size());
  for (size_t i = 0; i < gz.entries.size(); ++i) {
    EXPECT_EQ(gz.entries[i].link, plain.entries[i].link);
    EXPECT_EQ(gz.entries[i].title, plain.entries[i].title);
    EXPECT_EQ(gz.entries[i].updated, plain.entries[i].updated);
  }
}

TEST(FeedCorpus, LargeGzippedSitemapKeepsOrder) {
  const Feed f = parse_file("sitemap_2000.xml.gz");
  ASSERT_EQ(f.entries.size(), 2000u);
  EXPECT_EQ(f.entries[0].link, "https://www.example-news.ru/news/0.html");
  EXPECT_EQ(f.entries[1999].link, "https://www.example-news.ru/news/1999.html");
  EXPECT_EQ(iso(f.entries[27].updated), "2024-06-28T07:00:00Z");
}

TEST(FeedCorpus, TruncatedGzipYieldsWholeUrlsOnly) {
  const Feed f = parse_file("sitemap_2000_truncated.xml.gz");
  ASSERT_GT(f.entries.size(), 100u);
  ASSERT_LT(f.entries.size(), 2000u);
  for (size_t i = 0; i < f.entries.size(); ++i) {
    EXPECT_EQ(f.entries[i].link, "https://www.example-news.ru/news/" + std::to_string(i) + ".html");
  }
}

TEST(FeedCorpus, SitemapIndexListsChildren) {
  for (const char* name : {"sitemap_index.xml", "sitemap_index_stored.xml.gz"}) {
    const Feed f = parse_file(name, "https://www.example-news.ru/sitemap.xml");
    EXPECT_EQ(f.kind, FeedKind::sitemap) << name;
    EXPECT_TRUE(f.entries.empty()) << name;
    ASSERT_EQ(f.child_sitemaps.size(), 3u) << name;
    EXPECT_EQ(f.child_sitemaps[0], "https://www.example-news.ru/sitemap-news.xml");
    EXPECT_EQ(f.child_sitemaps[1], "https://www.example-news.ru/sitemap-2024-06.xml.gz");
    EXPECT_EQ(f.child_sitemaps[2], "https://www.example-news.ru/sitemap-2024-05.xml.gz");
  }
}

TEST(FeedCorpus, TextSitemap) {
  const Feed f = parse_file("sitemap.txt");
  EXPECT_EQ(f.kind, FeedKind::sitemap);
  ASSERT_EQ(f.entries.size(), 3u);
  EXPECT_EQ(f.entries[2].link, "https://www.example.de/c.html");
}

TEST(FeedCorpus, Atom10WithXmlBaseAndTextTypes) {
  const Feed f = parse_file("atom_10.xml", "https://blog.example.org/feed.atom");
  EXPECT_EQ(f.kind, FeedKind::atom);
  EXPECT_EQ(f.title, "Example Engineering & News");
  EXPECT_EQ(f.link, "https://blog.example.org/");
  ASSERT_EQ(f.entries.size(), 3u);
  const FeedEntry& e = f.entries[0];
  EXPECT_EQ(e.title, "Release 4.0 is out");
  EXPECT_EQ(e.link, "https://blog.example.org/news/2024/06/release-4");
  EXPECT_EQ(e.id, "tag:blog.example.org,2024:post-77");
  EXPECT_EQ(iso(e.published), "2024-06-18T07:30:00Z");
  EXPECT_EQ(iso(e.updated), "2024-06-18T09:00:00Z");
  EXPECT_EQ(e.author, "Ada Park");
  EXPECT_EQ(e.summary, "Plain text summary with a <tag> that stays.");
  EXPECT_EQ(e.content, "First paragraph.\n\nSecond link.");
  EXPECT_EQ(f.entries[1].link, "https://other.example.net/archive/item-2.html");
  EXPECT_EQ(f.entries[1].summary, "An html summary here.");
  EXPECT_EQ(iso(f.entries[1].published), "null");
  EXPECT_EQ(f.entries[1].author, "Editorial Team");
  EXPECT_EQ(f.entries[2].link, "");
  EXPECT_EQ(f.entries[2].id, "tag:blog.example.org,2024:post-75");
  EXPECT_EQ(f.entries[2].content, "Body only.");
}

TEST(FeedCorpus, Atom03) {
  const Feed f = parse_file("atom_03.xml");
  EXPECT_EQ(f.kind, FeedKind::atom);
  EXPECT_EQ(f.title, "Old Atom Blog");
  EXPECT_EQ(f.link, "http://old.example.com/");
  ASSERT_EQ(f.entries.size(), 1u);
  const FeedEntry& e = f.entries[0];
  EXPECT_EQ(iso(e.published), "2004-06-18T15:00:00Z");
  EXPECT_EQ(iso(e.updated), "2004-06-18T11:30:00Z");
  EXPECT_EQ(e.content, "Escaped HTML body.");
  EXPECT_EQ(e.summary, "Short text.");
  EXPECT_EQ(e.author, "Old Author");
}

TEST(FeedCorpus, Rss10Rdf) {
  const Feed f = parse_file("rss_10_rdf.xml");
  EXPECT_EQ(f.kind, FeedKind::rss);
  EXPECT_EQ(f.title, "Technik-Ticker");
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].link, "https://www.heise-beispiel.de/news/a-1.html");
  EXPECT_EQ(iso(f.entries[0].published), "2024-06-18T12:22:00Z");
  EXPECT_EQ(f.entries[0].author, "Max Muster");
  // No <link>: rdf:about names the item.
  EXPECT_EQ(f.entries[1].link, "https://www.heise-beispiel.de/news/a-2.html");
  EXPECT_EQ(f.entries[1].title, "Sicherheitslücke in Router-Firmware");
}

TEST(FeedCorpus, Rss090) {
  const Feed f = parse_file("rss_090.xml");
  EXPECT_EQ(f.title, "Mozilla Dot Org");
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[1].title, "Bugzilla Reorganized");
  EXPECT_EQ(f.entries[1].link, "http://www.mozilla.org/bugs/");
}

TEST(FeedCorpus, Rss091WithHtmlEntitiesAndLatin1) {
  const Feed f = parse_file("rss_091.xml");
  EXPECT_EQ(f.title, "Café Journal");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].title, "L\u2019été arrive !");
  EXPECT_EQ(f.entries[0].summary, "Prévisions météo « chaudes ».");
}

TEST(FeedCorpus, JsonFeed11) {
  const Feed f = parse_file("jsonfeed_11.json", "https://brief.example.com/feed.json");
  EXPECT_EQ(f.kind, FeedKind::json);
  EXPECT_EQ(f.title, "Morning Brief");
  EXPECT_EQ(f.link, "https://brief.example.com/");
  ASSERT_EQ(f.entries.size(), 3u);
  EXPECT_EQ(f.entries[0].id, "2024-06-18-markets");
  EXPECT_EQ(f.entries[0].content, "Stocks rose & bonds rallied.\n\nOil fell.");
  EXPECT_EQ(f.entries[0].summary, "Stocks rose.");
  EXPECT_EQ(iso(f.entries[0].published), "2024-06-18T11:00:00Z");
  EXPECT_EQ(iso(f.entries[0].updated), "2024-06-18T12:15:00Z");
  EXPECT_EQ(f.entries[0].author, "Lee Wong, Ana Ruiz");
  EXPECT_EQ(f.entries[1].id, "42");
  EXPECT_EQ(f.entries[1].link, "https://brief.example.com/2024/06/17/weather");
  EXPECT_EQ(f.entries[1].content, "Temperatures stay high.\n\nStay hydrated.");
  EXPECT_EQ(f.entries[1].author, "Brief Desk");
  EXPECT_EQ(f.entries[2].id, "https://elsewhere.example.net/story");
  EXPECT_EQ(iso(f.entries[2].published), "null");
}

TEST(FeedCorpus, JsonFeed10) {
  const Feed f = parse_file("jsonfeed_10.json");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].author, "Solo Writer");
  EXPECT_EQ(f.entries[0].content, "Hello");
  EXPECT_EQ(iso(f.entries[0].published), "2019-01-02T03:04:05Z");
}

TEST(FeedCorpus, HtmlPageIsNotAFeed) {
  const Result<Feed> f = parse_feed(read_file(test_data("feeds/html_page.html")), {});
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, ErrorCode::parse_error);
  EXPECT_NE(f.error().message.find("HTML"), std::string::npos);
}

TEST(FeedCorpus, BrokenEntities) {
  const Feed f = parse_file("broken_entities.xml");
  EXPECT_EQ(f.title, "Broken & Co \u2013 News");
  ASSERT_EQ(f.entries.size(), 1u);
  const FeedEntry& e = f.entries[0];
  EXPECT_EQ(e.title, "Tom & Jerry return \u2014 10\u20ac tickets ©");
  EXPECT_EQ(e.link, "https://broken.example.com/item?id=1&ref=rss&x=2");
  EXPECT_NE(e.summary.find("Fish & chips été"), std::string::npos);
  EXPECT_NE(e.summary.find("\u2019quoted\u2019 \u2019cp1252\u2019"), std::string::npos);
  EXPECT_NE(e.summary.find(" end"), std::string::npos);
}

TEST(FeedCorpus, BrokenUnescapedHtmlKeepsStructure) {
  const Feed f = parse_file("broken_unescaped_html.xml");
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].title, "First bold title");
  EXPECT_EQ(f.entries[0].summary, "Para one\nline two\n\nPara two with image");
  EXPECT_EQ(iso(f.entries[0].published), "2024-06-17T10:00:00Z");
  EXPECT_EQ(f.entries[1].title, "Second item survives");
  EXPECT_EQ(f.entries[1].link, "https://raw.example.com/2");
}

TEST(FeedCorpus, BrokenNestedCdata) {
  const Feed f = parse_file("broken_nested_cdata.xml");
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].title, "Double wrapped title");
  EXPECT_EQ(f.entries[0].summary, "outer inner tail");
  EXPECT_EQ(f.entries[0].content, "An article about XML: write <![CDATA[ to start a section.");
  EXPECT_EQ(f.entries[1].title, "After nesting");
}

TEST(FeedCorpus, BrokenBomAndLeadingWhitespace) {
  const Feed f = parse_file("broken_bom_whitespace.xml");
  EXPECT_EQ(f.title, "BOM and whitespace");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].link, "http://bom.example.com/1");
}

TEST(FeedCorpus, BrokenTruncatedKeepsWholeItems) {
  const Feed f = parse_file("broken_truncated.xml");
  EXPECT_EQ(f.title, "Truncated Times");
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].title, "One");
  EXPECT_EQ(f.entries[1].link, "https://trunc.example.com/2");
}

TEST(FeedCorpus, BrokenUndeclaredPrefixes) {
  const Feed f = parse_file("broken_undeclared_prefixes.xml");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].author, "Ghost Writer");
  EXPECT_EQ(iso(f.entries[0].published), "2024-06-18T08:00:00Z");
  EXPECT_EQ(f.entries[0].content, "Full text.");
}

TEST(FeedCorpus, RelativeLinksAndIdentity) {
  const Feed f = parse_file("rss_relative_links.xml", "https://rel.example.org/feeds/main.xml");
  EXPECT_EQ(f.link, "https://rel.example.org/");
  ASSERT_EQ(f.entries.size(), 6u);  // the empty <item/> is dropped
  EXPECT_EQ(f.entries[0].link, "https://rel.example.org/politik/artikel-1.html");
  EXPECT_EQ(f.entries[0].id, f.entries[0].link);
  EXPECT_EQ(f.entries[1].link, "https://rel.example.org/guid-link");
  EXPECT_EQ(f.entries[2].link, "");
  EXPECT_EQ(f.entries[2].id, "abc-123");
  EXPECT_EQ(f.entries[3].link, "https://rel.example.org/atom-link");
  EXPECT_EQ(f.entries[4].link, "https://rel.example.org/real-article");
  EXPECT_EQ(f.entries[5].id.substr(0, 5), "hash:");
  EXPECT_EQ(f.entries[5].link, "");
}

TEST(FeedCorpus, EveryTruncationOfEveryFeedIsSafe) {
  // Parsing any prefix must not crash, and never invents more items than the whole document has.
  for (const char* name : {"wordpress_de.xml", "atom_10.xml", "rss_10_rdf.xml",
                           "google_news_sitemap.xml", "jsonfeed_11.json", "broken_nested_cdata.xml",
                           "broken_unescaped_html.xml", "sitemap_index_stored.xml.gz"}) {
    const std::string bytes = read_file(test_data(std::string("feeds/") + name));
    const Result<Feed> whole = parse_feed(bytes, {});
    ASSERT_TRUE(whole) << name;
    size_t previous = 0;
    for (size_t n = 0; n <= bytes.size(); n += 7) {
      const Result<Feed> part = parse_feed(std::string_view(bytes).substr(0, n), {});
      if (!part) continue;
      EXPECT_LE(part->entries.size(), whole->entries.size()) << name << " at " << n;
      EXPECT_GE(part->entries.size() + 1, previous) << name << " at " << n;
      previous = part->entries.size();
    }
  }
}

}  // namespace
}  // namespace newswatch::parsers
