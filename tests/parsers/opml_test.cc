#include "parsers/opml.h"

#include <gtest/gtest.h>

namespace newswatch::parsers {
namespace {

// As Miniflux and FreshRSS export: folders as outlines with text only, feeds with xmlUrl;
// attribute case varies between producers.
constexpr const char* kReaderExport = R"(<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Meine Abos</title></head>
  <body>
    <outline text="Deutschland" title="Deutschland">
      <outline type="rss" text="tagesschau.de - Ausland" title="tagesschau.de - Ausland"
               xmlUrl="https://www.tagesschau.de/ausland/index~rss2.xml"
               htmlUrl="https://www.tagesschau.de/ausland"/>
      <outline text="Politik">
        <outline type="rss" text="Spiegel Politik" xmlurl="https://www.spiegel.de/politik/index.rss"/>
      </outline>
    </outline>
    <outline type="rss" text="ТАСС" xmlUrl="https://tass.ru/rss/v2.xml"/>
    <outline type="rss" text="duplicate" xmlUrl="https://tass.ru/rss/v2.xml"/>
    <outline type="rss" text="local file" xmlUrl="file:///etc/passwd"/>
  </body>
</opml>
)";

TEST(Opml, ReadsFeedsWithNestedCategoriesOnceEach) {
  const auto list = parse_opml(kReaderExport);
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ(list->title, "Meine Abos");
  ASSERT_EQ(list->feeds.size(), 3u);
  EXPECT_EQ(list->feeds[0].title, "tagesschau.de - Ausland");
  EXPECT_EQ(list->feeds[0].xml_url, "https://www.tagesschau.de/ausland/index~rss2.xml");
  EXPECT_EQ(list->feeds[0].html_url, "https://www.tagesschau.de/ausland");
  EXPECT_EQ(list->feeds[0].category, "Deutschland");
  EXPECT_EQ(list->feeds[1].xml_url, "https://www.spiegel.de/politik/index.rss");
  EXPECT_EQ(list->feeds[1].category, "Deutschland / Politik");
  EXPECT_EQ(list->feeds[2].title, "ТАСС");
  EXPECT_EQ(list->feeds[2].category, "");
  ASSERT_EQ(list->skipped.size(), 1u);
  EXPECT_NE(list->skipped[0].find("line 15"), std::string::npos) << list->skipped[0];
  EXPECT_NE(list->skipped[0].find("file:///etc/passwd"), std::string::npos);
}

TEST(Opml, ErrorsSayWhereAndWhy) {
  const auto broken = parse_opml("<opml version=\"2.0\">\n<body>\n<outline xmlUrl=\"x\">\n</opml>");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("line 4"), std::string::npos) << broken.error().message;

  const auto rss = parse_opml("<rss version=\"2.0\"><channel/></rss>");
  ASSERT_FALSE(rss);
  EXPECT_NE(rss.error().message.find("root element is <rss>"), std::string::npos);

  const auto headless = parse_opml("<opml version=\"1.0\"><head/></opml>");
  ASSERT_FALSE(headless);
  EXPECT_NE(headless.error().message.find("no <body>"), std::string::npos);
}

TEST(Opml, EntitiesAreNotExpandedFromOutside) {
  // An external entity must not be read (XXE): the title stays without the file's content.
  const auto list = parse_opml(
      "<?xml version=\"1.0\"?><!DOCTYPE opml [<!ENTITY x SYSTEM \"file:///etc/hostname\">]>"
      "<opml version=\"2.0\"><head><title>a&x;b</title></head><body>"
      "<outline text=\"t\" xmlUrl=\"https://example.org/feed\"/></body></opml>");
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ(list->title.find('\n'), std::string::npos);
  EXPECT_LE(list->title.size(), 4u) << list->title;
  EXPECT_EQ(list->feeds.size(), 1u);
}

TEST(Opml, WrittenListReadsBackTheSame) {
  std::vector<OpmlFeed> feeds = {
      {"Tagesschau \"Ausland\" & mehr", "https://www.tagesschau.de/rss?a=1&b=2", "", ""},
      {"ТАСС", "https://tass.ru/rss/v2.xml", "https://tass.ru", "Russland"}};
  const auto list = parse_opml(write_opml("newswatch <sources>", feeds));
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ(list->title, "newswatch <sources>");
  ASSERT_EQ(list->feeds.size(), 2u);
  EXPECT_EQ(list->feeds[0].title, feeds[0].title);
  EXPECT_EQ(list->feeds[0].xml_url, feeds[0].xml_url);
  EXPECT_EQ(list->feeds[1].category, "Russland");
  EXPECT_EQ(list->feeds[1].html_url, "https://tass.ru");
}

}  // namespace
}  // namespace newswatch::parsers
