#include "parsers/charset.h"

#include <gtest/gtest.h>

namespace newswatch::parsers {
namespace {

TEST(Charset, HeaderWinsOverMeta) {
  const std::string html =
      "<meta charset=\"utf-8\"><p>Gr\xFC\xDF"
      "e</p>";
  EXPECT_EQ(detect_charset(html, "text/html; charset=ISO-8859-1", DocumentKind::html),
            "windows-1252");
  EXPECT_EQ(decode_to_utf8(html, "text/html; charset=ISO-8859-1", DocumentKind::html),
            "<meta charset=\"utf-8\"><p>Grüße</p>");
}

TEST(Charset, BomWinsOverEverything) {
  const std::string bytes = "\xEF\xBB\xBF<p>\xC3\xA4</p>";
  EXPECT_EQ(detect_charset(bytes, "text/html; charset=koi8-r", DocumentKind::html), "utf-8");
  EXPECT_EQ(decode_to_utf8(bytes, "", DocumentKind::html), "<p>ä</p>");
}

TEST(Charset, XmlDeclarationAndMeta) {
  EXPECT_EQ(
      detect_charset("<?xml version=\"1.0\" encoding=\"KOI8-R\"?><rss/>", "", DocumentKind::xml),
      "koi8-r");
  EXPECT_EQ(detect_charset("<html><head><meta http-equiv=\"Content-Type\" "
                           "content=\"text/html; charset=windows-1251\">",
                           "", DocumentKind::html),
            "windows-1251");
}

TEST(Charset, ConvertsCyrillicEncodings) {
  // "Россия" in KOI8-R and windows-1251.
  EXPECT_EQ(convert_to_utf8("\xF2\xCF\xD3\xD3\xC9\xD1", "koi8-r"), "Россия");
  EXPECT_EQ(convert_to_utf8("\xD0\xEE\xF1\xF1\xE8\xFF", "windows-1251"), "Россия");
}

TEST(Charset, FallsBackToWindows1252ForInvalidUtf8WithoutLabel) {
  EXPECT_EQ(detect_charset("caf\xE9", "", DocumentKind::other), "windows-1252");
  EXPECT_EQ(decode_to_utf8("caf\xE9 \x80", "", DocumentKind::other), "café €");
  EXPECT_EQ(detect_charset("café", "", DocumentKind::other), "utf-8");
}

TEST(Charset, InvalidSequencesBecomeReplacementCharacters) {
  EXPECT_EQ(sanitize_utf8("a\xC3z\xFF"), "a\xEF\xBF\xBDz\xEF\xBF\xBD");
  EXPECT_EQ(convert_to_utf8("ok\xC3", "utf-8"), "ok\xEF\xBF\xBD");
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));  // a surrogate
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));      // overlong
  EXPECT_TRUE(is_valid_utf8("Пхеньян 平壤"));
}

TEST(Charset, UnknownCharsetDoesNotCrash) {
  EXPECT_EQ(convert_to_utf8("plain", "x-no-such-charset"), "plain");
  EXPECT_EQ(convert_to_utf8("", "koi8-r"), "");
}

}  // namespace
}  // namespace newswatch::parsers
