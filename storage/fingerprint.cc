#include "storage/fingerprint.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cmath>

#include <utf8proc.h>

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

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

bool is_word_category(utf8proc_category_t c) {
  switch (c) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return true;
    default: return false;
  }
}

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

// Adds `weight` to the counters of set bits and subtracts it for clear bits.
void accumulate(std::array<double, 64>& acc, uint64_t h, double weight) {
  for (int b = 0; b < 64; ++b) {
    acc[static_cast<size_t>(b)] += ((h >> b) & 1) != 0 ? weight : -weight;
  }
}

uint64_t bucket_hash(uint64_t band_value, size_t band) {
  return mix64(band_value + 0x9e3779b97f4a7c15ULL * (band + 1));
}

}  // namespace

TextFingerprints fingerprint_text(std::string_view text, const SimHashOptions& opts) {
  const int w = std::max(1, opts.shingle_words);
  std::array<double, 64> acc{};
  // Ring of the last `w` word hashes; the shingle hash combines them in order.
  std::vector<uint64_t> window(static_cast<size_t>(w));
  uint64_t exact = k_fnv_offset;
  uint32_t words = 0;
  uint32_t shingles = 0;
  const double decay = opts.decay_words > 0 ? opts.decay_words : 1.0;
  auto weight_at = [&](uint32_t pos) {
    if (opts.lead_words <= 0 || pos < static_cast<uint32_t>(opts.lead_words)) return 1.0;
    return std::exp(-(static_cast<double>(pos) - opts.lead_words) / decay);
  };
  auto add_shingle = [&](uint32_t first_word, int count) {
    uint64_t h = 0x6a09e667f3bcc909ULL;
    for (int i = 0; i < count; ++i) {
      const size_t slot = (first_word + static_cast<uint32_t>(i)) % static_cast<uint32_t>(w);
      h = mix64(rotl(h, 17) ^ window[slot]);
    }
    accumulate(acc, h, weight_at(first_word));
    ++shingles;
  };
  for_each_word(text, [&](uint64_t word_hash) {
    exact = mix64(exact ^ word_hash) + k_fnv_prime;
    window[words % static_cast<uint32_t>(w)] = word_hash;
    ++words;
    if (words >= static_cast<uint32_t>(w)) add_shingle(words - static_cast<uint32_t>(w), w);
  });
  if (words > 0 && words < static_cast<uint32_t>(w)) add_shingle(0, static_cast<int>(words));

  TextFingerprints out;
  out.words = words;
  out.exact = words == 0 ? 0 : mix64(exact ^ words);
  if (shingles > 0) {
    for (int b = 0; b < 64; ++b) {
      if (acc[static_cast<size_t>(b)] > 0) out.simhash |= uint64_t{1} << b;
    }
  }
  return out;
}

std::vector<uint64_t> word_hashes(std::string_view text) {
  std::vector<uint64_t> out;
  for_each_word(text, [&](uint64_t h) { out.push_back(h); });
  return out;
}

uint64_t text_fingerprint(std::string_view text) { return fingerprint_text(text).exact; }

uint64_t simhash(std::string_view text, const SimHashOptions& opts) {
  return fingerprint_text(text, opts).simhash;
}

NearDupIndex::NearDupIndex(int max_distance) : m_max_distance(max_distance) {
  assert(max_distance >= 0 && max_distance <= 15);
  const int bands = max_distance + 1;
  int shift = 0;
  for (int b = 0; b < bands; ++b) {
    // Spread the remainder over the first bands: 64 = 13+13+13+13+12 for k = 4.
    const int width = 64 / bands + (b < 64 % bands ? 1 : 0);
    Band band;
    band.shift = shift;
    band.mask = width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
    m_bands.push_back(band);
    shift += width;
  }
  m_heads.resize(m_bands.size());
  m_next.resize(m_bands.size());
  rehash(1024);
}

void NearDupIndex::reserve(size_t n) {
  if (n > m_bucket_mask + 1) {
    size_t buckets = m_bucket_mask + 1;
    while (buckets < n) buckets *= 2;
    rehash(buckets);
  }
  m_simhashes.reserve(n);
  m_ids.reserve(n);
  for (auto& next : m_next) next.reserve(n);
}

void NearDupIndex::rehash(size_t buckets) {
  m_bucket_mask = buckets - 1;
  for (size_t band = 0; band < m_bands.size(); ++band) {
    std::vector<uint32_t>& heads = m_heads[band];
    std::vector<uint32_t>& next = m_next[band];
    heads.assign(buckets, 0);
    // Re-link in insertion order so chains stay newest-first as in insert().
    for (size_t e = 0; e < m_simhashes.size(); ++e) {
      const size_t bucket = bucket_hash(band_value(m_simhashes[e], band), band) & m_bucket_mask;
      next[e] = heads[bucket];
      heads[bucket] = static_cast<uint32_t>(e + 1);
    }
  }
}

void NearDupIndex::insert(uint64_t id, uint64_t simhash) {
  if (m_simhashes.size() >= m_bucket_mask + 1) rehash(2 * (m_bucket_mask + 1));
  const auto e = static_cast<uint32_t>(m_simhashes.size());
  assert(e < UINT32_MAX);
  m_simhashes.push_back(simhash);
  m_ids.push_back(id);
  m_erased.push_back(false);
  for (size_t band = 0; band < m_bands.size(); ++band) {
    const size_t bucket = bucket_hash(band_value(simhash, band), band) & m_bucket_mask;
    m_next[band].push_back(m_heads[band][bucket]);
    m_heads[band][bucket] = e + 1;
  }
  ++m_live;
}

bool NearDupIndex::erase(uint64_t id, uint64_t simhash) {
  const size_t bucket = bucket_hash(band_value(simhash, 0), 0) & m_bucket_mask;
  for (uint32_t link = m_heads[0][bucket]; link != 0; link = m_next[0][link - 1]) {
    const uint32_t e = link - 1;
    if (!m_erased[e] && m_ids[e] == id && m_simhashes[e] == simhash) {
      m_erased[e] = true;
      --m_live;
      return true;
    }
  }
  return false;
}

template <typename Fn>
void NearDupIndex::for_each_candidate(uint64_t simhash, Fn&& fn) const {
  for (size_t band = 0; band < m_bands.size(); ++band) {
    const uint64_t value = band_value(simhash, band);
    const size_t bucket = bucket_hash(value, band) & m_bucket_mask;
    for (uint32_t link = m_heads[band][bucket]; link != 0; link = m_next[band][link - 1]) {
      const uint32_t e = link - 1;
      const uint64_t stored = m_simhashes[e];
      if (band_value(stored, band) != value || m_erased[e]) continue;
      // An entry matching several bands is reported only from the first band it matches.
      bool earlier = false;
      for (size_t b = 0; b < band && !earlier; ++b) {
        earlier = band_value(stored, b) == band_value(simhash, b);
      }
      if (!earlier) fn(e);
    }
  }
}

std::vector<NearDupIndex::Match> NearDupIndex::find(uint64_t simhash) const {
  std::vector<Match> out;
  for_each_candidate(simhash, [&](uint32_t e) {
    const int d = hamming_distance(m_simhashes[e], simhash);
    if (d <= m_max_distance) out.push_back(Match{m_ids[e], d});
  });
  std::sort(out.begin(), out.end(), [](const Match& a, const Match& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
  });
  return out;
}

std::optional<NearDupIndex::Match> NearDupIndex::find_nearest(uint64_t simhash) const {
  std::optional<Match> best;
  for_each_candidate(simhash, [&](uint32_t e) {
    const int d = hamming_distance(m_simhashes[e], simhash);
    if (d > m_max_distance) return;
    if (!best || d < best->distance || (d == best->distance && m_ids[e] < best->id)) {
      best = Match{m_ids[e], d};
    }
  });
  return best;
}

std::vector<std::string> NearDupIndex::band_keys(uint64_t simhash) const {
  std::vector<std::string> keys;
  keys.reserve(m_bands.size());
  for (size_t band = 0; band < m_bands.size(); ++band) {
    const int width = std::popcount(m_bands[band].mask);
    const int bytes = (width + 7) / 8;
    std::string key(1, static_cast<char>(band));
    const uint64_t value = band_value(simhash, band);
    for (int i = bytes - 1; i >= 0; --i) key += static_cast<char>((value >> (8 * i)) & 0xFF);
    keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace newswatch::storage
