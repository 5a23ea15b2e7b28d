#include "fetchers/robots.h"

#include <gtest/gtest.h>

namespace newswatch::fetchers {
namespace {

using namespace std::chrono_literals;

TEST(RobotsRules, OurGroupWinsOverTheStarGroupAndGroupsMerge) {
  const auto rules = RobotsRules::parse(
      "User-agent: *\nDisallow: /\n\n"
      "User-agent: NewsWatch/1.0\nDisallow: /intern/\n\n"
      "User-agent: otherbot\nDisallow: /news/\n\n"
      "user-agent: newswatch\nallow: /intern/public\n",
      "newswatch");
  EXPECT_TRUE(rules.allowed("/politik/a.html"));
  EXPECT_FALSE(rules.allowed("/intern/x"));
  EXPECT_TRUE(rules.allowed("/intern/public/y"));
  EXPECT_TRUE(rules.allowed("/news/z"));  // otherbot's rule is not ours
  EXPECT_EQ(rules.rule_count(), 2u);
}

TEST(RobotsRules, StarGroupAppliesWhenNoGroupNamesUs) {
  const auto rules = RobotsRules::parse(
      "User-agent: googlebot\nDisallow: /a\nUser-agent: *\nDisallow: /b\n", "newswatch");
  EXPECT_TRUE(rules.allowed("/a"));
  EXPECT_FALSE(rules.allowed("/b/c"));
}

TEST(RobotsRules, ConsecutiveUserAgentLinesShareOneGroup) {
  const auto rules = RobotsRules::parse(
      "User-agent: a\nUser-agent: newswatch\nUser-agent: b\nDisallow: /shared\n"
      "User-agent: c\nDisallow: /other\n",
      "newswatch");
  EXPECT_FALSE(rules.allowed("/shared/1"));
  EXPECT_TRUE(rules.allowed("/other"));
}

TEST(RobotsRules, LongestMatchWinsAndAllowWinsATie) {
  const auto rules = RobotsRules::parse(
      "User-agent: *\nDisallow: /folder\nAllow: /folder/page\nDisallow: /folder/page/private\n"
      "Allow: /tie\nDisallow: /tie\n",
      "newswatch");
  EXPECT_FALSE(rules.allowed("/folder/x"));
  EXPECT_TRUE(rules.allowed("/folder/page.html"));
  EXPECT_FALSE(rules.allowed("/folder/page/private/1"));
  EXPECT_TRUE(rules.allowed("/tie/a"));
}

TEST(RobotsRules, WildcardsAndEndAnchor) {
  const auto rules = RobotsRules::parse(
      "User-agent: *\nDisallow: /*.pdf$\nDisallow: /*/print/\nDisallow: /search?\n"
      "Disallow: /exact$\n",
      "newswatch");
  EXPECT_FALSE(rules.allowed("/docs/report.pdf"));
  EXPECT_TRUE(rules.allowed("/docs/report.pdf.html"));
  EXPECT_FALSE(rules.allowed("/politik/print/123"));
  EXPECT_TRUE(rules.allowed("/politik/printed"));
  EXPECT_FALSE(rules.allowed("/search?q=nordkorea"));
  EXPECT_TRUE(rules.allowed("/searching"));
  EXPECT_FALSE(rules.allowed("/exact"));
  EXPECT_TRUE(rules.allowed("/exact/more"));
}

TEST(RobotsRules, EmptyDisallowCommentsGarbageAndBom) {
  const auto rules = RobotsRules::parse(
      "\xEF\xBB\xBFUser-agent: * # everyone\nDisallow:\nthis line is garbage\n"
      "Disallow: /tmp/ # comment\r\nNoindex: /x\r\n",
      "newswatch");
  EXPECT_TRUE(rules.allowed("/"));
  EXPECT_FALSE(rules.allowed("/tmp/file"));
  EXPECT_TRUE(rules.allowed("/x"));
  EXPECT_EQ(rules.rule_count(), 1u);
}

TEST(RobotsRules, PercentEncodingIsNormalisedOnBothSides) {
  const auto rules = RobotsRules::parse(
      "User-agent: *\nDisallow: /%7Euser/\nDisallow: /nachrichten/über\nDisallow: /a%2fb\n",
      "newswatch");
  EXPECT_FALSE(rules.allowed("/~user/page"));
  EXPECT_FALSE(rules.allowed("/nachrichten/%C3%BCber-uns"));
  EXPECT_FALSE(rules.allowed("/a%2Fb"));
  EXPECT_TRUE(rules.allowed("/a/b"));  // an encoded slash is not a path separator
}

TEST(RobotsRules, RulesBeforeAnyUserAgentApplyToNoOne) {
  const auto rules = RobotsRules::parse("Disallow: /\nUser-agent: *\nDisallow: /x\n", "newswatch");
  EXPECT_TRUE(rules.allowed("/a"));
  EXPECT_FALSE(rules.allowed("/x"));
}

TEST(RobotsRules, CrawlDelayAndSitemaps) {
  const auto rules = RobotsRules::parse(
      "Sitemap: https://example.org/sitemap.xml\nUser-agent: *\nCrawl-delay: 2.5\n"
      "User-agent: newswatch\nCrawl-delay: 4\nSitemap: https://example.org/news.xml\n",
      "newswatch");
  ASSERT_TRUE(rules.crawl_delay());
  EXPECT_EQ(*rules.crawl_delay(), 4000ms);
  EXPECT_EQ(rules.sitemaps(), (std::vector<std::string>{"https://example.org/sitemap.xml",
                                                        "https://example.org/news.xml"}));
  EXPECT_EQ(*RobotsRules::parse("User-agent: *\nCrawl-delay: 2.5\n", "x").crawl_delay(), 2500ms);
}

TEST(RobotsRules, RobotsTxtItselfIsAlwaysAllowed) {
  const auto rules = RobotsRules::disallow_all();
  EXPECT_FALSE(rules.allowed("/"));
  EXPECT_TRUE(rules.allowed("/robots.txt"));
}

TEST(RobotsRules, OnlyTheFirst500KiBAreRead) {
  std::string body = "User-agent: *\n";
  while (body.size() < 600 * 1024) body += "Disallow: /filler/aaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
  body += "Disallow: /late\n";
  const auto rules = RobotsRules::parse(body, "newswatch");
  EXPECT_TRUE(rules.allowed("/late"));
  EXPECT_FALSE(rules.allowed("/filler/aaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

TEST(RobotsRules, HostileWildcardPatternsStayFast) {
  std::string pattern = "/";
  for (int i = 0; i < 200; ++i) pattern += "*a";
  const auto rules = RobotsRules::parse("User-agent: *\nDisallow: " + pattern + "b$\n", "x");
  EXPECT_TRUE(rules.allowed("/" + std::string(5000, 'a')));
}

TEST(RobotsCache, UnknownUntilStoredThenCachedUntilTheTtl) {
  RobotsCache cache;
  const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));
  auto l = cache.lookup("https://Example.org/intern/a?b=1", t0);
  EXPECT_EQ(l.verdict, RobotsCache::Verdict::unknown);
  EXPECT_EQ(l.robots_url, "https://example.org/robots.txt");
  EXPECT_EQ(l.origin, "https://example.org:443");
  cache.store(l.origin, 200, "User-agent: *\nDisallow: /intern/\nCrawl-delay: 600\n", t0);
  l = cache.lookup("https://example.org:443/intern/a?b=1", t0 + 1h);
  EXPECT_EQ(l.verdict, RobotsCache::Verdict::disallowed);
  ASSERT_TRUE(l.crawl_delay);
  EXPECT_EQ(*l.crawl_delay, 60'000ms) << "capped";
  EXPECT_EQ(cache.lookup("https://example.org/politik/", t0).verdict,
            RobotsCache::Verdict::allowed);
  EXPECT_EQ(cache.lookup("http://example.org/intern/a", t0).verdict, RobotsCache::Verdict::unknown)
      << "another scheme is another origin";
  EXPECT_EQ(cache.lookup("https://example.org/intern/a", t0 + 25h).verdict,
            RobotsCache::Verdict::unknown)
      << "expired";
}

TEST(RobotsCache, StatusClassesFollowRfc9309) {
  RobotsCache cache;
  const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));
  cache.store("https://gone.example:443", 404, "<html>not found</html>", t0);
  cache.store("https://down.example:443", 503, "", t0);
  cache.store("https://timeout.example:443", 0, "", t0);
  EXPECT_EQ(cache.lookup("https://gone.example/a", t0).verdict, RobotsCache::Verdict::allowed);
  EXPECT_EQ(cache.lookup("https://down.example/a", t0).verdict, RobotsCache::Verdict::disallowed);
  EXPECT_EQ(cache.lookup("https://timeout.example/a", t0).verdict,
            RobotsCache::Verdict::disallowed);
  // Unreachable is retried soon, unavailable is trusted for the full TTL.
  EXPECT_EQ(cache.lookup("https://down.example/a", t0 + 11min).verdict,
            RobotsCache::Verdict::unknown);
  EXPECT_EQ(cache.lookup("https://gone.example/a", t0 + 11min).verdict,
            RobotsCache::Verdict::allowed);
}

TEST(RobotsCache, MalformedUrlsAreDisallowedAndTheCacheIsBounded) {
  RobotsCacheOptions options;
  options.max_origins = 3;
  RobotsCache cache(options);
  const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));
  EXPECT_EQ(cache.lookup("not a url", t0).verdict, RobotsCache::Verdict::disallowed);
  EXPECT_EQ(cache.lookup("ftp://example.org/x", t0).verdict, RobotsCache::Verdict::disallowed);
  for (int i = 0; i < 10; ++i) {
    cache.store("https://h" + std::to_string(i) + ".example:443", 404, "",
                t0 + std::chrono::seconds(i));
  }
  EXPECT_LE(cache.size(), 3u);
  EXPECT_EQ(cache.lookup("https://h9.example/", t0).verdict, RobotsCache::Verdict::allowed);
}

}  // namespace
}  // namespace newswatch::fetchers
