#include "parsers/page_links.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/sandbox.h"

namespace newswatch::parsers {
namespace {

std::vector<std::string> links(const Feed& feed) {
  std::vector<std::string> out;
  for (const auto& e : feed.entries) out.push_back(e.link);
  return out;
}

TEST(PageLinks, FindsTheArticleTeasersOfASectionPage) {
  const std::string html = testing::read_file(testing::test_data("pages/politik_de.html"));
  const Feed feed =
      parse_page_links(html, {.url = "https://www.testblatt.example/politik/", .content_type = ""});
  EXPECT_EQ(feed.kind, FeedKind::page);
  EXPECT_EQ(feed.title, "Politik – Testblatt");
  EXPECT_EQ(
      links(feed),
      (std::vector<std::string>{
          "https://www.testblatt.example/politik/ausland/nordkorea-testet-neue-rakete-100234.html",
          "https://www.testblatt.example/politik/deutschland/bundestag-beschliesst-haushalt",
          "https://m.testblatt.example/2026/11/20/kreml-gespraeche",
      }));
  ASSERT_EQ(feed.entries.size(), 3u);
  const FeedEntry& first = feed.entries[0];
  EXPECT_EQ(first.title, "Nordkorea testet neue Interkontinentalrakete");
  EXPECT_NE(first.summary.find("Pjöngjang hat erneut"), std::string::npos) << first.summary;
  EXPECT_EQ(first.summary.find("Nordkorea testet neue"), std::string::npos) << first.summary;
  ASSERT_TRUE(first.published);
  EXPECT_EQ(format_iso8601(*first.published), "2026-11-20T07:15:00Z");
  EXPECT_EQ(feed.entries[1].title, "Bundestag beschließt den Haushalt für 2027");
  EXPECT_FALSE(feed.entries[1].published);
}

TEST(PageLinks, ReorderedTeasersGiveTheSameSet) {
  const std::string a =
      "<main><article><h2><a href='/p/erste-wichtige-meldung-des-tages'>Erste wichtige Meldung "
      "des Tages</a></h2></article><article><h2><a href='/p/zweite-wichtige-meldung-heute'>Zweite "
      "wichtige Meldung heute</a></h2></article></main>";
  const std::string b =
      "<main><article><h2><a href='/p/zweite-wichtige-meldung-heute'>Zweite wichtige Meldung "
      "heute</a></h2></article><article><h2><a href='/p/erste-wichtige-meldung-des-tages'>Erste "
      "wichtige Meldung des Tages</a></h2></article></main>";
  auto la = links(parse_page_links(a, {.url = "https://n.example/", .content_type = ""}));
  auto lb = links(parse_page_links(b, {.url = "https://n.example/", .content_type = ""}));
  ASSERT_EQ(la.size(), 2u);
  std::sort(la.begin(), la.end());
  std::sort(lb.begin(), lb.end());
  EXPECT_EQ(la, lb);
}

TEST(PageLinks, LegacyCharsetsAreDecoded) {
  const std::string html =
      "<html><head><meta charset='iso-8859-1'></head><body><a href='/a/gr\xfc\x6e\x65-"
      "wollen-mehr-klimaschutz'>Gr\xfcne wollen mehr Klimaschutz in St\xe4"
      "dten</a></body></html>";
  const Feed feed = parse_page_links(html, {.url = "https://n.example/", .content_type = ""});
  ASSERT_EQ(feed.entries.size(), 1u);
  EXPECT_EQ(feed.entries[0].title, "Grüne wollen mehr Klimaschutz in Städten");
}

TEST(PageLinks, GarbageAndEmptyPagesGiveNoEntries) {
  EXPECT_TRUE(
      parse_page_links("", {.url = "https://n.example/", .content_type = ""}).entries.empty());
  EXPECT_TRUE(parse_page_links("<<<>>> \x01\x02 <a href=",
                               {.url = "https://n.example/", .content_type = ""})
                  .entries.empty());
  EXPECT_TRUE(parse_page_links("<a href='/x/ein-langer-titel-hier'>Ein langer Titel hier drin</a>",
                               {.url = "not a url", .content_type = ""})
                  .entries.empty());
}

}  // namespace
}  // namespace newswatch::parsers
