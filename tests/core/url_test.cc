#include "core/url.h"

#include <gtest/gtest.h>

namespace newswatch {
namespace {

std::string resolve(const char* base, const char* ref) { return resolve_url_string(base, ref); }

// RFC 3986 section 5.4 examples.
TEST(ResolveUrl, Rfc3986NormalExamples) {
  const char* base = "http://a/b/c/d;p?q";
  EXPECT_EQ(resolve(base, "g:h"), "g:h");
  EXPECT_EQ(resolve(base, "g"), "http://a/b/c/g");
  EXPECT_EQ(resolve(base, "./g"), "http://a/b/c/g");
  EXPECT_EQ(resolve(base, "g/"), "http://a/b/c/g/");
  EXPECT_EQ(resolve(base, "/g"), "http://a/g");
  EXPECT_EQ(resolve(base, "//g"), "http://g");
  EXPECT_EQ(resolve(base, "?y"), "http://a/b/c/d;p?y");
  EXPECT_EQ(resolve(base, "g?y"), "http://a/b/c/g?y");
  EXPECT_EQ(resolve(base, "#s"), "http://a/b/c/d;p?q#s");
  EXPECT_EQ(resolve(base, "g#s"), "http://a/b/c/g#s");
  EXPECT_EQ(resolve(base, ";x"), "http://a/b/c/;x");
  EXPECT_EQ(resolve(base, ""), "http://a/b/c/d;p?q");
  EXPECT_EQ(resolve(base, "."), "http://a/b/c/");
  EXPECT_EQ(resolve(base, "./"), "http://a/b/c/");
  EXPECT_EQ(resolve(base, ".."), "http://a/b/");
  EXPECT_EQ(resolve(base, "../g"), "http://a/b/g");
  EXPECT_EQ(resolve(base, "../.."), "http://a/");
  EXPECT_EQ(resolve(base, "../../g"), "http://a/g");
}

TEST(ResolveUrl, Rfc3986AbnormalExamples) {
  const char* base = "http://a/b/c/d;p?q";
  EXPECT_EQ(resolve(base, "../../../g"), "http://a/g");
  EXPECT_EQ(resolve(base, "/./g"), "http://a/g");
  EXPECT_EQ(resolve(base, "/../g"), "http://a/g");
  EXPECT_EQ(resolve(base, "g."), "http://a/b/c/g.");
  EXPECT_EQ(resolve(base, "..g"), "http://a/b/c/..g");
  EXPECT_EQ(resolve(base, "./g/."), "http://a/b/c/g/");
  EXPECT_EQ(resolve(base, "g/../h"), "http://a/b/c/h");
}

TEST(ParseUrl, SplitsComponentsAndLowersHost) {
  const auto url = parse_url(" HTTPS://User@Example.ORG:8443/a/b?x=1#frag ");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->userinfo, "User");
  EXPECT_EQ(url->host, "example.org");
  EXPECT_EQ(url->port, "8443");
  EXPECT_EQ(url->path, "/a/b");
  EXPECT_EQ(*url->query, "x=1");
  EXPECT_EQ(*url->fragment, "frag");
  EXPECT_EQ(url->effective_port(), 8443);
}

TEST(ParseUrl, RejectsMissingSchemeAndBadPort) {
  EXPECT_FALSE(parse_url("/relative/path"));
  EXPECT_FALSE(parse_url("http://host:80a/"));
  EXPECT_FALSE(parse_url("http:///nohost"));
  EXPECT_TRUE(parse_url("http://[::1]:8080/x"));
  EXPECT_EQ(parse_url("http://[::1]:8080/x")->host, "[::1]");
}

}  // namespace
}  // namespace newswatch
