#include "parsers/feed_gzip.h"

#include <gtest/gtest.h>

#include "tests/support/sandbox.h"

namespace newswatch::parsers {
namespace {

using newswatch::testing::read_file;
using newswatch::testing::test_data;

TEST(Gunzip, InflatesDynamicHuffmanBlocks) {
  const std::string gz = read_file(test_data("feeds/google_news_sitemap.xml.gz"));
  ASSERT_FALSE(gz.empty());
  const Result<std::string> out = gunzip(gz, k_max_inflated_size);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ(*out, read_file(test_data("feeds/google_news_sitemap.xml")));
}

TEST(Gunzip, InflatesStoredBlocksAndSkipsFileName) {
  const Result<std::string> out =
      gunzip(read_file(test_data("feeds/sitemap_index_stored.xml.gz")), k_max_inflated_size);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ(*out, read_file(test_data("feeds/sitemap_index.xml")));
}

TEST(Gunzip, InflatesLongBackReferences) {
  const Result<std::string> out =
      gunzip(read_file(test_data("feeds/sitemap_2000.xml.gz")), k_max_inflated_size);
  ASSERT_TRUE(out);
  EXPECT_GT(out->size(), 100'000u);
  EXPECT_EQ(
      out->rfind("<loc>https://www.example-news.ru/news/1999.html</loc>") != std::string::npos,
      true);
  EXPECT_EQ(out->substr(out->size() - 10), "</urlset>\n");
}

TEST(Gunzip, ReturnsThePrefixOfATruncatedStream) {
  const Result<std::string> full =
      gunzip(read_file(test_data("feeds/sitemap_2000.xml.gz")), k_max_inflated_size);
  const Result<std::string> cut =
      gunzip(read_file(test_data("feeds/sitemap_2000_truncated.xml.gz")), k_max_inflated_size);
  ASSERT_TRUE(full);
  ASSERT_TRUE(cut);
  EXPECT_GT(cut->size(), 1000u);
  EXPECT_LT(cut->size(), full->size());
  EXPECT_EQ(full->substr(0, cut->size()), *cut);
}

TEST(Gunzip, EnforcesTheSizeLimit) {
  const Result<std::string> out = gunzip(read_file(test_data("feeds/sitemap_2000.xml.gz")), 10'000);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::too_large);
}

TEST(Gunzip, RejectsBadHeaders) {
  EXPECT_FALSE(gunzip("", k_max_inflated_size));
  EXPECT_FALSE(gunzip("\x1f\x8b", k_max_inflated_size));
  EXPECT_FALSE(gunzip("not gzip at all", k_max_inflated_size));
  EXPECT_FALSE(
      gunzip(std::string("\x1f\x8b\x07\x00\x00\x00\x00\x00\x00\x03", 10), k_max_inflated_size));
}

TEST(Gunzip, RejectsCorruptData) {
  // Block type 3 is reserved.
  const std::string bad("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x07\x00", 12);
  const Result<std::string> out = gunzip(bad, k_max_inflated_size);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::parse_error);
}

}  // namespace
}  // namespace newswatch::parsers
