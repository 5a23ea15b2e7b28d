// The extractor on pages a hostile or broken server sends: stray NUL bytes, invalid UTF-8, a
// charset that lies, 50,000 nested divs, and binary bodies behind an HTML content type.
#include <gtest/gtest.h>

#include <string>

#include "parsers/charset.h"
#include "parsers/extractor.h"

namespace newswatch::parsers {
namespace {

std::string page(const std::string& body) {
  return "<!DOCTYPE html><html lang=\"de\"><head><title>Bericht</title></head><body>"
         "<nav><a href=\"/\">Start</a></nav><article><h1>Bericht</h1>" +
         body + "</article></body></html>";
}

const std::string kParagraph =
    "<p>Nordkorea hat nach Angaben aus Seoul erneut eine Rakete getestet, die rund 600 "
    "Kilometer weit flog und ins Meer stürzte.</p>";

TEST(ExtractHostile, StrayNulBytesAreDroppedNotTakenForBinary) {
  std::string html = page(kParagraph + "<p>Mit NUL-Bytes mitten im Text des Berichts.</p>");
  html.insert(html.find("NUL-Bytes") + 3, std::string("\0\0", 2));
  const auto a = extract_article(html, {});
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->text.find('\0'), std::string::npos);
  EXPECT_NE(a->text.find("600 Kilometer"), std::string::npos) << a->text;
}

TEST(ExtractHostile, BinaryBodiesAreRefused) {
  for (const std::string& magic : {std::string("\x89PNG\r\n\x1a\n", 8), std::string("%PDF-1.7\n"),
                                   std::string("\x1f\x8b\x08\0\0\0\0\0", 8)}) {
    const auto a = extract_article(magic + std::string(2000, 'a'), {"", "text/html", 100});
    ASSERT_FALSE(a) << magic;
    EXPECT_NE(a.error().message.find("binary"), std::string::npos);
  }
  std::string noise;
  for (int i = 0; i < 4000; ++i) noise += static_cast<char>(i % 7 == 0 ? 1 : 'x');
  EXPECT_FALSE(extract_article(noise, {}));
}

TEST(ExtractHostile, InvalidUtf8AndLyingCharsetsGiveValidUtf8) {
  const auto broken = extract_article(
      page(kParagraph + "<p>Kaputt \xff\xfe und \xe2\x82 abgeschnitten \xc3</p>"), {});
  ASSERT_TRUE(broken) << broken.error().to_string();
  EXPECT_TRUE(is_valid_utf8(broken->text)) << broken->text;
  EXPECT_TRUE(is_valid_utf8(broken->title));
  // Windows-1251 bytes behind a header that says UTF-8.
  const std::string cp1251 = "\xd1\xe5\xe2\xe5\xf0\xed\xe0\xff \xca\xee\xf0\xe5\xff";
  const auto liar = extract_article(page(kParagraph + "<p>" + cp1251 + " " + cp1251 + "</p>"),
                                    {"", "text/html; charset=utf-8", 100});
  ASSERT_TRUE(liar) << liar.error().to_string();
  EXPECT_TRUE(is_valid_utf8(liar->text)) << liar->text;
}

TEST(ExtractHostile, FiftyThousandNestedDivsDoNotExhaustTheStack) {
  std::string html = "<html><head><title>Tief</title></head><body>";
  for (int i = 0; i < 50'000; ++i) {
    html += "<div>Ebene " + std::to_string(i) + ": Nordkorea und Russland verhandeln weiter. ";
  }
  html += "</body></html>";
  const auto a = extract_article(html, {"", "", 0});
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_NE(a->text.find("Nordkorea"), std::string::npos);
}

}  // namespace
}  // namespace newswatch::parsers
