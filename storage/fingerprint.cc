#include "storage/fingerprint.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>

#include <utf8proc.h>

#include "storage/word_chars.h"

namespace newswatch::storage {
namespace {

constexpr uint64_t k_fnv_offset = 14695981039346656037ULL;
constexpr uint64_t k_fnv_prime = 1099511628211ULL;

// splitmix64's finaliser: FNV-1a alone leaves the high bits poorly mixed for short words.
uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

constexpr uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Calls `on_word(hash)` for each word of `text` in order; the hash covers the lower-cased UTF-8.
template <typename Fn>
void for_each_word(std::string_view text, Fn&& on_word) {
  uint64_t h = k_fnv_offset;
  bool in_word = false;
  auto end_word = [&] {
    if (in_word) on_word(mix64(h));
    h = k_fnv_offset;
    in_word = false;
  };
  auto add_byte = [&](unsigned char b) {
    h = (h ^ b) * k_fnv_prime;
    in_word = true;
  };
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') {
        add_byte(static_cast<unsigned char>(c + ('a' - 'A')));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        add_byte(c);
      } else {
        end_word();
      }
      ++p;
      continue;
    }
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(p, end - p, &cp);
    if (n <= 0) {  // invalid byte: a separator, so garbage cannot glue words together
      end_word();
      ++p;
      continue;
    }
    p += n;
    const utf8proc_category_t cat = utf8proc_category(cp);
    if (is_word_category(cat)) {
      utf8proc_uint8_t buf[4];
      const utf8proc_ssize_t len = utf8proc_encode_char(utf8proc_tolower(cp), buf);
      for (utf8proc_ssize_t i = 0; i < len; ++i) add_byte(buf[i]);
    } else if (cat != UTF8PROC_CATEGORY_CF) {
      end_word();
    }
  }
  end_word();
}

// Per byte: the lower-case form of an ASCII word character (letter or digit), 0 for other ASCII
// bytes (separators), 0xFF for the bytes of other characters.
constexpr std::array<unsigned char, 256> k_word_byte = [] {
  std::array<unsigned char, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = static_cast<unsigned char>(c);
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<size_t>(c)] = static_cast<unsigned char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) {
    t[static_cast<size_t>(c)] = static_cast<unsigned char>(c - 'A' + 'a');
  }
  for (size_t c = 0x80; c < 256; ++c) t[c] = 0xFF;
  return t;
}();

// for_each_word() for hot loops, the same hashes: an ASCII word is hashed in one tight loop; at
// the first other character the word (or the text between words) goes on code point by code
// point until the word ends.
template <typename Fn>
void for_each_word_fast(std::string_view text, Fn&& on_word) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  while (p < end) {
    unsigned char b = k_word_byte[*p];
    if (b == 0) {  // an ASCII separator
      ++p;
      continue;
    }
    uint64_t h = k_fnv_offset;
    bool in_word = false;
    while (b != 0 && b != 0xFF) {
      h = (h ^ b) * k_fnv_prime;
      in_word = true;
      if (++p == end) break;
      b = k_word_byte[*p];
    }
    // The general case, as in for_each_word(), from a byte >= 0x80 to the end of the word.
    while (p < end && b != 0) {
      if (b != 0xFF) {
        h = (h ^ b) * k_fnv_prime;
        in_word = true;
        ++p;
      } else {
        utf8proc_int32_t cp = 0;
        const utf8proc_ssize_t n = utf8proc_iterate(p, end - p, &cp);
        if (n <= 0) {  // invalid byte: a separator
          ++p;
          break;
        }
        p += n;
        const utf8proc_category_t cat = utf8proc_category(cp);
        if (is_word_category(cat)) {
          utf8proc_uint8_t buf[4];
          const utf8proc_ssize_t len = utf8proc_encode_char(utf8proc_tolower(cp), buf);
          for (utf8proc_ssize_t i = 0; i < len; ++i) h = (h ^ buf[i]) * k_fnv_prime;
          in_word = true;
        } else if (cat != UTF8PROC_CATEGORY_CF) {
          break;  // a separator; format characters such as the soft hyphen are dropped
        }
      }
      if (p < end) b = k_word_byte[*p];
    }
    if (in_word) on_word(mix64(h));
  }
}

// Adds `weight` to the counters of set bits and subtracts it for clear bits.
void accumulate(std::array<double, 64>& acc, uint64_t h, double weight) {
  for (int b = 0; b < 64; ++b) {
    acc[static_cast<size_t>(b)] += ((h >> b) & 1) != 0 ? weight : -weight;
  }
}

uint64_t bucket_hash(uint64_t band_value, size_t band) {
  return mix64(band_value + 0x9e3779b97f4a7c15ULL * (band + 1));
}

constexpr uint64_t k_shingle_seed = 0x6a09e667f3bcc909ULL;
constexpr int k_shingle_words = 3;

uint64_t hash_shingle(const uint64_t* words, size_t count) {
  uint64_t h = k_shingle_seed;
  for (size_t i = 0; i < count; ++i) h = mix64(rotl(h, 17) ^ words[i]);
  return h;
}

// Calls `fn(shingle_hash, position)` for each w-word shingle; a text shorter than w words
// yields one shingle of all its words.
template <typename Fn>
void for_each_shingle(const std::vector<uint64_t>& words, size_t w, Fn&& fn) {
  if (words.empty()) return;
  if (words.size() < w) {
    fn(hash_shingle(words.data(), words.size()), size_t{0});
    return;
  }
  for (size_t i = 0; i + w <= words.size(); ++i) fn(hash_shingle(words.data() + i, w), i);
}

constexpr int k_bin_shift = 64 - std::countr_zero(k_minhash_values);
static_assert((size_t{1} << (64 - k_bin_shift)) == k_minhash_values, "power of two bins");

// Adds the shingle hash `h` to `m`: one permutation hashing (Li, Owen, Zhang 2012), the top bits
// pick the bin, the low 32 bits compete for its minimum. `filled` has a bit per bin that has one.
// REQUIRES: m.values start at the maximum.
inline void add_shingle(MinHash& m, uint64_t& filled, uint64_t h) {
  const size_t bin = static_cast<size_t>(h >> k_bin_shift);
  m.values[bin] = std::min(m.values[bin], static_cast<uint32_t>(h));
  filled |= uint64_t{1} << bin;
  ++m.shingles;
}
static_assert(k_minhash_values == 64, "one bit per bin in a uint64_t");

// Fills the bins no shingle reached; all values 0 when there was no shingle.
void finish_minhash(MinHash& m, uint64_t filled) {
  if (m.shingles == 0) {
    m.values.fill(0);
    return;
  }
  // Densification by rotation (Shrivastava and Li 2014): an empty bin borrows the value of the
  // next filled bin to its right, salted with the distance so borrowed values differ per bin.
  for (size_t bin = 0; bin < k_minhash_values; ++bin) {
    if ((filled >> bin) & 1) continue;
    const uint64_t rotated = std::rotr(filled, static_cast<int>(bin));  // bit t: bin + t
    const auto t = static_cast<size_t>(std::countr_zero(rotated));
    const size_t from = (bin + t) % k_minhash_values;
    m.values[bin] = static_cast<uint32_t>(mix64(m.values[from] + t * 0x9e3779b97f4a7c15ULL));
  }
}

using Nibbles = std::array<uint64_t, k_minhash_values / 16>;

// A chain node holds the next entry + 1 in its low 28 bits and the entry's band value's low 4 bits
// on top, so the walk rejects most bucket neighbours without touching their signatures.
constexpr int k_link_bits = 28;
constexpr uint32_t k_link_mask = (uint32_t{1} << k_link_bits) - 1;

Nibbles pack_nibbles(const MinHash& m) {
  Nibbles out{};
  for (size_t i = 0; i < k_minhash_values; ++i) {
    out[i / 16] |= static_cast<uint64_t>(m.values[i] & 0xF) << (4 * (i % 16));
  }
  return out;
}

// Equal 4-bit lanes of `a` and `b`.
int equal_nibbles(const Nibbles& a, const Nibbles& b) {
  int differing = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    uint64_t x = a[i] ^ b[i];
    x |= x >> 1;
    x |= x >> 2;
    differing += std::popcount(x & 0x1111111111111111ULL);
  }
  return static_cast<int>(k_minhash_values) - differing;
}

// Chance that two unrelated 4-bit values agree; the estimator subtracts it.
constexpr double k_chance_match = 1.0 / 16;

double jaccard_from_matches(int matches) {
  const double p = static_cast<double>(matches) / static_cast<double>(k_minhash_values);
  return std::clamp((p - k_chance_match) / (1 - k_chance_match), 0.0, 1.0);
}

}  // namespace

std::string MinHash::to_bytes() const {
  std::string out;
  out.reserve(k_minhash_bytes);
  for (size_t band = 0; band < k_lsh_bands; ++band) {
    for (int shift = 24; shift >= 0; shift -= 8)
      out += static_cast<char>((values[band] >> shift) & 0xFF);
  }
  for (size_t i = 0; i < k_minhash_values; i += 2) {
    out += static_cast<char>((values[i] & 0xF) | ((values[i + 1] & 0xF) << 4));
  }
  return out;
}

std::optional<MinHash> MinHash::from_bytes(std::string_view bytes) {
  if (bytes.size() != k_minhash_bytes) return std::nullopt;
  MinHash m;
  m.shingles = 1;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (size_t band = 0; band < k_lsh_bands; ++band, p += 4) {
    m.values[band] = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  }
  for (size_t i = 0; i < k_minhash_values; i += 2, ++p) {
    if (i >= k_lsh_bands) m.values[i] = *p & 0xF;
    if (i + 1 >= k_lsh_bands) m.values[i + 1] = *p >> 4;
  }
  return m;
}

double estimate_jaccard(const MinHash& a, const MinHash& b) {
  if (a.empty() || b.empty()) return 0;
  return jaccard_from_matches(equal_nibbles(pack_nibbles(a), pack_nibbles(b)));
}

std::vector<uint64_t> word_hashes(std::string_view text) {
  std::vector<uint64_t> out;
  out.reserve(text.size() / 6);
  for_each_word(text, [&](uint64_t h) { out.push_back(h); });
  return out;
}

TextFingerprints fingerprint_text(std::string_view text) {
  // One pass over the words, no vector of their hashes. The exact hash chains
  // mix64(h ^ word) + FNV prime over the word hashes and ends with mix64(h ^ word count). The
  // shingle hash of words i, i+1, i+2 (hash_shingle()) is three chained steps, one per word;
  // each word takes the first step of the shingle it starts, the second of the one before and the
  // last of the one before that, three independent mixes instead of three in a row.
  TextFingerprints out;
  MinHash& m = out.minhash;
  m.values.fill(std::numeric_limits<uint32_t>::max());
  uint64_t filled = 0;
  uint64_t exact = k_fnv_offset;
  constexpr uint64_t k_first = rotl(k_shingle_seed, 17);
  uint64_t one = 0;  // first step of the shingle starting at the previous word
  uint64_t two = 0;  // two steps of the shingle starting at the word before that
  uint32_t count = 0;
  static_assert(k_shingle_words == 3, "three steps per shingle");
  for_each_word_fast(text, [&](uint64_t h) {
    exact = mix64(exact ^ h) + k_fnv_prime;
    const uint64_t three = mix64(rotl(two, 17) ^ h);
    two = mix64(rotl(one, 17) ^ h);
    one = mix64(k_first ^ h);
    if (++count >= k_shingle_words) add_shingle(m, filled, three);
  });
  out.words = count;
  if (count == 0) {
    m.values.fill(0);
    return out;
  }
  out.exact = mix64(exact ^ count);
  // A text shorter than a shingle is one shingle of all its words.
  if (count == 1) add_shingle(m, filled, one);
  if (count == 2) add_shingle(m, filled, two);
  finish_minhash(m, filled);
  return out;
}

uint64_t text_fingerprint(std::string_view text) { return fingerprint_text(text).exact; }

MinHash minhash(std::string_view text) { return fingerprint_text(text).minhash; }

uint64_t simhash(std::string_view text, const SimHashOptions& opts) {
  const std::vector<uint64_t> words = word_hashes(text);
  const size_t w = static_cast<size_t>(std::max(1, opts.shingle_words));
  const double decay = opts.decay_words > 0 ? opts.decay_words : 1.0;
  std::array<double, 64> acc{};
  bool any = false;
  for_each_shingle(words, w, [&](uint64_t h, size_t pos) {
    const double weight = opts.lead_words <= 0 || pos < static_cast<size_t>(opts.lead_words)
                              ? 1.0
                              : std::exp(-(static_cast<double>(pos) - opts.lead_words) / decay);
    accumulate(acc, h, weight);
    any = true;
  });
  uint64_t out = 0;
  if (any) {
    for (int b = 0; b < 64; ++b) {
      if (acc[static_cast<size_t>(b)] > 0) out |= uint64_t{1} << b;
    }
  }
  return out;
}

NearDupIndex::NearDupIndex(NearDupOptions opts) : m_opts(opts) {
  constexpr size_t k_min_buckets = 1024;
  m_full_buckets = k_min_buckets;
  while (m_full_buckets < m_opts.expected_entries / 2) m_full_buckets *= 2;
  m_bucket_mask = k_min_buckets - 1;
  for (auto& heads : m_heads) heads.assign(k_min_buckets, 0);
}

void NearDupIndex::insert(uint64_t id, const MinHash& signature) {
  if (signature.empty()) return;
  const auto e = static_cast<uint32_t>(m_ids.size());
  assert(e + 1 <= k_link_mask);
  m_ids.push_back(id);
  m_nibbles.push_back(pack_nibbles(signature));
  m_erased.push_back(false);
  for (size_t band = 0; band < k_lsh_bands; ++band) {
    const size_t bucket = bucket_hash(signature.values[band], band) & m_bucket_mask;
    m_next[band].push_back(m_heads[band][bucket] | ((signature.values[band] & 0xF) << k_link_bits));
    m_heads[band][bucket] = e + 1;
  }
  ++m_live;
  const size_t buckets = m_bucket_mask + 1;
  if (buckets < m_full_buckets) {
    auto& values = m_band_values.emplace_back();
    std::copy_n(signature.values.begin(), k_lsh_bands, values.begin());
    // At most one entry per bucket, half the full table's load at its expected size, so bucket
    // neighbours seldom take places in a band's max_chain walk.
    if (m_ids.size() > buckets) {
      rehash(m_ids.size() >= k_grow_limit ? m_full_buckets : std::min(2 * buckets, m_full_buckets));
    }
  }
}

void NearDupIndex::rehash(size_t buckets) {
  m_bucket_mask = buckets - 1;
  for (size_t band = 0; band < k_lsh_bands; ++band) {
    auto& heads = m_heads[band];
    auto& next = m_next[band];
    heads.assign(buckets, 0);
    for (uint32_t e = 0; e < next.size(); ++e) {
      const size_t bucket = bucket_hash(m_band_values[e][band], band) & m_bucket_mask;
      next[e] = heads[bucket] | (next[e] & ~k_link_mask);
      heads[bucket] = e + 1;
    }
  }
  if (buckets == m_full_buckets) {
    std::vector<std::array<uint32_t, k_lsh_bands>>().swap(m_band_values);
  }
}

bool NearDupIndex::erase(uint64_t id, const MinHash& signature) {
  if (signature.empty()) return false;
  const Nibbles packed = pack_nibbles(signature);
  const size_t bucket = bucket_hash(signature.values[0], 0) & m_bucket_mask;
  for (uint32_t link = m_heads[0][bucket]; link != 0; link = m_next[0][link - 1] & k_link_mask) {
    const uint32_t e = link - 1;
    if (!m_erased[e] && m_ids[e] == id && m_nibbles[e] == packed) {
      m_erased[e] = true;
      --m_live;
      return true;
    }
  }
  return false;
}

double NearDupIndex::similarity(const Nibbles& query, uint32_t entry) const {
  return jaccard_from_matches(equal_nibbles(query, m_nibbles[entry]));
}

template <typename Fn>
void NearDupIndex::for_each_candidate(const MinHash& signature, Fn&& fn) const {
  // Chains mix band values that share a bucket; the band's low bits, kept in the chain node,
  // reject most of those without touching their signatures. An entry agreeing on several bands
  // is passed once per band; callers tolerate that.
  for (size_t band = 0; band < k_lsh_bands; ++band) {
    const uint32_t value = signature.values[band];
    const uint32_t low = value & 0xF;
    const size_t bucket = bucket_hash(value, band) & m_bucket_mask;
    size_t walked = 0;
    for (uint32_t link = m_heads[band][bucket]; link != 0 && walked < m_opts.max_chain; ++walked) {
      const uint32_t e = link - 1;
      const uint32_t node = m_next[band][e];
      link = node & k_link_mask;
      if ((node >> k_link_bits) != low || m_erased[e]) continue;
      fn(e);
    }
  }
}

std::vector<NearDupIndex::Match> NearDupIndex::find(const MinHash& signature) const {
  std::vector<Match> out;
  if (signature.empty()) return out;
  const Nibbles query = pack_nibbles(signature);
  std::vector<std::pair<uint32_t, double>> hits;
  for_each_candidate(signature, [&](uint32_t e) {
    const double s = similarity(query, e);
    if (s >= m_opts.min_similarity) hits.emplace_back(e, s);
  });
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  for (const auto& [e, s] : hits) out.push_back(Match{m_ids[e], s});
  std::sort(out.begin(), out.end(), [](const Match& a, const Match& b) {
    return a.similarity != b.similarity ? a.similarity > b.similarity : a.id < b.id;
  });
  return out;
}

std::optional<NearDupIndex::Match> NearDupIndex::find_best(const MinHash& signature) const {
  std::optional<Match> best;
  if (signature.empty()) return best;
  const Nibbles query = pack_nibbles(signature);
  for_each_candidate(signature, [&](uint32_t e) {
    const double s = similarity(query, e);
    if (s < m_opts.min_similarity) return;
    if (!best || s > best->similarity || (s == best->similarity && m_ids[e] < best->id)) {
      best = Match{m_ids[e], s};
    }
  });
  return best;
}

size_t NearDupIndex::memory_bytes() const {
  size_t bytes = m_ids.capacity() * sizeof(uint64_t) + m_nibbles.capacity() * sizeof(Nibbles) +
                 m_erased.capacity() / 8 + m_band_values.capacity() * sizeof(m_band_values[0]);
  for (size_t band = 0; band < k_lsh_bands; ++band) {
    bytes += (m_heads[band].capacity() + m_next[band].capacity()) * sizeof(uint32_t);
  }
  return bytes;
}

std::vector<std::string> NearDupIndex::band_keys(const MinHash& signature) {
  std::vector<std::string> keys;
  keys.reserve(k_lsh_bands);
  for (size_t band = 0; band < k_lsh_bands; ++band) {
    std::string key(1, static_cast<char>(band));
    for (int shift = 24; shift >= 0; shift -= 8) {
      key += static_cast<char>((signature.values[band] >> shift) & 0xFF);
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace newswatch::storage
