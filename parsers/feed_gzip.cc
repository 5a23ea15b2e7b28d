#include "parsers/feed_gzip.h"

#include <cstdint>

namespace newswatch::parsers {

namespace {

enum class InflateStatus { ok, truncated, corrupt, too_large };

class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}

  // Reads `n` (<= 16) bits LSB first; false at the end of input.
  bool bits(int n, uint32_t& out) {
    while (m_count < n) {
      if (m_pos >= m_size) return false;
      m_buf |= static_cast<uint64_t>(m_data[m_pos++]) << m_count;
      m_count += 8;
    }
    out = static_cast<uint32_t>(m_buf & ((uint64_t{1} << n) - 1));
    m_buf >>= n;
    m_count -= n;
    return true;
  }
  void align() {
    m_buf >>= (m_count % 8);
    m_count -= m_count % 8;
  }
  // Byte position of the next unread whole byte (after align()).
  size_t byte_pos() const { return m_pos - static_cast<size_t>(m_count / 8); }
  void seek(size_t pos) {
    m_pos = pos;
    m_buf = 0;
    m_count = 0;
  }

 private:
  const uint8_t* m_data;
  size_t m_size;
  size_t m_pos = 0;
  uint64_t m_buf = 0;
  int m_count = 0;
};

// Canonical Huffman code: counts per length and symbols ordered by code.
struct Huffman {
  uint16_t count[16] = {};
  uint16_t symbol[288] = {};
};

// Returns false for an over-subscribed code (incomplete codes are allowed, as zlib does for
// single-code distance trees).
bool build(Huffman& h, const uint8_t* lengths, int n) {
  for (int i = 0; i < 16; ++i) h.count[i] = 0;
  for (int i = 0; i < n; ++i) ++h.count[lengths[i]];
  int left = 1;
  for (int len = 1; len < 16; ++len) {
    left <<= 1;
    left -= h.count[len];
    if (left < 0) return false;
  }
  uint16_t offs[16];
  offs[1] = 0;
  for (int len = 1; len < 15; ++len)
    offs[len + 1] = static_cast<uint16_t>(offs[len] + h.count[len]);
  for (int i = 0; i < n; ++i) {
    if (lengths[i] != 0) h.symbol[offs[lengths[i]]++] = static_cast<uint16_t>(i);
  }
  return true;
}

// Decodes one symbol; -1 at end of input, -2 for an invalid code.
int decode(BitReader& in, const Huffman& h) {
  int code = 0, first = 0, index = 0;
  for (int len = 1; len < 16; ++len) {
    uint32_t b = 0;
    if (!in.bits(1, b)) return -1;
    code |= static_cast<int>(b);
    const int count = h.count[len];
    if (code - count < first) return h.symbol[index + (code - first)];
    index += count;
    first += count;
    first <<= 1;
    code <<= 1;
  }
  return -2;
}

constexpr uint16_t k_len_base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                     15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                     67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr uint8_t k_len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                     2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr uint16_t k_dist_base[30] = {
    1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr uint8_t k_dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                      6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

InflateStatus codes(BitReader& in, std::string& out, size_t max_size, const Huffman& lit,
                    const Huffman& dist) {
  for (;;) {
    const int sym = decode(in, lit);
    if (sym == -1) return InflateStatus::truncated;
    if (sym < 0) return InflateStatus::corrupt;
    if (sym < 256) {
      if (out.size() >= max_size) return InflateStatus::too_large;
      out += static_cast<char>(sym);
      continue;
    }
    if (sym == 256) return InflateStatus::ok;
    const int li = sym - 257;
    if (li >= 29) return InflateStatus::corrupt;
    uint32_t extra = 0;
    if (!in.bits(k_len_extra[li], extra)) return InflateStatus::truncated;
    const size_t len = k_len_base[li] + extra;
    const int di = decode(in, dist);
    if (di == -1) return InflateStatus::truncated;
    if (di < 0 || di >= 30) return InflateStatus::corrupt;
    if (!in.bits(k_dist_extra[di], extra)) return InflateStatus::truncated;
    const size_t d = k_dist_base[di] + extra;
    if (d > out.size()) return InflateStatus::corrupt;
    if (out.size() + len > max_size) return InflateStatus::too_large;
    const size_t from = out.size() - d;
    for (size_t k = 0; k < len; ++k) out += out[from + k];
  }
}

InflateStatus stored(BitReader& in, std::string_view data, std::string& out, size_t max_size) {
  in.align();
  uint32_t len = 0, nlen = 0;
  if (!in.bits(16, len) || !in.bits(16, nlen)) return InflateStatus::truncated;
  if ((len ^ 0xFFFF) != nlen) return InflateStatus::corrupt;
  const size_t pos = in.byte_pos();
  const size_t avail = pos <= data.size() ? data.size() - pos : 0;
  const size_t take = std::min<size_t>(len, avail);
  if (out.size() + take > max_size) return InflateStatus::too_large;
  out.append(data.substr(pos, take));
  in.seek(pos + take);
  return take < len ? InflateStatus::truncated : InflateStatus::ok;
}

InflateStatus dynamic(BitReader& in, std::string& out, size_t max_size) {
  static constexpr uint8_t k_order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                          11, 4,  12, 3, 13, 2, 14, 1, 15};
  uint32_t hlit = 0, hdist = 0, hclen = 0;
  if (!in.bits(5, hlit) || !in.bits(5, hdist) || !in.bits(4, hclen)) {
    return InflateStatus::truncated;
  }
  const int nlen = static_cast<int>(hlit) + 257;
  const int ndist = static_cast<int>(hdist) + 1;
  if (nlen > 286 || ndist > 30) return InflateStatus::corrupt;
  uint8_t lengths[320] = {};
  for (uint32_t i = 0; i < hclen + 4; ++i) {
    uint32_t v = 0;
    if (!in.bits(3, v)) return InflateStatus::truncated;
    lengths[k_order[i]] = static_cast<uint8_t>(v);
  }
  Huffman lencode;
  if (!build(lencode, lengths, 19)) return InflateStatus::corrupt;
  int index = 0;
  for (auto& l : lengths) l = 0;
  while (index < nlen + ndist) {
    int sym = decode(in, lencode);
    if (sym == -1) return InflateStatus::truncated;
    if (sym < 0) return InflateStatus::corrupt;
    if (sym < 16) {
      lengths[index++] = static_cast<uint8_t>(sym);
      continue;
    }
    uint8_t value = 0;
    uint32_t repeat = 0;
    if (sym == 16) {
      if (index == 0) return InflateStatus::corrupt;
      value = lengths[index - 1];
      if (!in.bits(2, repeat)) return InflateStatus::truncated;
      repeat += 3;
    } else if (sym == 17) {
      if (!in.bits(3, repeat)) return InflateStatus::truncated;
      repeat += 3;
    } else {
      if (!in.bits(7, repeat)) return InflateStatus::truncated;
      repeat += 11;
    }
    if (index + static_cast<int>(repeat) > nlen + ndist) return InflateStatus::corrupt;
    while (repeat-- > 0) lengths[index++] = value;
  }
  if (lengths[256] == 0) return InflateStatus::corrupt;
  Huffman lit, dist;
  if (!build(lit, lengths, nlen) || !build(dist, lengths + nlen, ndist)) {
    return InflateStatus::corrupt;
  }
  return codes(in, out, max_size, lit, dist);
}

InflateStatus fixed(BitReader& in, std::string& out, size_t max_size) {
  static const auto tables = [] {
    std::pair<Huffman, Huffman> t;
    uint8_t lengths[288];
    for (int i = 0; i < 144; ++i) lengths[i] = 8;
    for (int i = 144; i < 256; ++i) lengths[i] = 9;
    for (int i = 256; i < 280; ++i) lengths[i] = 7;
    for (int i = 280; i < 288; ++i) lengths[i] = 8;
    build(t.first, lengths, 288);
    for (int i = 0; i < 30; ++i) lengths[i] = 5;
    build(t.second, lengths, 30);
    return t;
  }();
  return codes(in, out, max_size, tables.first, tables.second);
}

// Inflates one raw deflate stream starting at data[0]; `consumed` receives the bytes used.
InflateStatus inflate(std::string_view data, std::string& out, size_t max_size, size_t& consumed) {
  BitReader in(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  for (;;) {
    uint32_t last = 0, type = 0;
    if (!in.bits(1, last) || !in.bits(2, type)) return InflateStatus::truncated;
    InflateStatus st = InflateStatus::corrupt;
    if (type == 0)
      st = stored(in, data, out, max_size);
    else if (type == 1)
      st = fixed(in, out, max_size);
    else if (type == 2)
      st = dynamic(in, out, max_size);
    if (st != InflateStatus::ok) return st;
    if (last != 0) break;
  }
  in.align();
  consumed = in.byte_pos();
  return InflateStatus::ok;
}

// Size of the gzip member header at data[0], or 0 when it is not one.
size_t header_size(std::string_view d) {
  if (d.size() < 10 || static_cast<uint8_t>(d[0]) != 0x1F || static_cast<uint8_t>(d[1]) != 0x8B ||
      d[2] != 8) {
    return 0;
  }
  const auto flags = static_cast<uint8_t>(d[3]);
  size_t pos = 10;
  if ((flags & 0x04) != 0) {
    if (pos + 2 > d.size()) return 0;
    pos += 2 + (static_cast<uint8_t>(d[pos]) |
                (static_cast<size_t>(static_cast<uint8_t>(d[pos + 1])) << 8));
  }
  for (const uint8_t bit : {uint8_t{0x08}, uint8_t{0x10}}) {
    if ((flags & bit) != 0) {
      const size_t z = d.find('\0', pos);
      if (z == std::string_view::npos) return 0;
      pos = z + 1;
    }
  }
  if ((flags & 0x02) != 0) pos += 2;
  return pos <= d.size() ? pos : 0;
}

}  // namespace

Result<std::string> gunzip(std::string_view bytes, size_t max_size) {
  if (bytes.empty()) return make_error(ErrorCode::parse_error, "gzip: empty input");
  std::string out;
  out.reserve(std::min(max_size, bytes.size() * 4));
  size_t pos = 0;
  bool first = true;
  while (pos < bytes.size()) {
    const size_t header = header_size(bytes.substr(pos));
    if (header == 0) {
      if (first) return make_error(ErrorCode::parse_error, "gzip: bad header");
      break;  // trailing garbage after a complete member
    }
    first = false;
    size_t consumed = 0;
    const InflateStatus st = inflate(bytes.substr(pos + header), out, max_size, consumed);
    if (st == InflateStatus::too_large) {
      return make_error(ErrorCode::too_large, "gzip: decompressed size exceeds limit");
    }
    if (st == InflateStatus::corrupt && out.empty()) {
      return make_error(ErrorCode::parse_error, "gzip: corrupt data");
    }
    if (st != InflateStatus::ok) break;  // truncated or corrupt: keep what was decoded
    pos += header + consumed + 8;        // CRC32 and ISIZE
  }
  return out;
}

}  // namespace newswatch::parsers
