#include "storage/analyzer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

namespace newswatch::storage {
namespace {

// "norm@position[begin,end)" for each token.
std::string render(const std::vector<Token>& tokens) {
  std::string out;
  for (const Token& t : tokens) {
    if (!out.empty()) out += ' ';
    out += t.norm + "@" + std::to_string(t.position) + "[" + std::to_string(t.begin) + "," +
           std::to_string(t.end) + ")";
  }
  return out;
}

bool keys_intersect(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::any_of(a.begin(), a.end(), [&](const std::string& k) {
    return std::find(b.begin(), b.end(), k) != b.end();
  });
}

std::vector<std::string> keys(const Analyzer& analyzer, std::string_view word,
                              std::string_view lang) {
  std::vector<std::string> out;
  analyzer.word_keys(normalize(word), lang, out);
  return out;
}

TEST(Tokenize, SplitsWordsWithPositionsAndByteOffsets) {
  EXPECT_EQ(render(tokenize("Putin, Kim: 2024!")), "putin@0[0,5) kim@1[7,10) 2024@2[12,16)");
}

TEST(Tokenize, FoldsCaseAndStripsDiacritics) {
  EXPECT_EQ(render(tokenize("Pjöngjang ÉTÉ")), "pjongjang@0[0,10) ete@1[11,16)");
  EXPECT_EQ(normalize("Straße"), "strasse");
  EXPECT_EQ(normalize("ＡＢＣ"), "abc");  // NFKC folds full-width letters
}

TEST(Tokenize, HandlesCyrillic) {
  EXPECT_EQ(render(tokenize("Санкции против России")),
            "санкции@0[0,14) против@1[15,27) россии@2[28,40)");
}

TEST(Tokenize, SoftHyphenDoesNotSplitAWord) {
  std::vector<Token> tokens = tokenize("Wirt\u00ADschafts\u00ADsanktionen gelten");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].norm, "wirtschaftssanktionen");
  EXPECT_EQ(tokens[1].position, 1u);
}

TEST(Tokenize, HyphensApostrophesAndInvalidBytesSeparate) {
  EXPECT_EQ(render(tokenize("Kim-Jong\xff un's")), "kim@0[0,3) jong@1[4,8) un@2[10,12) s@3[13,14)");
  EXPECT_TRUE(tokenize("  ... — !! ").empty());
}

TEST(Analyzer, GermanStemsMatchInflections) {
  Analyzer analyzer;
  EXPECT_TRUE(keys_intersect(analyzer.query_keys("sanktion"), keys(analyzer, "Sanktionen", "de")));
  EXPECT_TRUE(keys_intersect(analyzer.query_keys("russland"), keys(analyzer, "Russlands", "de")));
  EXPECT_TRUE(keys_intersect(analyzer.query_keys("strasse"), keys(analyzer, "Straßen", "de")));
  EXPECT_FALSE(keys_intersect(analyzer.query_keys("sanktion"), keys(analyzer, "Sankt", "de")));
}

TEST(Tokenize, KeepsRussianShortI) {
  EXPECT_EQ(normalize("НОВЫЙ Йошкар-Ола ёлка"), "новый йошкар-ола елка");
}

TEST(Analyzer, RussianStemsMatchInflections) {
  Analyzer analyzer;
  EXPECT_TRUE(
      keys_intersect(analyzer.query_keys(normalize("новый")), keys(analyzer, "новая", "ru")));
  EXPECT_TRUE(
      keys_intersect(analyzer.query_keys(normalize("санкции")), keys(analyzer, "санкций", "ru")));
  EXPECT_TRUE(
      keys_intersect(analyzer.query_keys(normalize("Россия")), keys(analyzer, "России", "ru")));
}

TEST(Analyzer, LanguagePicksTheStemmerAndEmptyUsesAll) {
  AnalyzerOptions options;
  options.languages = {"de", "en"};
  Analyzer analyzer(options);
  // English "running" stems to "run" only under the English stemmer.
  EXPECT_EQ(keys(analyzer, "running", "en"), std::vector<std::string>{"run"});
  EXPECT_EQ(keys(analyzer, "Sanktionen", "de-AT"), std::vector<std::string>{"sanktion"});
  std::vector<std::string> unknown = keys(analyzer, "running", "");
  EXPECT_NE(std::find(unknown.begin(), unknown.end(), "run"), unknown.end());
  EXPECT_NE(std::find(unknown.begin(), unknown.end(), "running"), unknown.end());
  // An unconfigured language falls back to all configured stemmers.
  EXPECT_EQ(keys(analyzer, "running", "it"), unknown);
}

TEST(Analyzer, SynonymsShareAKey) {
  AnalyzerOptions options;
  options.synonyms = {{"Pjöngjang", "Pyongyang", "Пхеньян"}};
  Analyzer analyzer(options);
  const std::vector<std::string> query = analyzer.query_keys(normalize("Pyongyang"));
  EXPECT_TRUE(keys_intersect(query, keys(analyzer, "PJÖNGJANG", "de")));
  EXPECT_TRUE(keys_intersect(query, keys(analyzer, "Pjöngjangs", "de")));  // via the stem
  EXPECT_TRUE(keys_intersect(query, keys(analyzer, "Пхеньян", "ru")));
  EXPECT_FALSE(keys_intersect(query, keys(analyzer, "Seoul", "de")));
  Analyzer plain;
  EXPECT_FALSE(keys_intersect(plain.query_keys("pyongyang"), keys(plain, "Pjöngjang", "de")));
}

TEST(Analyzer, CompoundPartsAreHeadsAndTails) {
  Analyzer analyzer;
  const std::string stem = analyzer.german_stem("wirtschaftssanktionen");
  EXPECT_EQ(stem, "wirtschaftssanktion");
  std::vector<std::string_view> parts = analyzer.compound_parts(stem);
  auto has = [&](std::string_view p) {
    return std::find(parts.begin(), parts.end(), p) != parts.end();
  };
  EXPECT_TRUE(has("sanktion"));
  EXPECT_TRUE(has("wirtschaft"));
  EXPECT_FALSE(has("wirtschaftssanktion"));  // the whole word is not a part
  EXPECT_FALSE(has("ion"));                  // shorter than min_compound_part
  EXPECT_FALSE(has("wirtschaftssanktio"));   // rest shorter than min_compound_rest
  EXPECT_TRUE(analyzer.compound_parts("haus").empty());
  // Code point boundaries: no part starts inside a multi-byte character.
  for (std::string_view part : analyzer.compound_parts("группенсанкция")) {
    EXPECT_NE(static_cast<unsigned char>(part[0]) & 0xC0, 0x80);
  }
}

TEST(Analyzer, InfixModeAlsoYieldsMiddleParts) {
  AnalyzerOptions options;
  options.compounds = CompoundMode::german_infix;
  Analyzer infix(options);
  Analyzer plain;
  const std::string stem = plain.german_stem("wirtschaftssanktionspaket");
  auto has = [](const std::vector<std::string_view>& parts, std::string_view p) {
    return std::find(parts.begin(), parts.end(), p) != parts.end();
  };
  EXPECT_FALSE(has(plain.compound_parts(stem), "sanktion"));
  EXPECT_TRUE(has(infix.compound_parts(stem), "sanktion"));
  EXPECT_TRUE(has(infix.compound_parts(stem), "paket"));                // tails still
  EXPECT_TRUE(has(infix.compound_parts(stem), "wirtschaft"));           // and heads
  EXPECT_FALSE(has(infix.compound_parts("xxsanktionyy"), "sanktion"));  // 2 < min rest
  EXPECT_TRUE(infix.decompounds("de"));
}

TEST(Analyzer, DecompoundsOnlyGermanOrUnknownText) {
  Analyzer analyzer;
  EXPECT_TRUE(analyzer.decompounds("de"));
  EXPECT_TRUE(analyzer.decompounds(""));
  EXPECT_FALSE(analyzer.decompounds("en"));
  AnalyzerOptions off;
  off.compounds = CompoundMode::off;
  EXPECT_FALSE(Analyzer(off).decompounds("de"));
}

TEST(Analyzer, AnalyzeGivesKeysPerDistinctWord) {
  Analyzer analyzer;
  AnalyzedText text = analyzer.analyze("Neue Sanktionen, neue Sanktion", "de");
  ASSERT_EQ(text.tokens.size(), 4u);
  EXPECT_EQ(text.keys.size(), 3u);
  EXPECT_EQ(text.keys.at("sanktionen"), text.keys.at("sanktion"));
}

TEST(Analyzer, StemsConsistentlyAcrossThreads) {
  Analyzer analyzer;
  const std::vector<std::string> expected = keys(analyzer, "Wirtschaftssanktionen", "");
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      int good = 0;
      for (int i = 0; i < 500; ++i) good += keys(analyzer, "Wirtschaftssanktionen", "") == expected;
      ok[t] = good;
    });
  }
  for (std::thread& th : threads) th.join();
  for (int good : ok) EXPECT_EQ(good, 500);
}

}  // namespace
}  // namespace newswatch::storage
