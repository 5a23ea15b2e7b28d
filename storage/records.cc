#include "storage/records.h"

#include <lz4frame.h>
#include <zstd.h>

#include <cstring>
#include <memory>

namespace newswatch::storage {
namespace {

class Writer {
 public:
  explicit Writer(std::uint8_t tag) {
    m_out.push_back(static_cast<char>(kRecordVersion));
    m_out.push_back(static_cast<char>(tag));
  }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      m_out.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    m_out.push_back(static_cast<char>(v));
  }
  void svarint(std::int64_t v) {
    varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void str(std::string_view s) {
    varint(s.size());
    m_out.append(s);
  }
  void time(TimePoint t) { svarint(t.time_since_epoch().count()); }
  void opt_time(const std::optional<TimePoint>& t) {
    m_out.push_back(t ? 1 : 0);
    if (t) time(*t);
  }
  std::string take() { return std::move(m_out); }

 private:
  std::string m_out;
};

class Reader {
 public:
  Reader(std::string_view in, std::uint8_t tag, const char* what) : m_in(in), m_what(what) {
    if (m_in.size() < 2) {
      fail("truncated header");
      return;
    }
    if (static_cast<std::uint8_t>(m_in[0]) != kRecordVersion) {
      fail("unknown format version " + std::to_string(static_cast<unsigned char>(m_in[0])));
      return;
    }
    if (static_cast<std::uint8_t>(m_in[1]) != tag) fail("wrong record type");
    m_pos = 2;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (m_pos >= m_in.size()) {
        fail("truncated varint");
        return 0;
      }
      const auto b = static_cast<std::uint8_t>(m_in[m_pos++]);
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("overlong varint");
    return 0;
  }
  std::int64_t svarint() {
    const std::uint64_t u = varint();
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  std::string str() {
    const std::uint64_t n = varint();
    if (!m_error.empty() || n > m_in.size() - m_pos) {
      fail("truncated string");
      return {};
    }
    std::string s(m_in.substr(m_pos, n));
    m_pos += n;
    return s;
  }
  TimePoint time() { return TimePoint(std::chrono::seconds(svarint())); }
  std::optional<TimePoint> opt_time() {
    if (m_pos >= m_in.size()) {
      fail("truncated");
      return std::nullopt;
    }
    if (m_in[m_pos++] == 0) return std::nullopt;
    return time();
  }
  bool at_end() const { return m_pos >= m_in.size(); }
  // The bytes not read yet.
  std::string_view rest() const { return m_in.substr(std::min(m_pos, m_in.size())); }
  bool ok() const { return m_error.empty(); }
  Error error() const {
    return make_error(ErrorCode::corruption, std::string(m_what) + " record: " + m_error);
  }

 private:
  void fail(const std::string& why) {
    if (m_error.empty()) m_error = why;
    m_pos = m_in.size();
  }
  std::string_view m_in;
  const char* m_what;
  size_t m_pos = 0;
  std::string m_error;
};

enum Tag : std::uint8_t {
  kArticle = 1,
  kSource = 2,
  kOutbox = 3,
  kAlertRate = 4,
  kUrlList = 5,
  kCompressedArticle = 6,  // zstd (format 5)
  kLz4Article = 7,         // LZ4 frame (format 6)
};

// Article records (format 6): the id as in a plain record, then the length of the rest of the
// plain record and the rest as one LZ4 frame (with a content checksum). Compressed here, once, in
// the storing thread, the record is two thirds as many bytes in the WAL, the memtable, the flush
// and every compaction, and RocksDB leaves the family uncompressed, so that its files move down
// the levels untouched. Format 5 used a zstd frame (level 1; still read): it made records a
// quarter smaller again (2.06x vs 1.45x on 4.4 KB of news text) but cost ~2.5 times the CPU,
// ~25 of the ~140 CPU us a stored article took in all at a million articles. Shorter records
// stay plain; so does one that would not shrink.
constexpr std::size_t kCompressFrom = 512;
// A decoded article larger than this is taken for corruption (extracted articles are capped far
// below; this only bounds what a damaged length field can make the decoder allocate).
constexpr std::uint64_t kMaxPlainArticle = std::uint64_t{64} << 20;

// Per thread: setting a context up costs more than compressing a record.
struct CodecContexts {
  struct FreeLz4C {
    void operator()(LZ4F_cctx* c) const { LZ4F_freeCompressionContext(c); }
  };
  struct FreeLz4D {
    void operator()(LZ4F_dctx* d) const { LZ4F_freeDecompressionContext(d); }
  };
  struct FreeZstdD {
    void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
  };
  CodecContexts() {
    LZ4F_cctx* c = nullptr;
    if (!LZ4F_isError(LZ4F_createCompressionContext(&c, LZ4F_VERSION))) compress.reset(c);
    LZ4F_dctx* d = nullptr;
    if (!LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION))) decompress.reset(d);
  }
  std::unique_ptr<LZ4F_cctx, FreeLz4C> compress;
  std::unique_ptr<LZ4F_dctx, FreeLz4D> decompress;
  std::unique_ptr<ZSTD_DCtx, FreeZstdD> zstd{ZSTD_createDCtx()};  // format-5 records
};

CodecContexts& codec_contexts() {
  thread_local CodecContexts contexts;
  return contexts;
}

// The frame settings: one independent block (records are far below 4 MB), the content size in
// the header, and a checksum of the content, so that a damaged body is an error, not other text.
LZ4F_preferences_t lz4_preferences(std::size_t size) {
  LZ4F_preferences_t prefs = LZ4F_INIT_PREFERENCES;
  prefs.frameInfo.blockSizeID = LZ4F_max4MB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  prefs.frameInfo.contentSize = size;
  prefs.autoFlush = 1;
  return prefs;
}

std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}

void append_varint(std::string& out, std::uint64_t v) {
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7F) | 0x80));
  out.push_back(static_cast<char>(v));
}

// The compressed form of the plain article record `plain` whose id is `id`, or `plain` itself.
std::string compress_article(std::string plain, std::string_view id) {
  const std::size_t head = 2 + varint_size(id.size()) + id.size();
  if (plain.size() < kCompressFrom || plain.size() <= head) return plain;
  const std::size_t rest = plain.size() - head;
  std::string out;
  out.push_back(static_cast<char>(kRecordVersion));
  out.push_back(static_cast<char>(kLz4Article));
  out.append(plain, 2, head - 2);  // the id, length-prefixed as in the plain record
  append_varint(out, rest);
  const std::size_t prefix = out.size();
  LZ4F_cctx* cctx = codec_contexts().compress.get();
  if (cctx == nullptr) return plain;
  const LZ4F_preferences_t prefs = lz4_preferences(rest);
  out.resize(prefix + LZ4F_compressFrameBound(rest, &prefs));
  char* dst = out.data() + prefix;
  std::size_t room = out.size() - prefix;
  std::size_t n = LZ4F_compressBegin(cctx, dst, room, &prefs);
  if (!LZ4F_isError(n)) {
    const std::size_t body =
        LZ4F_compressUpdate(cctx, dst + n, room - n, plain.data() + head, rest, nullptr);
    n = LZ4F_isError(body) ? body : n + body;
  }
  if (!LZ4F_isError(n)) {
    const std::size_t end = LZ4F_compressEnd(cctx, dst + n, room - n, nullptr);
    n = LZ4F_isError(end) ? end : n + end;
  }
  if (LZ4F_isError(n) || prefix + n >= plain.size()) return plain;
  out.resize(prefix + n);
  return out;
}

}  // namespace

std::uint64_t stable_hash64(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string hex64(std::uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<size_t>(i)] = digits[v & 0xF];
    v >>= 4;
  }
  return out;
}

std::string OutboxRecord::key() const { return topic + '\x1F' + article_id + '\x1F' + channel; }

std::string OutboxRecord::idempotency_key() const { return hex64(stable_hash64(key())); }

std::string encode_article(const Article& a) {
  return compress_article(encode_plain_article(a), a.id);
}

std::string encode_plain_article(const Article& a) {
  Writer w(kArticle);
  for (const std::string* s :
       {&a.id, &a.url, &a.canonical_url, &a.source, &a.title, &a.byline, &a.language, &a.site_name,
        &a.image, &a.summary, &a.text, &a.duplicate_of}) {
    w.str(*s);
  }
  w.opt_time(a.published);
  w.opt_time(a.modified);
  w.time(a.fetched);
  w.varint(a.topics.size());
  for (const auto& t : a.topics) w.str(t);
  w.varint(a.duplicate_urls.size());
  for (const auto& u : a.duplicate_urls) w.str(u);
  return w.take();
}

bool set_article_id(std::string& encoded, std::string_view id) {
  // Header (version, tag), then the id as the first string: a one-byte length below 128.
  if (id.size() >= 0x80 || encoded.size() < 3 + id.size()) return false;
  const auto tag = static_cast<std::uint8_t>(encoded[1]);
  if (static_cast<std::uint8_t>(encoded[0]) != kRecordVersion ||
      (tag != kArticle && tag != kCompressedArticle && tag != kLz4Article) ||
      static_cast<std::uint8_t>(encoded[2]) != id.size()) {
    return false;
  }
  encoded.replace(3, id.size(), id);
  return true;
}

namespace {

// The plain record of a compressed one (tag kLz4Article or kCompressedArticle).
Result<std::string> decompress_article(std::string_view bytes, std::uint8_t tag) {
  Reader z(bytes, tag, "article");
  const std::string id = z.str();
  const std::uint64_t size = z.varint();
  if (!z.ok()) return z.error();
  const auto corrupt = [](const std::string& why) {
    return make_error(ErrorCode::corruption, "article record: " + why);
  };
  if (size > kMaxPlainArticle) return corrupt("implausible length " + std::to_string(size));
  const std::string_view frame = z.rest();
  std::string plain;
  plain.push_back(static_cast<char>(kRecordVersion));
  plain.push_back(static_cast<char>(kArticle));
  append_varint(plain, id.size());
  plain.append(id);
  const std::size_t prefix = plain.size();
  plain.resize(prefix + size);
  CodecContexts& codecs = codec_contexts();
  if (tag == kCompressedArticle) {
    const unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
    if (declared != size) return corrupt("compressed body does not match its length");
    ZSTD_DCtx* dctx = codecs.zstd.get();
    if (dctx == nullptr) return make_error(ErrorCode::internal, "zstd: no decompression context");
    const std::size_t n =
        ZSTD_decompressDCtx(dctx, plain.data() + prefix, size, frame.data(), frame.size());
    if (ZSTD_isError(n)) return corrupt(std::string("compressed body: ") + ZSTD_getErrorName(n));
    if (n != size) return corrupt("compressed body is shorter than its length");
    return plain;
  }
  LZ4F_dctx* dctx = codecs.decompress.get();
  if (dctx == nullptr) return make_error(ErrorCode::internal, "lz4: no decompression context");
  // A frame must hold exactly the declared length and end where the record ends; a context left
  // mid-frame by an error is reset for the thread's next record.
  const auto fail = [&](std::size_t code, const char* why) {
    LZ4F_resetDecompressionContext(dctx);
    return corrupt(LZ4F_isError(code) ? std::string("compressed body: ") + LZ4F_getErrorName(code)
                                      : std::string(why));
  };
  LZ4F_frameInfo_t info{};
  std::size_t header = frame.size();
  std::size_t r = LZ4F_getFrameInfo(dctx, &info, frame.data(), &header);
  if (LZ4F_isError(r) || info.contentSize != size) {
    return fail(r, "compressed body does not match its length");
  }
  std::size_t out_size = size;
  std::size_t in_size = frame.size() - header;
  r = LZ4F_decompress(dctx, plain.data() + prefix, &out_size, frame.data() + header, &in_size,
                      nullptr);
  if (r != 0 || out_size != size || header + in_size != frame.size()) {
    return fail(r, "compressed body does not match its length");
  }
  return plain;
}

}  // namespace

Result<Article> decode_article(std::string_view bytes) {
  if (bytes.size() >= 2) {
    const auto tag = static_cast<std::uint8_t>(bytes[1]);
    if (tag == kLz4Article || tag == kCompressedArticle) {
      auto plain = decompress_article(bytes, tag);
      if (!plain) return plain.error();
      return decode_article(*plain);
    }
  }
  Reader r(bytes, kArticle, "article");
  Article a;
  for (std::string* s :
       {&a.id, &a.url, &a.canonical_url, &a.source, &a.title, &a.byline, &a.language, &a.site_name,
        &a.image, &a.summary, &a.text, &a.duplicate_of}) {
    *s = r.str();
  }
  a.published = r.opt_time();
  a.modified = r.opt_time();
  a.fetched = r.time();
  const std::uint64_t topics = r.varint();
  for (std::uint64_t i = 0; i < topics && r.ok(); ++i) a.topics.push_back(r.str());
  const std::uint64_t dups = r.varint();
  for (std::uint64_t i = 0; i < dups && r.ok(); ++i) a.duplicate_urls.push_back(r.str());
  if (!r.ok()) return r.error();
  return a;
}

std::string encode_source_state(const SourceState& s) {
  Writer w(kSource);
  w.str(s.etag);
  w.str(s.last_modified);
  w.time(s.next_due);
  w.time(s.last_attempt);
  w.time(s.last_success);
  w.varint(s.consecutive_errors);
  w.str(s.last_error);
  w.varint(s.items_seen);
  w.varint(s.polls);
  w.svarint(s.interval_ms);
  w.time(s.first_poll);
  w.varint(s.not_modified);
  w.varint(s.failures);
  w.varint(s.bytes);
  w.varint(s.latency_ms);
  w.varint(s.last_latency_ms);
  return w.take();
}

Result<SourceState> decode_source_state(std::string_view bytes) {
  Reader r(bytes, kSource, "source state");
  SourceState s;
  s.etag = r.str();
  s.last_modified = r.str();
  s.next_due = r.time();
  s.last_attempt = r.time();
  s.last_success = r.time();
  s.consecutive_errors = static_cast<std::uint32_t>(r.varint());
  s.last_error = r.str();
  s.items_seen = r.varint();
  s.polls = r.varint();
  s.interval_ms = r.svarint();
  if (!r.at_end()) {  // the per-source counters appended later; older records end here
    s.first_poll = r.time();
    s.not_modified = r.varint();
    s.failures = r.varint();
    s.bytes = r.varint();
    s.latency_ms = static_cast<std::uint32_t>(r.varint());
    s.last_latency_ms = static_cast<std::uint32_t>(r.varint());
  }
  if (!r.ok()) return r.error();
  return s;
}

std::string encode_outbox(const OutboxRecord& o) {
  Writer w(kOutbox);
  w.str(o.topic);
  w.str(o.article_id);
  w.str(o.channel);
  w.time(o.created);
  w.time(o.next_attempt);
  w.varint(o.attempts);
  w.str(o.last_error);
  w.varint(static_cast<std::uint8_t>(o.state));
  w.time(o.delivered_at);
  w.str(o.snippet);
  w.str(o.bundle);
  w.varint(o.also_reported_by.size());
  for (const auto& s : o.also_reported_by) w.str(s);
  return w.take();
}

Result<OutboxRecord> decode_outbox(std::string_view bytes) {
  Reader r(bytes, kOutbox, "outbox");
  OutboxRecord o;
  o.topic = r.str();
  o.article_id = r.str();
  o.channel = r.str();
  o.created = r.time();
  o.next_attempt = r.time();
  o.attempts = static_cast<std::uint32_t>(r.varint());
  o.last_error = r.str();
  const std::uint64_t state = r.varint();
  if (state > 2) return make_error(ErrorCode::corruption, "outbox record: bad state");
  o.state = static_cast<DeliveryState>(state);
  o.delivered_at = r.time();
  // Trailing fields are absent in records written before they existed.
  if (r.ok() && !r.at_end()) o.snippet = r.str();
  if (r.ok() && !r.at_end()) o.bundle = r.str();
  if (r.ok() && !r.at_end()) {
    const std::uint64_t n = r.varint();
    for (std::uint64_t i = 0; i < n && r.ok(); ++i) o.also_reported_by.push_back(r.str());
  }
  if (!r.ok()) return r.error();
  return o;
}

std::string encode_alert_rate(const AlertRateState& state) {
  Writer w(kAlertRate);
  w.varint(state.sent.size());
  for (const auto& t : state.sent) w.time(t);
  return w.take();
}

Result<AlertRateState> decode_alert_rate(std::string_view bytes) {
  Reader r(bytes, kAlertRate, "alert rate");
  AlertRateState state;
  const std::uint64_t n = r.varint();
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) state.sent.push_back(r.time());
  if (!r.ok()) return r.error();
  return state;
}

std::string encode_url_list(const std::vector<std::string>& urls) {
  Writer w(kUrlList);
  w.varint(urls.size());
  for (const auto& u : urls) w.str(u);
  return w.take();
}

Result<std::vector<std::string>> decode_url_list(std::string_view bytes) {
  Reader r(bytes, kUrlList, "URL list");
  std::vector<std::string> urls;
  const std::uint64_t n = r.varint();
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) urls.push_back(r.str());
  if (!r.ok()) return r.error();
  return urls;
}

}  // namespace newswatch::storage
