#include "storage/fingerprint.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>

#include "storage/analyzer.h"

namespace newswatch::storage {
namespace {

constexpr uint64_t k_fnv_offset = 14695981039346656037ULL;
constexpr uint64_t k_fnv_prime = 1099511628211ULL;

using fingerprint_detail::mix64;
using fingerprint_detail::rotl;

// Adds `weight` to the counters of set bits and subtracts it for clear bits.
void accumulate(std::array<double, 64>& acc, uint64_t h, double weight) {
  for (int b = 0; b < 64; ++b) {
    acc[static_cast<size_t>(b)] += ((h >> b) & 1) != 0 ? weight : -weight;
  }
}

uint64_t bucket_hash(uint64_t band_value, size_t band) {
  return mix64(band_value + 0x9e3779b97f4a7c15ULL * (band + 1));
}

// SimHash's shingles (any width; the MinHash ones are FingerprintBuilder's).
constexpr uint64_t k_shingle_seed = 0x6a09e667f3bcc909ULL;

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

uint64_t fingerprint_word(std::string_view norm) {
  uint64_t h = k_fnv_offset;
  for (const char c : norm) h = (h ^ static_cast<unsigned char>(c)) * k_fnv_prime;
  return mix64(h);
}

std::vector<uint64_t> word_hashes(std::string_view text) {
  thread_local NormalizedWords norms;
  normalize_words(text, norms);
  std::vector<uint64_t> out;
  out.reserve(norms.size());
  for (size_t i = 0; i < norms.size(); ++i) out.push_back(fingerprint_word(norms[i]));
  return out;
}

TextFingerprints FingerprintBuilder::finish() {
  TextFingerprints out;
  out.words = m_count;
  if (m_count == 0) {
    out.minhash.values.fill(0);
    return out;
  }
  out.exact = mix64(m_exact ^ m_count);
  if (m_count < 3) {  // one shingle of all the words, padded in front
    add_shingle(mix64(m_words[0] ^ rotl(m_words[1], 21) ^ rotl(m_words[2], 42)));
  }
  finish_minhash(m_minhash, m_filled);
  out.minhash = m_minhash;
  return out;
}

TextFingerprints fingerprint_text(std::string_view text) {
  thread_local NormalizedWords norms;
  normalize_words(text, norms);
  FingerprintBuilder builder;
  for (size_t i = 0; i < norms.size(); ++i) builder.add(fingerprint_word(norms[i]));
  return builder.finish();
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
  //
  // At a million entries every step of a walk is a cache miss (a head, then chain nodes spread
  // over 4 MB per band, then each candidate's signature), and one band's steps depend on each
  // other. So the eight walks advance in lockstep, each step's next node prefetched, and the
  // candidates' signatures are prefetched and compared in groups of 32 (whenever a group is
  // full, and once more at the end): the misses of different bands overlap instead of adding up
  // (dedup_bench --timing-only, 1M entries: find_best p50 21.8 -> 15.2 us, p99 73.8 -> 47.5 us; ~83
  // nodes and ~70 candidates a query).
  std::array<uint32_t, k_lsh_bands> link{}, low{};
  std::array<size_t, k_lsh_bands> bucket{};
  for (size_t band = 0; band < k_lsh_bands; ++band) {
    const uint32_t value = signature.values[band];
    low[band] = value & 0xF;
    bucket[band] = bucket_hash(value, band) & m_bucket_mask;
    __builtin_prefetch(&m_heads[band][bucket[band]]);
  }
  for (size_t band = 0; band < k_lsh_bands; ++band) {
    link[band] = m_heads[band][bucket[band]];
    if (link[band] != 0) __builtin_prefetch(&m_next[band][link[band] - 1]);
  }
  constexpr size_t k_group = 32;
  std::array<uint32_t, k_group> group{};
  size_t grouped = 0;
  const auto flush = [&] {
    for (size_t i = 0; i < grouped; ++i) fn(group[i]);
    grouped = 0;
  };
  for (size_t walked = 0; walked < m_opts.max_chain; ++walked) {
    bool any = false;
    for (size_t band = 0; band < k_lsh_bands; ++band) {
      if (link[band] == 0) continue;
      const uint32_t e = link[band] - 1;
      const uint32_t node = m_next[band][e];
      link[band] = walked + 1 < m_opts.max_chain ? node & k_link_mask : 0;
      if (link[band] != 0) {
        __builtin_prefetch(&m_next[band][link[band] - 1]);
        any = true;
      }
      if ((node >> k_link_bits) != low[band] || m_erased[e]) continue;
      __builtin_prefetch(&m_nibbles[e]);
      group[grouped++] = e;
      if (grouped == k_group) flush();
    }
    if (!any) break;
  }
  flush();
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
