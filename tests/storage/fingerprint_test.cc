#include "storage/fingerprint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace newswatch::storage {
namespace {

// A deterministic pseudo-article of `words` words drawn from a 5,000-word vocabulary.
std::string article(uint64_t seed, size_t words) {
  std::mt19937_64 rng(seed);
  std::string out;
  for (size_t i = 0; i < words; ++i) {
    if (i > 0) out += (i % 17 == 0) ? ". " : " ";
    uint64_t w = rng() % 5000;
    std::string word;
    do {
      word += static_cast<char>('a' + w % 26);
      w /= 26;
    } while (w > 0);
    out += word + "x";
  }
  return out + ".";
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t j = text.find(' ', i);
    out.push_back(text.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& words, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to && i < words.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += words[i];
  }
  return out;
}

TEST(WordHashes, SplitsOnPunctuationAndWhitespace) {
  EXPECT_EQ(word_hashes("Hello, world!  The end.").size(), 4u);
  EXPECT_EQ(word_hashes("").size(), 0u);
  EXPECT_EQ(word_hashes(" \n\t ,;!? ").size(), 0u);
  EXPECT_EQ(word_hashes("covid-19").size(), 2u);
}

TEST(WordHashes, NormalizeAsTheSearchIndexDoes) {
  EXPECT_EQ(word_hashes("Merkel ÄRZTE Straße"), word_hashes("merkel ärzte STRAßE"));
  EXPECT_EQ(word_hashes("МОСКВА Кремль"), word_hashes("москва кремль"));
  // Format 7: case folding, NFKC and stripped diacritics, as the index keys see words.
  EXPECT_EQ(word_hashes("Straße"), word_hashes("Strasse"));
  EXPECT_EQ(word_hashes("Müller Pjöngjang"), word_hashes("Muller Pjongjang"));
  EXPECT_EQ(word_hashes("\uFB01nance"), word_hashes("finance"));
  EXPECT_NE(word_hashes("Müller"), word_hashes("Miller"));
  EXPECT_NE(word_hashes("новый"), word_hashes("новыи"));  // й keeps its breve
}

TEST(WordHashes, KeepsSoftHyphenatedWordWhole) {
  EXPECT_EQ(word_hashes("Bundes\u00ADregierung"), word_hashes("Bundesregierung"));
}

TEST(WordHashes, TreatsInvalidUtf8AsSeparator) {
  EXPECT_EQ(word_hashes("abc\xFF"
                        "def"),
            word_hashes("abc def"));
}

TEST(TextFingerprint, IgnoresCasePunctuationAndWhitespace) {
  const uint64_t a = text_fingerprint("The minister said: \"We will act.\"\n\nMore later.");
  const uint64_t b = text_fingerprint("the minister said we   will act -- more later");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, 0u);
}

TEST(TextFingerprint, ChangesWithAnyWord) {
  EXPECT_NE(text_fingerprint("the minister said we will act"),
            text_fingerprint("the minister said we will not act"));
  EXPECT_NE(text_fingerprint("a b"), text_fingerprint("b a"));
  EXPECT_NE(text_fingerprint("ab c"), text_fingerprint("a bc"));
}

TEST(TextFingerprint, EmptyTextIsZero) {
  EXPECT_EQ(text_fingerprint(""), 0u);
  EXPECT_EQ(text_fingerprint("... --- !!!"), 0u);
}

TEST(MinHash, IdenticalTextsAreIdentical) {
  const std::string text = article(1, 400);
  const MinHash a = minhash(text);
  const MinHash b = minhash(text);
  EXPECT_EQ(a.values, b.values);
  EXPECT_DOUBLE_EQ(estimate_jaccard(a, b), 1.0);
}

TEST(MinHash, EstimatesJaccardOfTruncation) {
  // Keeping the first 70% of the words keeps ~70% of the shingles: Jaccard ~0.7.
  const std::string text = article(2, 600);
  const std::vector<std::string> words = split(text);
  const std::string head = join(words, 0, 420);
  const double j = estimate_jaccard(minhash(text), minhash(head));
  EXPECT_GT(j, 0.55);
  EXPECT_LT(j, 0.85);
}

TEST(MinHash, UnrelatedTextsAreFarApart) {
  double max_j = 0;
  for (uint64_t seed = 10; seed < 30; ++seed) {
    max_j = std::max(
        max_j, estimate_jaccard(minhash(article(seed, 300)), minhash(article(seed + 100, 300))));
  }
  EXPECT_LT(max_j, 0.15);
}

TEST(MinHash, EmptyTextHasNoSignature) {
  EXPECT_TRUE(minhash("").empty());
  EXPECT_DOUBLE_EQ(estimate_jaccard(minhash(""), minhash("")), 0.0);
  EXPECT_FALSE(minhash("one").empty());
}

TEST(MinHash, ShortTextFillsEveryBin) {
  // Three shingles for 64 bins: densification must still give equal texts equal signatures
  // and different texts different ones.
  const MinHash a = minhash("alpha beta gamma delta epsilon");
  EXPECT_EQ(a.shingles, 3u);
  EXPECT_DOUBLE_EQ(estimate_jaccard(a, minhash("ALPHA beta, gamma delta epsilon")), 1.0);
  EXPECT_LT(estimate_jaccard(a, minhash("zeta eta theta iota kappa")), 0.3);
}

TEST(MinHash, BytesRoundTripPreservesEstimates) {
  const MinHash a = minhash(article(3, 300));
  const MinHash b = minhash(article(3, 250));
  const std::string bytes = a.to_bytes();
  ASSERT_EQ(bytes.size(), k_minhash_bytes);
  const auto restored = MinHash::from_bytes(bytes);
  ASSERT_TRUE(restored.has_value());
  EXPECT_DOUBLE_EQ(estimate_jaccard(*restored, b), estimate_jaccard(a, b));
  for (size_t band = 0; band < k_lsh_bands; ++band)
    EXPECT_EQ(restored->values[band], a.values[band]);
  EXPECT_EQ(restored->to_bytes(), bytes);
  EXPECT_FALSE(MinHash::from_bytes(bytes.substr(1)).has_value());
}

TEST(SimHash, NearCopiesAreCloserThanUnrelatedTexts) {
  const std::string text = article(4, 500);
  const std::string edited = "BERLIN (dpa) - " + text + " Copyright dpa.";
  const int near = hamming_distance(simhash(text), simhash(edited));
  const int far = hamming_distance(simhash(text), simhash(article(5, 500)));
  EXPECT_LT(near, 12);
  EXPECT_GT(far, 16);
  EXPECT_EQ(simhash(""), 0u);
}

NearDupIndex small_index(double min_similarity = 0.35) {
  return NearDupIndex(NearDupOptions{.min_similarity = min_similarity, .expected_entries = 1000});
}

TEST(NearDupIndex, FindsSyndicatedCopyAndNotUnrelated) {
  NearDupIndex index = small_index();
  for (uint64_t id = 0; id < 200; ++id) index.insert(id, minhash(article(1000 + id, 300)));
  EXPECT_EQ(index.size(), 200u);

  const std::vector<std::string> words = split(article(1042, 300));
  const std::string copy = "WASHINGTON (AP) — " + join(words, 0, 230) +
                           " Copyright 2024 The Associated Press. All rights reserved.";
  const auto best = index.find_best(minhash(copy));
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(best->id, 42u);
  EXPECT_GT(best->similarity, 0.5);

  EXPECT_FALSE(index.find_best(minhash(article(5000, 300))).has_value());
  EXPECT_TRUE(index.find(minhash(article(5001, 300))).empty());
}

TEST(NearDupIndex, FindReturnsAllMatchesMostSimilarFirst) {
  NearDupIndex index = small_index();
  const std::string text = article(7, 400);
  const std::vector<std::string> words = split(text);
  index.insert(1, minhash(join(words, 0, 300)));  // 75% of the text
  index.insert(2, minhash(text));                 // identical
  index.insert(3, minhash(article(8, 400)));      // unrelated
  const auto matches = index.find(minhash(text));
  ASSERT_EQ(matches.size(), 2u);
  EXPECT_EQ(matches[0].id, 2u);
  EXPECT_DOUBLE_EQ(matches[0].similarity, 1.0);
  EXPECT_EQ(matches[1].id, 1u);
  EXPECT_LT(matches[1].similarity, 1.0);
}

TEST(NearDupIndex, ReportsAnEntryOnceThoughManyBandsMatch) {
  NearDupIndex index = small_index();
  const MinHash m = minhash(article(9, 300));
  index.insert(5, m);
  EXPECT_EQ(index.find(m).size(), 1u);
}

TEST(NearDupIndex, HonoursSimilarityThreshold) {
  const std::string text = article(11, 400);
  const std::string half = join(split(text), 0, 200);  // Jaccard ~0.5
  NearDupIndex strict = small_index(0.8);
  NearDupIndex loose = small_index(0.3);
  strict.insert(1, minhash(text));
  loose.insert(1, minhash(text));
  EXPECT_FALSE(strict.find_best(minhash(half)).has_value());
  EXPECT_TRUE(loose.find_best(minhash(half)).has_value());
}

TEST(NearDupIndex, EraseRemovesOnlyThatEntry) {
  NearDupIndex index = small_index();
  const MinHash m = minhash(article(12, 300));
  index.insert(1, m);
  index.insert(2, m);
  EXPECT_TRUE(index.erase(1, m));
  EXPECT_FALSE(index.erase(1, m));
  EXPECT_FALSE(index.erase(3, m));
  EXPECT_EQ(index.size(), 1u);
  const auto matches = index.find(m);
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(matches[0].id, 2u);
}

TEST(NearDupIndex, IgnoresEmptySignatures) {
  NearDupIndex index = small_index();
  index.insert(1, minhash(""));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.find(minhash("")).empty());
}

TEST(NearDupIndex, WorksBeyondExpectedEntries) {
  // 1,000 expected, 5,000 inserted: chains get longer, answers stay right.
  NearDupIndex index = small_index();
  for (uint64_t id = 0; id < 5000; ++id) index.insert(id, minhash(article(20000 + id, 120)));
  for (uint64_t id : {0u, 2500u, 4999u}) {
    const auto best = index.find_best(minhash(article(20000 + id, 120)));
    ASSERT_TRUE(best.has_value()) << id;
    EXPECT_EQ(best->id, id);
  }
}

TEST(NearDupIndex, WalksOnlyTheNewestMaxChainEntriesOfABand) {
  // Six entries with one signature: every band's chain holds all six, newest first.
  const MinHash m = minhash(article(13, 300));
  NearDupIndex capped(NearDupOptions{.expected_entries = 1000, .max_chain = 3});
  for (uint64_t id = 1; id <= 6; ++id) capped.insert(id, m);
  const auto matches = capped.find(m);
  ASSERT_EQ(matches.size(), 3u);
  EXPECT_EQ(matches[0].id, 4u);  // equal similarity: by id
  EXPECT_EQ(matches[1].id, 5u);
  EXPECT_EQ(matches[2].id, 6u);
  EXPECT_EQ(capped.find_best(m)->id, 4u);

  NearDupIndex walks_nothing(NearDupOptions{.expected_entries = 1000, .max_chain = 0});
  walks_nothing.insert(1, m);
  EXPECT_FALSE(walks_nothing.find_best(m).has_value());
}

TEST(NearDupIndex, FindsWhatAFullScanFindsInCrowdedBands) {
  // Band values drawn from a few dozen, as common shingles make them in text: long chains in
  // every band, walked together. With no chain cap, find() must return every entry that shares
  // a band value and passes the threshold (and may add a bucket neighbour that passes it too).
  std::mt19937_64 rng(7);
  std::vector<MinHash> stored;
  NearDupIndex index(
      NearDupOptions{.min_similarity = 0.3, .expected_entries = 4000, .max_chain = 1000000});
  const auto make = [&](const MinHash* base) {
    MinHash m;
    m.shingles = 100;
    for (size_t i = 0; i < m.values.size(); ++i) {
      if (base != nullptr && rng() % 100 < 60) {
        m.values[i] = base->values[i];
      } else {
        m.values[i] = i < k_lsh_bands ? static_cast<uint32_t>(rng() % 40) * 0x01000193u
                                      : static_cast<uint32_t>(rng());
      }
    }
    return m;
  };
  for (uint64_t id = 0; id < 3000; ++id) {
    stored.push_back(
        make(id % 3 == 0 || stored.empty() ? nullptr : &stored[rng() % stored.size()]));
    index.insert(id, stored.back());
  }
  size_t checked = 0;
  for (size_t q = 0; q < 200; ++q) {
    const MinHash query = make(q % 2 == 0 ? &stored[rng() % stored.size()] : nullptr);
    const auto found = index.find(query);
    for (uint64_t id = 0; id < stored.size(); ++id) {
      const double s = estimate_jaccard(query, stored[id]);
      bool shares_band = false;
      for (size_t b = 0; b < k_lsh_bands; ++b) {
        shares_band = shares_band || stored[id].values[b] == query.values[b];
      }
      const bool listed = std::any_of(found.begin(), found.end(), [&](const auto& match) {
        return match.id == id && match.similarity == s;
      });
      if (shares_band && s >= 0.3) {
        EXPECT_TRUE(listed) << "query " << q << " entry " << id;
        ++checked;
      }
      if (s < 0.3) {
        EXPECT_FALSE(listed) << "query " << q << " entry " << id;
      }
    }
    const auto best = index.find_best(query);
    ASSERT_EQ(best.has_value(), !found.empty());
    if (best) {
      EXPECT_EQ(best->id, found.front().id);
    }
  }
  EXPECT_GT(checked, 100u);  // the comparison saw real matches
}

TEST(NearDupIndex, GrowsWithItsEntriesAndStillFindsTheOldest) {
  // A million expected: the buckets start at 1,024 per band and double twice for 3,000 entries.
  NearDupIndex index(NearDupOptions{.expected_entries = 1000000});
  const size_t empty_bytes = index.memory_bytes();
  EXPECT_LT(empty_bytes, size_t{1} << 20);
  for (uint64_t id = 0; id < 3000; ++id) index.insert(id, minhash(article(40000 + id, 120)));
  EXPECT_GT(index.memory_bytes(), empty_bytes);
  EXPECT_LT(index.memory_bytes(), size_t{4} << 20);
  for (uint64_t id : {0u, 1023u, 1024u, 2999u}) {
    const std::string copy = "Reuters - " + join(split(article(40000 + id, 120)), 0, 100);
    const auto best = index.find_best(minhash(copy));
    ASSERT_TRUE(best.has_value()) << id;
    EXPECT_EQ(best->id, id);
  }
  // An entry linked before the buckets grew is still found by erase().
  const MinHash first = minhash(article(40000, 120));
  EXPECT_TRUE(index.erase(0, first));
  EXPECT_FALSE(index.find_best(first).has_value());
  EXPECT_EQ(index.size(), 2999u);
}

TEST(NearDupIndex, TakesItsFullSizeAtTheGrowLimit) {
  // Random signatures: each matches only itself.
  std::mt19937_64 rng(99);
  const auto random_minhash = [&] {
    MinHash m;
    m.shingles = 100;
    for (auto& v : m.values) v = static_cast<uint32_t>(rng());
    return m;
  };
  NearDupIndex index(NearDupOptions{.expected_entries = 1000000});
  std::vector<MinHash> stored;
  for (size_t i = 0; i < NearDupIndex::k_grow_limit; ++i) {
    stored.push_back(random_minhash());
    index.insert(i, stored.back());
  }
  const size_t growing_bytes = index.memory_bytes();
  stored.push_back(random_minhash());
  index.insert(NearDupIndex::k_grow_limit, stored.back());
  // 8 bands * 524,288 buckets * 4 bytes, less the 32 bytes per entry of band values let go.
  EXPECT_GE(index.memory_bytes(), growing_bytes + (size_t{16} << 20) - (size_t{4} << 20));
  for (size_t id = 0; id < stored.size(); id += 4099) {
    const auto best = index.find_best(stored[id]);
    ASSERT_TRUE(best.has_value()) << id;
    EXPECT_EQ(best->id, id);
    EXPECT_DOUBLE_EQ(best->similarity, 1.0);
  }
  EXPECT_TRUE(index.erase(NearDupIndex::k_grow_limit, stored.back()));
}

TEST(NearDupIndex, RebuiltFromStoredBytesAnswersAlike) {
  NearDupIndex live = small_index();
  NearDupIndex rebuilt = small_index();
  for (uint64_t id = 0; id < 50; ++id) {
    const MinHash m = minhash(article(300 + id, 250));
    live.insert(id, m);
    rebuilt.insert(id, *MinHash::from_bytes(m.to_bytes()));
  }
  const std::string query = join(split(article(317, 250)), 0, 200);
  const auto a = live.find(minhash(query));
  const auto b = rebuilt.find(minhash(query));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].id, 17u);
  EXPECT_EQ(b[0].id, 17u);
  EXPECT_DOUBLE_EQ(a[0].similarity, b[0].similarity);
}

TEST(NearDupIndex, BandKeysAreBandNumberPlusBigEndianValue) {
  MinHash m;
  m.shingles = 1;
  for (size_t i = 0; i < k_minhash_values; ++i)
    m.values[i] = 0x01020300u + static_cast<uint32_t>(i);
  const auto keys = NearDupIndex::band_keys(m);
  ASSERT_EQ(keys.size(), k_lsh_bands);
  EXPECT_EQ(keys[0], std::string("\x00\x01\x02\x03\x00", 5));
  EXPECT_EQ(keys[5], std::string("\x05\x01\x02\x03\x05", 5));
}

TEST(NearDupIndex, SharedBandKeyIsNecessaryForAMatch) {
  // Whatever find() returns shares at least one band key with the query: the property a
  // RocksDB prefix index over band_keys() relies on.
  NearDupIndex index = small_index(0.0);
  std::vector<MinHash> stored;
  for (uint64_t id = 0; id < 100; ++id) {
    stored.push_back(minhash(article(700 + id % 10, 100 + id)));
    index.insert(id, stored.back());
  }
  const MinHash q = minhash(article(703, 150));
  const auto qkeys = NearDupIndex::band_keys(q);
  const auto matches = index.find(q);
  EXPECT_FALSE(matches.empty());
  for (const auto& match : matches) {
    const auto keys = NearDupIndex::band_keys(stored[match.id]);
    bool shared = false;
    for (size_t b = 0; b < k_lsh_bands; ++b) shared = shared || keys[b] == qkeys[b];
    EXPECT_TRUE(shared) << match.id;
  }
}

}  // namespace
}  // namespace newswatch::storage
