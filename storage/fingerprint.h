// Content fingerprints for duplicate detection: an exact hash of normalised text and a 64-bit
// SimHash for near-duplicates, plus NearDupIndex, the in-memory banded index that answers
// "which stored articles lie within Hamming distance k" (Manku, Jain, Das Sarma 2007).
//
// Tokenisation (shared by both fingerprints): words are maximal runs of Unicode letters, marks
// and digits; everything else separates words, except format characters such as the soft hyphen,
// which are dropped inside a word. Words are lower-cased code point by code point (utf8proc), so
// "STRASSE"/"strasse" and "МОСКВА"/"москва" agree; "ß" and "ss" stay different, accents stay.
//
// Why SimHash rather than MinHash-LSH (measured by bench/dedup_bench, see docs/dedup.md): both
// separate syndicated copies from same-topic articles on our labelled set, but an LSH index that
// catches Jaccard >= 0.5 needs ~16+ band tables of 32-bit minima (hundreds of MB at 1M articles),
// while SimHash needs one 64-bit word per article and k+1 small band tables (~60 MB at 1M). The
// weakness of plain SimHash, truncated copies, is handled by position weighting (SimHashOptions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newswatch::storage {

struct SimHashOptions {
  // Words per shingle. 3 keeps same-topic articles (shared names, shared vocabulary) apart while
  // small edits move few shingles. Default 3.
  int shingle_words = 3;
  // Shingles starting in the first `lead_words` words weigh 1; later ones decay as
  // exp(-(pos - lead_words) / decay_words). A copy truncated after the lead then keeps nearly the
  // whole signature, at the price of ignoring most of the tail. Defaults chosen by measurement
  // (docs/dedup.md); lead_words <= 0 weighs every shingle 1.
  int lead_words = 300;
  double decay_words = 150.0;
};

// Both fingerprints from one pass over `text`.
struct TextFingerprints {
  uint64_t exact = 0;    // text_fingerprint()
  uint64_t simhash = 0;  // simhash()
  uint32_t words = 0;    // tokens seen; SimHash of fewer than ~50 words is not meaningful
};

// One tokenisation pass; see the file comment for what counts as a word. Any thread.
TextFingerprints fingerprint_text(std::string_view text, const SimHashOptions& opts = {});

// Hashes of the words of `text` in order, exactly as the fingerprints see them; for tests and for
// evaluation code that needs the same tokenisation (e.g. Jaccard of shingle sets).
std::vector<uint64_t> word_hashes(std::string_view text);

// 64-bit hash of the normalised word sequence: equal for texts that differ only in case,
// punctuation and whitespace. A 64-bit value gives a collision chance near 3e-8 among a million
// stored articles; the store should compare lengths or titles before dropping a text as identical.
uint64_t text_fingerprint(std::string_view text);

// 64-bit SimHash (Charikar 2002) over hashed, position-weighted word shingles. Empty text -> 0.
uint64_t simhash(std::string_view text, const SimHashOptions& opts = {});

inline int hamming_distance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

// The default near-duplicate threshold: SimHashes within this distance are the same story.
// Chosen by bench/dedup_bench (docs/dedup.md).
inline constexpr int k_default_max_distance = 4;

// In-memory index of (id, simhash) pairs answering Hamming-ball queries. The 64 bits are cut into
// max_distance + 1 bands; by pigeonhole a fingerprint within distance k equals the query on at
// least one band, so each band keeps a hash table from band value to entries. About
// 17 + 10 * (k + 1) bytes per entry. Not thread-safe: one writer, or external locking; const
// methods may run concurrently with each other. Rebuilt from the store at start.
class NearDupIndex {
 public:
  struct Match {
    uint64_t id = 0;
    int distance = 0;
  };

  // REQUIRES: 0 <= max_distance <= 15.
  explicit NearDupIndex(int max_distance = k_default_max_distance);
  NearDupIndex(const NearDupIndex&) = delete;
  NearDupIndex& operator=(const NearDupIndex&) = delete;
  NearDupIndex(NearDupIndex&&) = default;
  NearDupIndex& operator=(NearDupIndex&&) = default;

  // Adds an entry; the same id may be inserted with several fingerprints.
  void insert(uint64_t id, uint64_t simhash);
  // Removes the entry (id, simhash); false when absent. Retention calls this for expired articles.
  bool erase(uint64_t id, uint64_t simhash);
  // All live entries within max_distance of `simhash`, nearest first (ties by id).
  std::vector<Match> find(uint64_t simhash) const;
  // The nearest entry within max_distance, or nullopt.
  std::optional<Match> find_nearest(uint64_t simhash) const;
  // Pre-sizes the tables for `n` entries so inserts do not rehash.
  void reserve(size_t n);

  size_t size() const { return m_live; }
  int max_distance() const { return m_max_distance; }

  // Persistable band keys of `simhash` for this index's k: one string per band, the band number
  // as one byte followed by the band's bits as big-endian bytes (2 for 16-bit bands). A stored
  // fingerprint is a candidate for a query exactly when they share a band key, so a RocksDB prefix
  // index over these keys answers the same queries as this class.
  std::vector<std::string> band_keys(uint64_t simhash) const;

 private:
  struct Band {
    int shift = 0;
    uint64_t mask = 0;
  };
  uint64_t band_value(uint64_t simhash, size_t band) const {
    return (simhash >> m_bands[band].shift) & m_bands[band].mask;
  }
  void rehash(size_t buckets);
  template <typename Fn>
  void for_each_candidate(uint64_t simhash, Fn&& fn) const;

  int m_max_distance;
  std::vector<Band> m_bands;
  // Entries live in parallel arrays; each band chains them through its own next array.
  std::vector<uint64_t> m_simhashes;
  std::vector<uint64_t> m_ids;
  std::vector<bool> m_erased;
  std::vector<std::vector<uint32_t>> m_heads;  // per band: bucket -> first entry + 1 (0 = none)
  std::vector<std::vector<uint32_t>> m_next;   // per band: entry -> next entry + 1
  size_t m_bucket_mask = 0;
  size_t m_live = 0;
};

}  // namespace newswatch::storage
