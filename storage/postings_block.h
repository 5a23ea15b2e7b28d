// Postings block encodings (docs/storage.md "postings block"). Internal to storage/.
//
// A block holds the postings of one index key for the articles of one postings flush. Two
// encodings exist, told apart by the block number in the key:
//  - plain (format 2): per entry the 8-byte big-endian article number, then three varints
//    (title tf, body tf, length); storage/search.h's append_block_entry / next_block_entry.
//  - delta (format 3, block numbers with k_delta_block_bit set): entries in increasing article
//    number, each the varint gap to the previous entry's number (the first: the number itself),
//    then the same three varints. With sequential article ids the gap is one or two bytes where
//    the plain encoding spent eight: postings blocks were the largest data written at ingest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/search.h"

namespace newswatch::storage {

inline constexpr std::uint64_t k_delta_block_bit = std::uint64_t{1} << 63;

// Appends delta-encoded entries to `out`; add() requires each doc above the previous one.
class DeltaBlockWriter {
 public:
  explicit DeltaBlockWriter(std::string& out) : m_out(&out) {}

  // The most bytes one entry takes.
  static constexpr std::size_t k_max_entry = 4 * 10;

  // False (and nothing written) when `doc` does not increase.
  bool add(std::uint64_t doc, const Posting& p) {
    char buf[k_max_entry];
    char* const end = write(buf, doc, p);
    if (end == nullptr) return false;
    m_out->append(buf, static_cast<std::size_t>(end - buf));
    return true;
  }

  // add() for a caller that made room: writes the entry at `at`, which has k_max_entry bytes,
  // and returns the end of what it wrote, or nullptr (nothing written) when `doc` does not
  // increase. The caller sizes the output string.
  char* write(char* at, std::uint64_t doc, const Posting& p) {
    if (m_any && doc <= m_prev) return nullptr;
    const auto put = [&at](std::uint64_t v) {
      while (v >= 0x80) {
        *at++ = static_cast<char>((v & 0x7F) | 0x80);
        v >>= 7;
      }
      *at++ = static_cast<char>(v);
    };
    put(m_any ? doc - m_prev : doc);
    put(p.title_tf);
    put(p.body_tf);
    put(p.length);
    m_prev = doc;
    m_any = true;
    return at;
  }

 private:
  std::string* m_out;
  std::uint64_t m_prev = 0;
  bool m_any = false;
};

// Reads the entries of a block in either encoding.
class BlockReader {
 public:
  BlockReader(std::string_view block, bool delta) : m_rest(block), m_delta(delta) {}

  bool done() const { return m_rest.empty(); }

  // The next entry; false when the block is malformed (cut short, a zero or overflowing gap).
  bool next(std::uint64_t& doc, Posting& p) {
    if (!m_delta) return next_block_entry(m_rest, doc, p);
    std::uint64_t gap = 0, t = 0, b = 0, l = 0;
    if (!get(gap) || !get(t) || !get(b) || !get(l)) return false;
    if (m_any && (gap == 0 || gap > ~m_prev)) return false;
    doc = m_any ? m_prev + gap : gap;
    if (t > UINT32_MAX || b > UINT32_MAX || l > UINT32_MAX) return false;
    p = Posting{static_cast<std::uint32_t>(t), static_cast<std::uint32_t>(b),
                static_cast<std::uint32_t>(l)};
    m_prev = doc;
    m_any = true;
    return true;
  }

 private:
  bool get(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (m_rest.empty()) return false;
      const auto byte = static_cast<unsigned char>(m_rest.front());
      m_rest.remove_prefix(1);
      v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }

  std::string_view m_rest;
  bool m_delta;
  std::uint64_t m_prev = 0;
  bool m_any = false;
};

// Whether the postings key `key` (index key + '\0' + 8-byte block number) is a delta block.
inline bool is_delta_block_key(std::string_view key) {
  return key.size() >= 8 && (static_cast<unsigned char>(key[key.size() - 8]) & 0x80) != 0;
}

}  // namespace newswatch::storage
