#include "storage/url_canon.h"

#include <gtest/gtest.h>

namespace newswatch::storage {
namespace {

std::string canon(std::string_view url) { return canonicalize_url(url); }
std::string key(std::string_view url) { return dedup_key(url); }

TEST(UrlCanonicalizer, LowerCasesSchemeAndHostButNotPath) {
  EXPECT_EQ(canon("HTTPS://Www.Example.COM/News/Story"), "https://www.example.com/News/Story");
}

TEST(UrlCanonicalizer, DropsDefaultPortsKeepsOthers) {
  EXPECT_EQ(canon("http://example.com:80/a"), "http://example.com/a");
  EXPECT_EQ(canon("https://example.com:443/a"), "https://example.com/a");
  EXPECT_EQ(canon("https://example.com:80/a"), "https://example.com:80/a");
  EXPECT_EQ(canon("http://example.com:8080/a"), "http://example.com:8080/a");
  EXPECT_EQ(canon("http://example.com:08080/a"), "http://example.com:8080/a");
  EXPECT_EQ(canon("http://example.com:/a"), "http://example.com/a");
}

TEST(UrlCanonicalizer, EmptyPathBecomesSlash) {
  EXPECT_EQ(canon("https://example.com"), "https://example.com/");
  EXPECT_EQ(canon("https://example.com?b=1"), "https://example.com/?b=1");
}

TEST(UrlCanonicalizer, RemovesFragment) {
  EXPECT_EQ(canon("https://example.com/a#comments"), "https://example.com/a");
  EXPECT_EQ(canon("https://example.com/a?x=1#top"), "https://example.com/a?x=1");
}

TEST(UrlCanonicalizer, DecodesUnreservedAndUpperCasesOtherEscapes) {
  EXPECT_EQ(canon("https://example.com/%7Euser/%61bc"), "https://example.com/~user/abc");
  EXPECT_EQ(canon("https://example.com/a%2fb%3a"), "https://example.com/a%2Fb%3A");
  EXPECT_EQ(canon("https://example.com/s?q=a%2bb%2D"), "https://example.com/s?q=a%2Bb-");
}

TEST(UrlCanonicalizer, EscapesUnsafeAndNonAsciiBytes) {
  EXPECT_EQ(canon("https://example.com/a b"), "https://example.com/a%20b");
  EXPECT_EQ(canon("https://example.de/stra\xC3\x9F"
                  "e"),
            "https://example.de/stra%C3%9Fe");
  EXPECT_EQ(canon("https://example.de/stra%c3%9fe"), "https://example.de/stra%C3%9Fe");
  EXPECT_EQ(canon("https://example.com/100%"), "https://example.com/100%25");
  EXPECT_EQ(canon("https://example.com/a{b}|c"), "https://example.com/a%7Bb%7D%7Cc");
}

TEST(UrlCanonicalizer, RemovesDotSegmentsAfterDecoding) {
  EXPECT_EQ(canon("https://example.com/a/./b/../c"), "https://example.com/a/c");
  EXPECT_EQ(canon("https://example.com/a/%2E%2E/b"), "https://example.com/b");
  EXPECT_EQ(canon("https://example.com/../../x"), "https://example.com/x");
}

TEST(UrlCanonicalizer, KeepsTrailingSlashInDisplayForm) {
  EXPECT_EQ(canon("https://example.com/politik/"), "https://example.com/politik/");
  EXPECT_EQ(canon("https://example.com/politik"), "https://example.com/politik");
}

TEST(UrlCanonicalizer, DropsUtmParameters) {
  EXPECT_EQ(canon("https://example.com/a?utm_source=rss&utm_medium=feed&utm_campaign=x"),
            "https://example.com/a");
  EXPECT_EQ(canon("https://example.com/a?UTM_Source=rss&id=7"), "https://example.com/a?id=7");
}

TEST(UrlCanonicalizer, DropsClickIdsAndCampaignTags) {
  const char* names[] = {"fbclid",    "gclid",       "dclid", "msclkid", "mc_cid", "mc_eid",
                         "ref",       "ref_src",     "icid",  "cmpid",   "wt_mc",  "xtor",
                         "at_medium", "at_campaign", "_ga",   "igshid",  "s_cid",  "yclid"};
  for (const char* name : names) {
    const std::string url = std::string("https://example.com/a?id=3&") + name + "=abc";
    EXPECT_EQ(canon(url), "https://example.com/a?id=3") << name;
  }
}

TEST(UrlCanonicalizer, KeepsContentParameters) {
  EXPECT_EQ(canon("https://example.com/article.php?id=42&page=2"),
            "https://example.com/article.php?id=42&page=2");
  EXPECT_EQ(canon("https://example.com/a?reference=1"), "https://example.com/a?reference=1");
}

TEST(UrlCanonicalizer, SortsParametersStablyByName) {
  EXPECT_EQ(canon("https://example.com/s?z=1&a=2&m=3"), "https://example.com/s?a=2&m=3&z=1");
  // Repeated names keep their relative order: the server may read them as a list.
  EXPECT_EQ(canon("https://example.com/s?tag=b&a=0&tag=a"),
            "https://example.com/s?a=0&tag=b&tag=a");
}

TEST(UrlCanonicalizer, DropsEmptyQueryAndEmptyPairs) {
  EXPECT_EQ(canon("https://example.com/a?"), "https://example.com/a");
  EXPECT_EQ(canon("https://example.com/a?&&x=1&"), "https://example.com/a?x=1");
  EXPECT_EQ(canon("https://example.com/a?utm_source=x"), "https://example.com/a");
  EXPECT_EQ(canon("https://example.com/a?flag"), "https://example.com/a?flag");
  EXPECT_EQ(canon("https://example.com/a?x="), "https://example.com/a?x=");
}

TEST(UrlCanonicalizer, DropsPercentEncodedTrackingName) {
  EXPECT_EQ(canon("https://example.com/a?utm%5Fsource=x&b=1"), "https://example.com/a?b=1");
}

TEST(UrlCanonicalizer, HonoursConfiguredTrackingList) {
  CanonOptions opts;
  opts.tracking_params = {"sessionid"};
  opts.tracking_prefixes = {"x_"};
  EXPECT_EQ(canonicalize_url("https://e.com/a?sessionid=1&x_foo=2&utm_source=3", opts),
            "https://e.com/a?utm_source=3");
}

TEST(UrlCanonicalizer, KeepsUserinfoAndWww) {
  EXPECT_EQ(canon("https://user@www.example.com/a"), "https://user@www.example.com/a");
}

TEST(UrlCanonicalizer, ConvertsGermanIdnHostToPunycode) {
  EXPECT_EQ(canon("https://münchen.de/rathaus"), "https://xn--mnchen-3ya.de/rathaus");
  EXPECT_EQ(canon("https://MÜNCHEN.de/"), "https://xn--mnchen-3ya.de/");
  EXPECT_EQ(canon("https://www.köln.de/"), "https://www.xn--kln-sna.de/");
  // IDNA2008 / UTS 46 non-transitional: sharp s is kept, not mapped to "ss".
  EXPECT_EQ(canon("http://straße.de/"), "http://xn--strae-oqa.de/");
}

TEST(UrlCanonicalizer, ConvertsPercentEncodedIdnHost) {
  EXPECT_EQ(canon("https://m%C3%BCnchen.de/a"), "https://xn--mnchen-3ya.de/a");
}

TEST(UrlCanonicalizer, ConvertsCyrillicRfHost) {
  EXPECT_EQ(canon("http://президент.рф/news"), "http://xn--d1abbgf6aiiy.xn--p1ai/news");
  EXPECT_EQ(canon("https://ПРЕЗИДЕНТ.РФ/"), "https://xn--d1abbgf6aiiy.xn--p1ai/");
  EXPECT_EQ(canon("https://xn--d1abbgf6aiiy.xn--p1ai/"), "https://xn--d1abbgf6aiiy.xn--p1ai/");
}

TEST(UrlCanonicalizer, DropsTrailingDotOfHost) {
  EXPECT_EQ(canon("https://example.com./a"), "https://example.com/a");
}

TEST(UrlCanonicalizer, NormalisesComposedAndDecomposedUmlauts) {
  // "u" + combining diaeresis composes to U+00FC before punycode.
  EXPECT_EQ(canon("https://mu\xCC\x88nchen.de/"), "https://xn--mnchen-3ya.de/");
}

TEST(UrlCanonicalizer, ReturnsNonHttpInputTrimmed) {
  EXPECT_EQ(canon("  mailto:a@example.com "), "mailto:a@example.com");
  EXPECT_EQ(canon("/relative/path"), "/relative/path");
  EXPECT_EQ(canon("not a url"), "not a url");
}

TEST(UrlCanonicalizer, IsIdempotent) {
  const char* urls[] = {"HTTP://Example.com:80/a/../b/%7e?utm_source=x&b=2&a=1#f",
                        "https://münchen.de/Straße?q=ä", "https://example.com/a%2Fb/",
                        "https://example.com/a?x=%zz"};
  for (const char* url : urls) {
    const std::string once = canon(url);
    EXPECT_EQ(canon(once), once) << url;
  }
}

TEST(TrackingParam, MatchesNamesAndPrefixesCaseInsensitively) {
  EXPECT_TRUE(is_tracking_param("utm_source"));
  EXPECT_TRUE(is_tracking_param("UTM_CONTENT"));
  EXPECT_TRUE(is_tracking_param("fbclid"));
  EXPECT_TRUE(is_tracking_param("at_campaign"));
  EXPECT_TRUE(is_tracking_param("_ga"));
  EXPECT_FALSE(is_tracking_param("id"));
  EXPECT_FALSE(is_tracking_param("page"));
  EXPECT_FALSE(is_tracking_param("utm"));
  EXPECT_FALSE(is_tracking_param("q"));
}

TEST(DedupKey, TreatsHttpAndHttpsAlike) {
  EXPECT_EQ(key("http://example.com/a"), key("https://example.com/a"));
  EXPECT_EQ(key("https://example.com/a"), "example.com/a");
}

TEST(DedupKey, StripsWwwMobileAndAmpHosts) {
  EXPECT_EQ(key("https://www.example.com/a"), "example.com/a");
  EXPECT_EQ(key("https://m.example.com/a"), "example.com/a");
  EXPECT_EQ(key("https://mobile.example.com/a"), "example.com/a");
  EXPECT_EQ(key("https://amp.example.com/a"), "example.com/a");
  EXPECT_EQ(key("https://www.m.example.com/a"), "example.com/a");
}

TEST(DedupKey, KeepsHostWhenStrippingWouldLeaveATopLevelDomain) {
  EXPECT_EQ(key("https://www.com/a"), "www.com/a");
  EXPECT_EQ(key("https://m.de/a"), "m.de/a");
}

TEST(DedupKey, StripsAmpPathVariants) {
  const std::string want = "example.com/2024/05/story";
  EXPECT_EQ(key("https://www.example.com/2024/05/story/amp/"), want);
  EXPECT_EQ(key("https://www.example.com/2024/05/story/amp"), want);
  EXPECT_EQ(key("https://www.example.com/amp/2024/05/story"), want);
  EXPECT_EQ(key("https://www.example.com/2024/05/story.amp"), want);
  EXPECT_EQ(key("https://www.example.com/2024/05/story.amp.html"), want + ".html");
}

TEST(DedupKey, StripsAmpQueryVariants) {
  EXPECT_EQ(key("https://example.com/a?amp"), "example.com/a");
  EXPECT_EQ(key("https://example.com/a?amp=1"), "example.com/a");
  EXPECT_EQ(key("https://example.com/a?outputType=amp"), "example.com/a");
  EXPECT_EQ(key("https://example.com/a?outputType=json"), "example.com/a?outputType=json");
  EXPECT_EQ(key("https://example.com/a?id=3&amp=true"), "example.com/a?id=3");
}

TEST(DedupKey, UnwrapsAmpCaches) {
  EXPECT_EQ(key("https://www-example-com.cdn.ampproject.org/c/s/www.example.com/a/amp/"),
            "example.com/a");
  EXPECT_EQ(key("https://www.google.com/amp/s/www.example.com/a.amp.html"), "example.com/a.html");
}

TEST(DedupKey, StripsPrintViews) {
  EXPECT_EQ(key("https://example.com/a?print=1"), "example.com/a");
  EXPECT_EQ(key("https://example.com/a?view=print&id=2"), "example.com/a?id=2");
  EXPECT_EQ(key("https://example.com/print/a"), "example.com/a");
  EXPECT_EQ(key("https://example.com/a/print/"), "example.com/a");
}

TEST(DedupKey, StripsTrailingSlashAndIndexPages) {
  EXPECT_EQ(key("https://example.com/politik/"), "example.com/politik");
  EXPECT_EQ(key("https://example.com/politik/index.html"), "example.com/politik");
  EXPECT_EQ(key("https://example.com/"), "example.com/");
  EXPECT_EQ(key("https://example.com"), "example.com/");
  EXPECT_EQ(key("https://example.com//a//b"), "example.com/a/b");
}

TEST(DedupKey, DropsUserinfoKeepsOtherPorts) {
  EXPECT_EQ(key("https://user:pw@example.com:8443/a"), "example.com:8443/a");
  EXPECT_EQ(key("http://example.com:80/a"), "example.com/a");
}

TEST(DedupKey, CollapsesAllDoorsToOneStory) {
  const char* doors[] = {
      "https://www.example.com/politik/story-123",
      "http://example.com/politik/story-123/",
      "https://m.example.com/politik/story-123?utm_source=twitter&utm_medium=social",
      "https://amp.example.com/politik/story-123/amp/",
      "https://www.example.com/politik/story-123?print=1#comments",
      "HTTPS://WWW.EXAMPLE.COM:443/politik/./story-123?fbclid=IwAR0",
      "https://www.example.com/politik/story%2D123"};
  for (const char* door : doors) EXPECT_EQ(key(door), "example.com/politik/story-123") << door;
}

TEST(DedupKey, KeepsDifferentStoriesApart) {
  EXPECT_NE(key("https://example.com/a?id=1"), key("https://example.com/a?id=2"));
  EXPECT_NE(key("https://example.com/a"), key("https://example.org/a"));
  EXPECT_NE(key("https://example.com/News"), key("https://example.com/news"));
  EXPECT_NE(key("https://sub.example.com/a"), key("https://example.com/a"));
}

TEST(DedupKey, IdnHostsShareKeyWithPunycodeSpelling) {
  EXPECT_EQ(key("https://www.münchen.de/a"), key("http://xn--mnchen-3ya.de/a/"));
  EXPECT_EQ(key("https://www.münchen.de/a"), "xn--mnchen-3ya.de/a");
}

TEST(Punycode, EncodesKnownLabels) {
  EXPECT_EQ(punycode_encode(U"münchen"), "mnchen-3ya");
  EXPECT_EQ(punycode_encode(U"bücher"), "bcher-kva");
  EXPECT_EQ(punycode_encode(U"рф"), "p1ai");
  EXPECT_EQ(punycode_encode(U"москва"), "80adxhks");
  EXPECT_EQ(punycode_encode(U"abc"), "abc-");
}

TEST(Punycode, DecodesWhatItEncodes) {
  const std::u32string labels[] = {U"münchen",        U"правительство",   U"ü",
                                   U"3年B組金八先生", U"düsseldorf-köln", U"παράδειγμα"};
  for (const std::u32string& label : labels) {
    const auto encoded = punycode_encode(label);
    ASSERT_TRUE(encoded.has_value());
    const auto decoded = punycode_decode(*encoded);
    ASSERT_TRUE(decoded.has_value()) << *encoded;
    EXPECT_TRUE(*decoded == label) << *encoded;
  }
}

TEST(Punycode, RejectsMalformedInput) {
  EXPECT_FALSE(punycode_decode("mnchen-3y!").has_value());
  EXPECT_FALSE(punycode_decode("99999999999").has_value());
}

TEST(HostToAscii, MapsIdeographicFullStop) {
  EXPECT_EQ(host_to_ascii("例え\u3002テスト"), "xn--r8jz45g.xn--zckzah");
}

TEST(HostToAscii, RejectsInvalidUtf8) { EXPECT_FALSE(host_to_ascii("bad\xFF.de").has_value()); }

}  // namespace
}  // namespace newswatch::storage
