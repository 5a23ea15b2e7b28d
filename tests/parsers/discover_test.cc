#include "parsers/discover.h"

#include <gtest/gtest.h>

namespace newswatch::parsers {
namespace {

TEST(Discover, AnnouncedFeedsThenFeedLikeLinks) {
  const auto found = discover_feeds(
      "<html><head><base href='https://news.example/de/'>"
      "<link rel='alternate' type='application/rss+xml' title='Alle Meldungen' href='rss.xml'>"
      "<link rel='Alternate StyleSheet' type='text/css' href='x.css'>"
      "<link rel='alternate' type='application/atom+xml' href='/atom.xml'>"
      "<link rel='alternate' hreflang='en' href='/en/'>"
      "<link rel='alternate' type='application/feed+json' href='/feed.json'>"
      "</head><body><a href='/politik/rss'>RSS Politik</a> <a href='/de/rss.xml'>RSS</a>"
      "<a href='/politik/'>Politik</a><a href='mailto:x@y'>rss</a></body></html>",
      "https://news.example/de/start");
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].url, "https://news.example/de/rss.xml");
  EXPECT_EQ(found[0].type, "rss");
  EXPECT_EQ(found[0].title, "Alle Meldungen");
  EXPECT_EQ(found[0].found, "link-alternate");
  EXPECT_EQ(found[1].url, "https://news.example/atom.xml");
  EXPECT_EQ(found[1].type, "atom");
  EXPECT_EQ(found[2].type, "json");
  EXPECT_EQ(found[3].url, "https://news.example/politik/rss");
  EXPECT_EQ(found[3].found, "anchor");
}

TEST(Discover, CommonPathsOnTheSiteOrigin) {
  const auto urls = common_feed_urls("https://news.example:8443/a/b?c");
  ASSERT_FALSE(urls.empty());
  for (const auto& u : urls) EXPECT_EQ(u.rfind("https://news.example:8443/", 0), 0u) << u;
  EXPECT_TRUE(common_feed_urls("garbage").empty());
  EXPECT_TRUE(discover_feeds("", "https://n.example/").empty());
}

}  // namespace
}  // namespace newswatch::parsers
