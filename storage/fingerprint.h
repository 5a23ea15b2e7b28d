// Content fingerprints for duplicate detection: an exact hash of normalised text, a MinHash
// signature of its word shingles for near-duplicates, and NearDupIndex, the in-memory LSH index
// that answers "which stored articles are near-copies of this text".
//
// Tokenisation (format 7, shared with the search index): the words and normal forms of
// normalize_words() in storage/analyzer.h, that is Unicode case folding, NFKC and diacritics
// stripped, so "STRASSE"/"Straße", "ÄRZTE"/"arzte" and "МОСКВА"/"москва" agree. Each word becomes
// fingerprint_word() of its normal form; the fingerprints are built from those hashes alone
// (FingerprintBuilder), so index_terms() derives them from the word hashes its memo keeps instead
// of a second pass over the text. Shingles are 3 consecutive words.
//
// Why MinHash-LSH and not SimHash (bench/dedup_bench, numbers in docs/dedup.md): on our labelled
// set (syndicated copies with other boilerplate, edits, typo fixes, truncation to 70%, versus
// distinct articles on the same topic) 64-bit SimHash finds only 33-64% of the copies at k <= 4,
// the range where a Manku-style band index stays selective at a million entries; the best
// position-weighted variant reaches 0.96 recall only at k = 10. Shingle Jaccard separates the same
// pairs with a wide gap (copies >= 0.44, distinct same-topic articles <= 0.20), and MinHash-LSH
// with 8 bands at estimated Jaccard >= 0.35 found every copy with no false match. simhash() stays
// for that comparison.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newswatch::storage {

// Number of min-hash values in a signature (one-permutation hashing into this many bins).
inline constexpr size_t k_minhash_values = 64;

struct MinHash {
  // Bin minima of the 32-bit shingle hashes; bins left empty by short texts are filled from their
  // right neighbour (densification), so every value is defined when shingles > 0.
  std::array<uint32_t, k_minhash_values> values{};
  uint32_t shingles = 0;  // shingles hashed; 0 for empty text

  // Compact storage form, k_minhash_bytes long: the LSH band values in full (the first
  // k_lsh_bands values, 4 bytes big-endian each), then the low 4 bits of every value, two per
  // byte. It keeps all that estimate_jaccard() and NearDupIndex read.
  std::string to_bytes() const;
  // Inverse of to_bytes(); values outside the bands keep only their low 4 bits and `shingles`
  // becomes 1. nullopt when `bytes` has the wrong length.
  static std::optional<MinHash> from_bytes(std::string_view bytes);

  bool empty() const { return shingles == 0; }
};

// LSH bands: a stored signature is a candidate when one of its first k_lsh_bands values equals
// the query's (one row per band). For Jaccard J the chance of becoming a candidate is
// 1 - (1 - J)^8: 0.996 at J = 0.5, 0.94 at J = 0.3.
inline constexpr size_t k_lsh_bands = 8;
inline constexpr size_t k_minhash_bytes = 4 * k_lsh_bands + k_minhash_values / 2;

// Estimated Jaccard similarity of the shingle sets behind `a` and `b`, from the low 4 bits of the
// values (b-bit minwise hashing, Li and König 2010, corrected for chance collisions). 0 when
// either is empty.
double estimate_jaccard(const MinHash& a, const MinHash& b);

// All fingerprints of one text from one tokenisation pass.
struct TextFingerprints {
  uint64_t exact = 0;  // text_fingerprint()
  MinHash minhash;     // minhash()
  uint32_t words = 0;  // near-duplicate decisions on fewer than ~30 words are unreliable
};

// The stable hash of one normalised word: FNV-1a over its bytes, then splitmix64's finaliser.
// The same on every machine, so what is built from it can be stored.
uint64_t fingerprint_word(std::string_view norm);

namespace fingerprint_detail {
// splitmix64's finaliser.
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}
constexpr uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
// Stands for the missing words of a text shorter than a shingle.
constexpr uint64_t k_absent_word = 0x6a09e667f3bcc909ULL;
constexpr uint64_t k_exact_seed = 14695981039346656037ULL;
constexpr uint64_t k_exact_multiplier = 0x9fb21c651e98df25ULL;
}  // namespace fingerprint_detail

// TextFingerprints from a text's word hashes (fingerprint_word()), given in order:
// - exact: the chain h = (h + word) * K (odd K) from a fixed seed, then mix64(h ^ word count);
//   one multiply per word on the chain, where a full mix per word made the chain the bottleneck;
// - the shingle of words a, b, c: mix64(a ^ rotl(b, 21) ^ rotl(c, 42)); a text of one or two
//   words is one shingle, padded in front with k_absent_word;
// - MinHash: one permutation hashing of the shingle hashes (top 6 bits pick the bin, the low 32
//   bits compete for its minimum), empty bins densified by rotation.
class FingerprintBuilder {
 public:
  FingerprintBuilder() { m_minhash.values.fill(UINT32_MAX); }

  void add(uint64_t word) {
    using namespace fingerprint_detail;
    m_exact = (m_exact + word) * k_exact_multiplier;
    m_words[0] = m_words[1];
    m_words[1] = m_words[2];
    m_words[2] = word;
    if (++m_count >= 3) add_shingle(mix64(m_words[0] ^ rotl(m_words[1], 21) ^ rotl(word, 42)));
  }

  // The fingerprints of the words added; the builder is spent.
  TextFingerprints finish();

 private:
  void add_shingle(uint64_t h) {
    const auto bin = static_cast<size_t>(h >> 58);
    m_minhash.values[bin] = std::min(m_minhash.values[bin], static_cast<uint32_t>(h));
    m_filled |= uint64_t{1} << bin;
    ++m_minhash.shingles;
  }

  MinHash m_minhash;
  uint64_t m_filled = 0;  // a bit per bin that has a value
  uint64_t m_exact = fingerprint_detail::k_exact_seed;
  uint64_t m_words[3] = {fingerprint_detail::k_absent_word, fingerprint_detail::k_absent_word,
                         fingerprint_detail::k_absent_word};
  uint32_t m_count = 0;
};
static_assert(k_minhash_values == 64, "one bit per bin in a uint64_t; the top 6 bits pick it");

// fingerprint_word() of every word of `text` through a FingerprintBuilder. Any thread.
TextFingerprints fingerprint_text(std::string_view text);

// 64-bit hash of the normalised word sequence: equal for texts that differ only in case,
// punctuation and whitespace; 0 for text without words. A collision among a million stored
// articles has a chance near 3e-8; the store may compare lengths before dropping a text.
uint64_t text_fingerprint(std::string_view text);

// MinHash signature of the 3-word shingles of `text`.
MinHash minhash(std::string_view text);

// fingerprint_word() of the words of `text` in order, exactly as the fingerprints see them; for
// tests and for evaluation code that needs the same tokenisation.
std::vector<uint64_t> word_hashes(std::string_view text);

struct SimHashOptions {
  int shingle_words = 3;
  // Shingles starting in the first `lead_words` words weigh 1, later ones exp(-(pos - lead) /
  // decay_words); lead_words <= 0 weighs all shingles 1.
  int lead_words = 0;
  double decay_words = 150.0;
};

// 64-bit SimHash (Charikar 2002) over hashed, position-weighted word shingles; 0 for empty text.
// Not used by NearDupIndex; kept for the SimHash/MinHash comparison in bench/dedup_bench.
uint64_t simhash(std::string_view text, const SimHashOptions& opts = {});

inline int hamming_distance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

struct NearDupOptions {
  // Estimated Jaccard at or above which two texts are the same story. Measured copies with other
  // boilerplate, edits and 70% truncation sit above 0.5, distinct articles on the same topic below
  // 0.15 (docs/dedup.md). Default 0.35.
  double min_similarity = 0.35;
  // Sizes the bucket arrays: 8 bands * 2 bytes per expected entry once reached, 16 MiB at the
  // default. They start at 1,024 buckets per band and double while entries outnumber buckets,
  // up to this size (at the latest when NearDupIndex::k_grow_limit entries are in); more entries
  // only lengthen the chains. Default one million.
  size_t expected_entries = 1000000;
  // Entries examined per band and query, newest first. Shingles common to many texts ("one of
  // the") make some band values crowded; the cap bounds the lookup (8 * 64 entries at most),
  // and a real copy still agrees on its uncrowded bands. Default 64.
  size_t max_chain = 64;
};

// In-memory LSH index of (id, MinHash) entries. Each of the k_lsh_bands bands keeps a chained
// hash table from band value to entries; find() verifies the candidates with estimate_jaccard().
// Per entry 8 (id) + 32 (low bits) + 8 * 4 (chains) bytes plus the buckets: ~90 MB at one
// million. While the buckets grow (below k_grow_limit entries) each entry also keeps its 8 band
// values (32 bytes) to rehash from. Not thread-safe: one writer, or external locking; const
// methods may run concurrently with each other. Rebuilt from the store at start (from
// MinHash::to_bytes()).
class NearDupIndex {
 public:
  // Entries at which the buckets jump to their full size and the band values kept for rehashing
  // are dropped: a small store's index stays small (about 4 MiB of buckets and band values at
  // most) and a large one costs what a fixed table does.
  static constexpr size_t k_grow_limit = size_t{1} << 16;

  struct Match {
    uint64_t id = 0;
    double similarity = 0;  // estimated Jaccard
  };

  explicit NearDupIndex(NearDupOptions opts = {});
  NearDupIndex(const NearDupIndex&) = delete;
  NearDupIndex& operator=(const NearDupIndex&) = delete;
  NearDupIndex(NearDupIndex&&) = default;
  NearDupIndex& operator=(NearDupIndex&&) = default;

  // Adds an entry; empty signatures are ignored. The same id may be inserted more than once.
  // REQUIRES: fewer than 2^28 entries inserted over the index's life.
  void insert(uint64_t id, const MinHash& signature);
  // Removes the entry (id, signature); false when absent. Retention calls this on expiry.
  bool erase(uint64_t id, const MinHash& signature);
  // Live entries with estimated similarity >= min_similarity that share a band value with
  // `signature` (rarely also a bucket neighbour that passes the same test) among the newest
  // max_chain of each band's bucket, most similar first, ties by id.
  std::vector<Match> find(const MinHash& signature) const;
  // The most similar such entry, or nullopt.
  std::optional<Match> find_best(const MinHash& signature) const;

  size_t size() const { return m_live; }
  // Erased entries: they keep their places in the arrays (which only grow) until the index is
  // built again.
  size_t erased() const { return m_ids.size() - m_live; }
  const NearDupOptions& options() const { return m_opts; }
  // Bytes held by the index's arrays (capacity, not size), for stats.
  size_t memory_bytes() const;

  // Persistable LSH keys of `signature`: per band, the band number as one byte and the band's
  // value as 4 big-endian bytes. Entries sharing a key with the query are this index's
  // candidates, so a RocksDB prefix index over these keys can answer the same queries.
  static std::vector<std::string> band_keys(const MinHash& signature);

 private:
  using Nibbles = std::array<uint64_t, k_minhash_values / 16>;
  template <typename Fn>
  void for_each_candidate(const MinHash& signature, Fn&& fn) const;
  double similarity(const Nibbles& query, uint32_t entry) const;
  // Relinks every entry into `buckets` buckets per band, newest first as insert() left them.
  void rehash(size_t buckets);

  NearDupOptions m_opts;
  // Entries live in parallel arrays; each band chains them through its own next array.
  std::vector<uint64_t> m_ids;
  std::vector<Nibbles> m_nibbles;
  std::vector<bool> m_erased;
  std::array<std::vector<uint32_t>, k_lsh_bands> m_heads;  // bucket -> first entry + 1 (0: none)
  std::array<std::vector<uint32_t>, k_lsh_bands> m_next;   // entry -> next entry + 1, low bits
  size_t m_bucket_mask = 0;
  size_t m_full_buckets = 0;  // the size the buckets grow to
  // Each entry's band values, kept only while the buckets are below m_full_buckets.
  std::vector<std::array<uint32_t, k_lsh_bands>> m_band_values;
  size_t m_live = 0;
};

}  // namespace newswatch::storage
