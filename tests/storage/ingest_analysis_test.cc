// Pins what index_terms() and fingerprint_text() store on disk (index keys, term frequencies,
// lengths, exact hashes, MinHash values) to straightforward reference implementations written
// here: the fast paths must give byte-for-byte the same results, or old databases stop matching
// (a change of definition is a new format, whose migration computes the stored values again).
#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "storage/analyzer.h"
#include "storage/fingerprint.h"
#include "storage/search.h"
#include "storage/string_table.h"

namespace newswatch::storage {
namespace {

// Words that exercise every path of the tokenizers: ASCII in any case, German, Russian (with
// й/Й, which normalisation keeps), soft hyphens and zero-width joiners inside and at the end of
// words, digits, combining marks, ligatures, full-width forms, long words beyond 23 bytes,
// marks alone (which normalise to nothing), other scripts.
const std::vector<std::string> k_words = {"the",
                                          "The",
                                          "THE",
                                          "of",
                                          "and",
                                          "Sanktionen",
                                          "sanktion",
                                          "Sanktionspaket",
                                          "Wirtschaftssanktionen",
                                          "Straße",
                                          "STRASSE",
                                          "strasse",
                                          "Ärzte",
                                          "ÄRZTE",
                                          "Müller",
                                          "muller",
                                          "Pjöngjang",
                                          "Pyongyang",
                                          "Москва",
                                          "МОСКВА",
                                          "новый",
                                          "НОВЫЙ",
                                          "Йошкар",
                                          "край",
                                          "Кремль",
                                          "Bundes\u00ADregierung",
                                          "Bundesregierung\u00AD",
                                          "soft\u00AD",
                                          "zero\u200Dwidth",
                                          "covid",
                                          "19",
                                          "2024",
                                          "x86",
                                          "A1",
                                          "e\u0301te",
                                          "\u0301",
                                          "\uFB01nance",
                                          "\uFF21\uFF22\uFF23",
                                          "Donaudampfschifffahrtsgesellschaftskapitän",
                                          "abcdefghijklmnopqrstuvw",
                                          "abcdefghijklmnopqrstuvwx",
                                          "Antidisestablishmentarianism",
                                          "Ростовнадонувосточныйрайон",
                                          "東京",
                                          "café",
                                          "CAFÉ",
                                          "naïve",
                                          "Œuvre",
                                          "İstanbul",
                                          "ǅemal",
                                          "Ⅻ",
                                          "½",
                                          "x\u0308",
                                          "мир",
                                          "Миру",
                                          "élysée",
                                          "schön",
                                          "Schöne",
                                          "running",
                                          "runs",
                                          "ran",
                                          "Ölpreis",
                                          "ölpreise",
                                          "Übermorgen",
                                          "ß"};

const std::vector<std::string> k_separators = {
    " ",  " ",  " ",      ", ",   ". ", "\n\n", "-",          " — ", "\u00A0",
    "\t", "!?", " \xFF ", "\xC3", "/",  "'",    "\U0001F600", " (",  ") "};

std::string random_word(std::mt19937_64& rng, size_t min_len, size_t max_len) {
  std::string w;
  const size_t len = min_len + rng() % (max_len - min_len + 1);
  for (size_t i = 0; i < len; ++i) w += static_cast<char>('a' + rng() % 26);
  if (rng() % 4 == 0) w[0] = static_cast<char>(w[0] - 'a' + 'A');
  return w;
}

// `words` words from k_words and random ASCII words (`fresh` of 8 new-ish ones), joined by
// separators; sometimes a separator or a mark leads or trails the text.
std::string text_of(std::mt19937_64& rng, size_t words, size_t fresh = 2) {
  std::string out;
  if (rng() % 5 == 0) out += k_separators[rng() % k_separators.size()];
  for (size_t i = 0; i < words; ++i) {
    if (i > 0) out += k_separators[rng() % k_separators.size()];
    if (rng() % 8 < fresh) {
      out += random_word(rng, 1, 30);
    } else {
      out += k_words[rng() % k_words.size()];
    }
  }
  if (rng() % 5 == 0) out += rng() % 2 ? "\u00AD" : "\u0301";
  return out;
}

// Reference index terms: tokenize() each field, word_keys() per word, counts summed per key.
struct RefTerms {
  std::map<std::string, std::pair<std::uint32_t, std::uint32_t>> tf;
  std::uint32_t length = 0;
};

RefTerms reference_terms(const Analyzer& analyzer, const Article& article) {
  RefTerms ref;
  const std::string* fields[] = {&article.title, &article.text};
  for (int field = 0; field < 2; ++field) {
    for (const Token& token : tokenize(*fields[field])) {
      ++ref.length;
      std::vector<std::string> keys;
      analyzer.word_keys(token.norm, article.language, keys);
      for (const std::string& key : keys) {
        auto& counts = ref.tf[key];
        ++(field == 0 ? counts.first : counts.second);
      }
    }
  }
  return ref;
}

// Compares index_terms(analyzer, article) with the reference; the message names the article.
// Also that the body fingerprints index_terms() builds from its memo are fingerprint_text()'s.
void expect_same_fingerprints_as_text(const TextFingerprints& got, const std::string& text,
                                      const std::string& what) {
  const TextFingerprints want = fingerprint_text(text);
  EXPECT_EQ(got.words, want.words) << what;
  EXPECT_EQ(got.exact, want.exact) << what;
  EXPECT_EQ(got.minhash.shingles, want.minhash.shingles) << what;
  EXPECT_EQ(got.minhash.values, want.minhash.values) << what;
}

void expect_same_terms(const Analyzer& analyzer, const Article& article, const std::string& what) {
  TextFingerprints fingerprints;
  fingerprints.exact = 1;  // must be overwritten
  const DocTerms got = index_terms(analyzer, article, &fingerprints);
  expect_same_fingerprints_as_text(fingerprints, article.text, what);
  const RefTerms ref = reference_terms(analyzer, article);
  EXPECT_EQ(got.length, ref.length) << what;
  std::map<std::string, std::pair<std::uint32_t, std::uint32_t>> tf;
  for (const TermFrequency& t : got.terms) {
    ASSERT_NE(t.key, nullptr) << what;
    EXPECT_TRUE(tf.emplace(*t.key, std::make_pair(t.title_tf, t.body_tf)).second)
        << what << ": key twice: " << *t.key;
    ASSERT_NE(got.keys, nullptr) << what;
    ASSERT_LT(t.id, got.keys->keys.size()) << what;
    EXPECT_EQ(&got.keys->keys[t.id], t.key) << what;
  }
  EXPECT_EQ(tf, ref.tf) << what;
}

Article article_of(std::mt19937_64& rng, size_t words, std::string language, size_t fresh = 2) {
  Article a;
  a.title = text_of(rng, 3 + rng() % 12, fresh);
  a.text = text_of(rng, words, fresh);
  a.language = std::move(language);
  return a;
}

TEST(IngestAnalysis, NormalizedWordsAreTokenizeNorms) {
  std::mt19937_64 rng(11);
  NormalizedWords words;  // reused, as index_terms() reuses it
  for (int i = 0; i < 300; ++i) {
    const std::string text = i == 0 ? std::string() : text_of(rng, rng() % 200, rng() % 8);
    normalize_words(text, words);
    const std::vector<Token> tokens = tokenize(text);
    ASSERT_EQ(words.size(), tokens.size()) << text;
    for (size_t t = 0; t < tokens.size(); ++t) EXPECT_EQ(words[t], tokens[t].norm) << text;
    std::vector<std::string> seen;
    for_each_norm(text, [&](std::string_view norm) { seen.emplace_back(norm); });
    ASSERT_EQ(seen.size(), tokens.size()) << text;
    for (size_t t = 0; t < tokens.size(); ++t) EXPECT_EQ(seen[t], tokens[t].norm) << text;
  }
}

TEST(IngestAnalysis, IndexTermsMatchReferenceAcrossAnalyzersAndLanguages) {
  const Analyzer plain;
  AnalyzerOptions options;
  options.languages = {"de", "ru"};
  options.synonyms = {{"Pjöngjang", "Pyongyang"}, {"Moskau", "Москва", "Moscow"}};
  const Analyzer custom(options);
  const std::string languages[] = {"", "en", "de", "ru-RU", "fr", "xx"};
  std::mt19937_64 rng(5);
  // The two analyzers alternate, so each call may find the other's memo.
  for (int i = 0; i < 120; ++i) {
    const Analyzer& analyzer = i % 3 == 2 ? custom : plain;
    const Article a = article_of(rng, rng() % 400, languages[rng() % std::size(languages)]);
    expect_same_terms(analyzer, a, "article " + std::to_string(i));
  }
  Article empty;
  expect_same_terms(plain, empty, "empty article");
  Article marks;
  marks.title = "\u0301 \u0301";
  marks.text = "\xFF\xFE \u00AD";
  expect_same_terms(plain, marks, "marks only");
}

TEST(IngestAnalysis, IndexTermsSurviveMemoResets) {
  // Mostly fresh words: the per-thread memo passes its bound of 100,000 words and starts again,
  // while the common words keep coming back.
  const Analyzer analyzer;
  std::mt19937_64 rng(9);
  for (int i = 0; i < 60; ++i) {
    Article a;
    a.title = text_of(rng, 5);
    for (int w = 0; w < 2500; ++w) {
      a.text += random_word(rng, 6, 12);
      a.text += w % 10 == 0 ? " Straße und the " : " ";
    }
    a.language = i % 2 ? "de" : "";
    if (i % 6 == 0) {
      expect_same_terms(analyzer, a, "fresh article " + std::to_string(i));
    } else {
      TextFingerprints fingerprints;
      const DocTerms terms = index_terms(analyzer, a, &fingerprints);
      EXPECT_EQ(terms.length, tokenize(a.title).size() + tokenize(a.text).size());
      expect_same_fingerprints_as_text(fingerprints, a.text, "fresh article " + std::to_string(i));
    }
  }
  for (int i = 0; i < 10; ++i) {
    expect_same_terms(analyzer, article_of(rng, 300, ""), "after reset " + std::to_string(i));
  }
}

TEST(IngestAnalysis, IndexTermsSurviveManyLanguageTags) {
  // Feeds may claim any tag; past 16 the memo starts again. Terms handed out before a reset
  // (the postings buffer holds them) keep their keys.
  const Analyzer analyzer;
  std::mt19937_64 rng(13);
  const Article first = article_of(rng, 200, "en");
  const DocTerms kept = index_terms(analyzer, first, nullptr);
  std::map<std::string, std::uint32_t> kept_tf;
  for (const TermFrequency& t : kept.terms) kept_tf[*t.key] = t.body_tf;
  for (int i = 0; i < 60; ++i) {
    const std::string tag{static_cast<char>('a' + i % 26), static_cast<char>('a' + i / 26)};
    expect_same_terms(analyzer, article_of(rng, 150, tag), "tag " + tag);
  }
  expect_same_terms(analyzer, first, "the first article again");
  std::map<std::string, std::uint32_t> now;
  for (const TermFrequency& t : kept.terms) now[*t.key] = t.body_tf;
  EXPECT_EQ(now, kept_tf);
  for (const TermFrequency& t : kept.terms) EXPECT_EQ(&kept.keys->keys[t.id], t.key);
}

TEST(IngestAnalysis, IndexTermsMatchReferenceOnSeveralThreads) {
  const Analyzer analyzer;
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&analyzer, t] {
      std::mt19937_64 rng(100 + static_cast<std::uint64_t>(t));
      for (int i = 0; i < 30; ++i) {
        expect_same_terms(analyzer, article_of(rng, 200, "en"),
                          "thread " + std::to_string(t) + " article " + std::to_string(i));
      }
    });
  }
  for (auto& thread : threads) thread.join();
}

// Reference fingerprints (format 7), computed the plain way: each word's hash from its normal form
// (FNV-1a, then splitmix64's finaliser), an exact hash chained over them, every 3-word shingle
// hashed from scratch, one-permutation MinHash with densification.
std::uint64_t ref_mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::vector<std::uint64_t> ref_word_hashes(const std::string& text) {
  std::vector<std::uint64_t> out;
  for (const Token& t : tokenize(text)) {
    std::uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : t.norm) h = (h ^ c) * 1099511628211ULL;
    out.push_back(ref_mix64(h));
  }
  return out;
}

std::uint64_t ref_exact(const std::vector<std::uint64_t>& words) {
  if (words.empty()) return 0;
  std::uint64_t h = 14695981039346656037ULL;
  for (std::uint64_t w : words) h = (h + w) * 0x9fb21c651e98df25ULL;
  return ref_mix64(h ^ words.size());
}

// The shingle of words[0, count), padded in front to three words.
std::uint64_t ref_shingle(const std::uint64_t* words, size_t count) {
  std::uint64_t w[3] = {0x6a09e667f3bcc909ULL, 0x6a09e667f3bcc909ULL, 0x6a09e667f3bcc909ULL};
  for (size_t i = 0; i < count; ++i) w[3 - count + i] = words[i];
  return ref_mix64(w[0] ^ std::rotl(w[1], 21) ^ std::rotl(w[2], 42));
}

MinHash ref_minhash(const std::vector<std::uint64_t>& words) {
  std::vector<std::uint64_t> shingles;
  if (!words.empty() && words.size() < 3)
    shingles.push_back(ref_shingle(words.data(), words.size()));
  for (size_t i = 0; i + 3 <= words.size(); ++i) shingles.push_back(ref_shingle(&words[i], 3));
  MinHash m;
  if (shingles.empty()) return m;
  m.shingles = static_cast<std::uint32_t>(shingles.size());
  std::array<bool, k_minhash_values> filled{};
  m.values.fill(std::numeric_limits<std::uint32_t>::max());
  for (std::uint64_t h : shingles) {
    const size_t bin = static_cast<size_t>(h >> 58);
    m.values[bin] = std::min(m.values[bin], static_cast<std::uint32_t>(h));
    filled[bin] = true;
  }
  for (size_t bin = 0; bin < k_minhash_values; ++bin) {
    if (filled[bin]) continue;
    for (size_t t = 1; t < k_minhash_values; ++t) {
      const size_t from = (bin + t) % k_minhash_values;
      if (filled[from]) {
        m.values[bin] =
            static_cast<std::uint32_t>(ref_mix64(m.values[from] + t * 0x9e3779b97f4a7c15ULL));
        break;
      }
    }
  }
  return m;
}

void expect_same_fingerprints(const std::string& text) {
  const std::vector<std::uint64_t> words = ref_word_hashes(text);
  EXPECT_EQ(word_hashes(text), words) << text;
  const TextFingerprints fp = fingerprint_text(text);
  EXPECT_EQ(fp.words, words.size()) << text;
  EXPECT_EQ(fp.exact, ref_exact(words)) << text;
  const MinHash ref = ref_minhash(words);
  EXPECT_EQ(fp.minhash.shingles, ref.shingles) << text;
  EXPECT_EQ(fp.minhash.values, ref.values) << text;
  EXPECT_EQ(text_fingerprint(text), fp.exact) << text;
  EXPECT_EQ(minhash(text).values, fp.minhash.values) << text;
}

TEST(IngestAnalysis, FingerprintsMatchReference) {
  std::mt19937_64 rng(3);
  for (const char* text : {"", " ", "one", "one two", "One, two; THREE", "\u00AD", "a\u00ADb c",
                           "\xFF\xFE", "ÄRZTE ärzte", "Straße strasse МОСКВА"}) {
    expect_same_fingerprints(text);
  }
  for (int i = 0; i < 400; ++i) expect_same_fingerprints(text_of(rng, rng() % 700, rng() % 8));
}

}  // namespace
}  // namespace newswatch::storage
