#include "storage/search.h"

#include "storage/string_table.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>

namespace newswatch::storage {
namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool get_varint(std::string_view& in, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto b = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

void put_str(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

bool get_str(std::string_view& in, std::string& s) {
  std::uint64_t n = 0;
  if (!get_varint(in, n) || n > in.size()) return false;
  s.assign(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}

constexpr std::uint8_t k_doc_meta_version = 1;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// Which query terms each token of `analyzed` matches (bit i = term i; queries beyond 64 terms
// only highlight their first 64).
std::vector<std::uint64_t> token_matches(const AnalyzedText& analyzed, const ParsedQuery& query) {
  std::vector<std::uint64_t> out(analyzed.tokens.size(), 0);
  std::unordered_map<std::string, std::uint64_t> by_norm;
  for (size_t i = 0; i < analyzed.tokens.size(); ++i) {
    const Token& t = analyzed.tokens[i];
    auto [it, inserted] = by_norm.try_emplace(t.norm, 0);
    if (inserted) {
      const auto keys = analyzed.keys.find(t.norm);
      static const std::vector<std::string> none;
      const auto& k = keys == analyzed.keys.end() ? none : keys->second;
      for (size_t q = 0; q < query.terms.size() && q < 64; ++q) {
        if (term_matches(query.terms[q], t.norm, k)) it->second |= std::uint64_t{1} << q;
      }
    }
    out[i] = it->second;
  }
  return out;
}

bool phrase_in(const std::vector<std::uint64_t>& matches, const std::vector<std::size_t>& phrase) {
  if (phrase.empty() || matches.size() < phrase.size()) return false;
  for (size_t start = 0; start + phrase.size() <= matches.size(); ++start) {
    bool all = true;
    for (size_t j = 0; j < phrase.size() && all; ++j) {
      all = phrase[j] < 64 && (matches[start + j] >> phrase[j] & 1) != 0;
    }
    if (all) return true;
  }
  return false;
}

}  // namespace

Result<ParsedQuery> parse_query(std::string_view text, const Analyzer& analyzer) {
  ParsedQuery q;
  auto add_words = [&](std::string_view part, bool phrase) {
    std::vector<std::size_t> indices;
    const auto tokens = tokenize(part);
    for (size_t i = 0; i < tokens.size(); ++i) {
      QueryTerm term;
      term.norm = tokens[i].norm;
      // A '*' right after the word makes it a prefix.
      const size_t end = tokens[i].end;
      term.prefix = end < part.size() && part[end] == '*';
      term.keys = analyzer.query_keys(term.norm);
      if (term.prefix) {
        term.keys.push_back(term.norm);
        std::sort(term.keys.begin(), term.keys.end());
        term.keys.erase(std::unique(term.keys.begin(), term.keys.end()), term.keys.end());
      }
      if (term.keys.empty()) term.keys.push_back(term.norm);
      indices.push_back(q.terms.size());
      q.terms.push_back(std::move(term));
    }
    if (phrase && indices.size() >= 2) q.phrases.push_back(std::move(indices));
  };
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t quote = text.find('"', pos);
    if (quote == std::string_view::npos) {
      add_words(text.substr(pos), false);
      break;
    }
    add_words(text.substr(pos, quote - pos), false);
    const size_t close = text.find('"', quote + 1);
    const size_t stop = close == std::string_view::npos ? text.size() : close;
    add_words(text.substr(quote + 1, stop - quote - 1), true);
    pos = stop == text.size() ? stop : stop + 1;
  }
  if (q.terms.empty()) return make_error(ErrorCode::invalid_argument, "the query has no words");
  return q;
}

bool term_matches(const QueryTerm& term, std::string_view norm,
                  const std::vector<std::string>& keys) {
  if (term.prefix) {
    if (starts_with(norm, term.norm)) return true;
    for (const auto& p : term.keys) {
      for (const auto& k : keys) {
        if (starts_with(k, p)) return true;
      }
    }
    return false;
  }
  if (norm == term.norm) return true;
  for (const auto& k : keys) {
    if (std::find(term.keys.begin(), term.keys.end(), k) != term.keys.end()) return true;
  }
  return false;
}

namespace {

// index_terms()'s per-thread memo for one analyzer: per language tag, normalised word -> ids of
// its index keys in a table of distinct keys; plus the per-article counters, reused between calls.
struct KeyMemo {
  // One memoised word: its keys are key_ids[first, end); (title, body) counts in the current
  // article.
  struct WordInfo {
    std::uint64_t fingerprint = 0;  // fingerprint_word(word)
    std::uint32_t key0 = 0;         // key_ids[first], when first < end
    std::uint32_t first = 0;
    std::uint32_t end = 0;
    std::array<std::uint32_t, 2> tf{};
  };
  // One key: its (title, body) counts in the current article, and what TermFrequency needs.
  struct KeyInfo {
    std::array<std::uint32_t, 2> tf{};
    const std::string* key = nullptr;  // in key_strings
  };
  struct Words {
    InlineStringTable table;             // normalised words
    std::vector<WordInfo> info;          // by word index
    std::vector<std::uint32_t> key_ids;  // words' keys, consecutive per word
    HotKeyCache hot;                     // in front of `table`
  };
  std::uint64_t analyzer_id = 0;
  std::unordered_map<std::string, Words> by_language;
  std::size_t word_count = 0;
  StringTable keys;
  // The same keys by id, shared with the DocTerms handed out (a reset starts a new one, so
  // buffered articles keep theirs).
  std::shared_ptr<IndexKeys> key_strings = std::make_shared<IndexKeys>();
  std::vector<KeyInfo> key_info;  // by key id
  std::vector<std::uint32_t> touched_words, touched_keys;
  std::vector<std::string> scratch;
  NormalizedWords norms;                       // of the field being counted
  std::vector<InlineStringTable::Key> probes;  // norms prepared for lookup
  std::vector<std::uint32_t> word_ids;         // norms' word indices

  // Bounds the memo at about 10 MB per thread (100 bytes per word and key); past it the memo
  // starts again empty. The most frequent 100,000 words cover nearly every word of news text.
  static constexpr std::size_t k_max_words = 100000;
  // And at this many language tags (each has its own table and a 512 KB HotKeyCache): feeds
  // can claim any two- or three-letter tag.
  static constexpr std::size_t k_max_languages = 16;

  void reset(std::uint64_t id) {
    analyzer_id = id;
    by_language.clear();
    word_count = 0;
    keys.clear();
    key_strings = std::make_shared<IndexKeys>();
    key_info.clear();
  }

  // The index of the normalised word `norm` in `words`, its keys computed on first sight.
  std::uint32_t word(const Analyzer& analyzer, Words& words, std::string_view norm,
                     const InlineStringTable::Key& key, std::string_view lang) {
    bool inserted = false;
    const std::uint32_t w = words.table.intern(norm, key, inserted);
    if (!inserted) return w;
    ++word_count;
    scratch.clear();
    analyzer.word_keys(norm, lang, scratch);
    WordInfo& info = words.info.emplace_back();
    info.fingerprint = fingerprint_word(norm);
    info.first = static_cast<std::uint32_t>(words.key_ids.size());
    for (const auto& k : scratch) {
      bool new_key = false;
      const std::uint32_t id = keys.intern(k, StringTable::hash_of(k), new_key);
      if (new_key) {
        key_strings->keys.push_back(k);
        key_info.push_back(KeyInfo{{0, 0}, &key_strings->keys.back()});
      }
      words.key_ids.push_back(id);
    }
    info.end = static_cast<std::uint32_t>(words.key_ids.size());
    if (info.first < info.end) info.key0 = words.key_ids[info.first];
    return w;
  }
};

thread_local KeyMemo t_memo;

std::uint16_t clamp16(std::uint32_t v) {
  return static_cast<std::uint16_t>(std::min<std::uint32_t>(v, UINT16_MAX));
}

}  // namespace

DocTerms index_terms(const Analyzer& analyzer, const Article& article, TextFingerprints* body) {
  KeyMemo& memo = t_memo;
  if (memo.analyzer_id != analyzer.instance_id() || memo.word_count > KeyMemo::k_max_words ||
      (memo.by_language.size() >= KeyMemo::k_max_languages &&
       !memo.by_language.contains(article.language))) {
    memo.reset(analyzer.instance_id());
  }
  KeyMemo::Words& words = memo.by_language[article.language];
  DocTerms out;
  memo.touched_words.clear();
  const auto add = [&](std::string_view text, std::size_t field) {
    normalize_words(text, memo.norms);
    const std::size_t n = memo.norms.size();
    out.length += static_cast<std::uint32_t>(n);
    // Hash every word first, so that each lookup can prefetch the slot of one some words ahead:
    // the table outgrows the CPU caches, and overlapped misses cost far less than one at a time.
    memo.probes.resize(n);
    const char* bytes = memo.norms.bytes.data();
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t begin = memo.norms.begins[i];
      InlineStringTable::key_of_padded(std::string_view(bytes + begin, memo.norms.ends[i] - begin),
                                       memo.probes[i]);
    }
    constexpr std::size_t k_ahead = 32;
    for (std::size_t i = 0; i < std::min(n, 2 * k_ahead); ++i) words.hot.prefetch(memo.probes[i]);
    for (std::size_t i = 0; i < std::min(n, k_ahead); ++i) {
      if (!words.hot.contains(memo.probes[i])) words.table.prefetch(memo.probes[i]);
    }
    memo.word_ids.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      // The hot cache's set twice as far ahead, so that deciding whether to prefetch the table
      // does not wait for it.
      if (i + 2 * k_ahead < n) words.hot.prefetch(memo.probes[i + 2 * k_ahead]);
      // Only the words the hot cache will not answer go to the table.
      if (i + k_ahead < n && !words.hot.contains(memo.probes[i + k_ahead])) {
        words.table.prefetch(memo.probes[i + k_ahead]);
      }
      const InlineStringTable::Key& q = memo.probes[i];
      std::uint32_t w = 0;
      if (const std::int64_t cached = words.hot.find(q); cached >= 0) {
        w = static_cast<std::uint32_t>(cached);
      } else {
        w = memo.word(analyzer, words, memo.norms[i], q, article.language);
        words.hot.insert(q, memo.norms.ends[i] - memo.norms.begins[i], w);
      }
      memo.word_ids[i] = w;
      __builtin_prefetch(&words.info[w]);  // for the counts below
    }
    // Whether a word is new to the article is a coin toss, so no branch on it: every word is
    // written to the touched list, which only grows past a new one.
    const std::size_t base = memo.touched_words.size();
    memo.touched_words.resize(base + n);
    std::uint32_t* touched = memo.touched_words.data() + base;
    std::size_t added = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t w = memo.word_ids[i];
      KeyMemo::WordInfo& info = words.info[w];
      touched[added] = w;
      added += (info.tf[0] | info.tf[1]) == 0 ? 1 : 0;
      ++info.tf[field];
    }
    memo.touched_words.resize(base + added);
    if (field == 1 && body != nullptr) {
      // The words' infos are in the cache from the counting above.
      FingerprintBuilder fingerprints;
      for (std::size_t i = 0; i < n; ++i)
        fingerprints.add(words.info[memo.word_ids[i]].fingerprint);
      *body = fingerprints.finish();
    }
  };
  add(article.title, 0);
  add(article.text, 1);
  // Words sharing a stem share a key: sum their counts per key.
  memo.touched_keys.clear();
  constexpr std::size_t k_keys_ahead = 8;
  const std::size_t touched_count = memo.touched_words.size();
  for (std::size_t j = 0; j < touched_count; ++j) {
    if (j + k_keys_ahead < touched_count) {
      const KeyMemo::WordInfo& ahead = words.info[memo.touched_words[j + k_keys_ahead]];
      if (ahead.first < ahead.end) __builtin_prefetch(&memo.key_info[ahead.key0]);
    }
    KeyMemo::WordInfo& info = words.info[memo.touched_words[j]];
    // As above: every key is written, the list grows past the ones new to the article.
    std::size_t keys = memo.touched_keys.size();
    memo.touched_keys.resize(keys + (info.end - info.first));
    for (std::uint32_t k = info.first; k < info.end; ++k) {
      const std::uint32_t id = k == info.first ? info.key0 : words.key_ids[k];
      auto& key_counts = memo.key_info[id].tf;
      memo.touched_keys[keys] = id;
      keys += (key_counts[0] | key_counts[1]) == 0 ? 1 : 0;
      key_counts[0] += info.tf[0];
      key_counts[1] += info.tf[1];
    }
    memo.touched_keys.resize(keys);
    info.tf = {0, 0};
  }
  out.terms.reserve(memo.touched_keys.size());
  out.keys = memo.key_strings;
  for (std::uint32_t id : memo.touched_keys) {
    KeyMemo::KeyInfo& key = memo.key_info[id];
    out.terms.push_back(TermFrequency{key.key, id, clamp16(key.tf[0]), clamp16(key.tf[1])});
    key.tf = {0, 0};
  }
  return out;
}

std::string encode_posting(const Posting& p) {
  std::string out;
  put_varint(out, p.title_tf);
  put_varint(out, p.body_tf);
  put_varint(out, p.length);
  return out;
}

std::optional<Posting> decode_posting(std::string_view bytes) {
  std::uint64_t t = 0, b = 0, l = 0;
  if (!get_varint(bytes, t) || !get_varint(bytes, b) || !get_varint(bytes, l)) return std::nullopt;
  return Posting{static_cast<std::uint32_t>(t), static_cast<std::uint32_t>(b),
                 static_cast<std::uint32_t>(l)};
}

void append_block_entry(std::string& block, std::uint64_t doc, const Posting& p) {
  // Written through a pointer into room made once: push_back per byte was ~5% of ingest.
  char buf[8 + 3 * 5];
  char* out = buf;
  for (int shift = 56; shift >= 0; shift -= 8) *out++ = static_cast<char>(doc >> shift);
  for (std::uint64_t v :
       {std::uint64_t{p.title_tf}, std::uint64_t{p.body_tf}, std::uint64_t{p.length}}) {
    while (v >= 0x80) {
      *out++ = static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    *out++ = static_cast<char>(v);
  }
  block.append(buf, static_cast<size_t>(out - buf));
}

bool next_block_entry(std::string_view& block, std::uint64_t& doc, Posting& p) {
  if (block.size() < 8) return false;
  doc = 0;
  for (size_t i = 0; i < 8; ++i) doc = (doc << 8) | static_cast<unsigned char>(block[i]);
  block.remove_prefix(8);
  std::uint64_t t = 0, b = 0, l = 0;
  if (!get_varint(block, t) || !get_varint(block, b) || !get_varint(block, l)) return false;
  p = Posting{static_cast<std::uint32_t>(t), static_cast<std::uint32_t>(b),
              static_cast<std::uint32_t>(l)};
  return true;
}

double bm25(const Posting& p, std::uint64_t df, std::uint64_t docs, double avg_length) {
  constexpr double k1 = 1.2, b = 0.75;
  const double n = static_cast<double>(std::max(docs, df));
  const double idf =
      std::log(1.0 + (n - static_cast<double>(df) + 0.5) / (static_cast<double>(df) + 0.5));
  const double tf = static_cast<double>(p.body_tf) + k_title_boost * p.title_tf;
  const double norm = k1 * (1 - b + b * p.length / std::max(avg_length, 1.0));
  return idf * tf * (k1 + 1) / (tf + norm);
}

std::string encode_doc_meta(const DocMeta& m) {
  std::string out(1, static_cast<char>(k_doc_meta_version));
  out.push_back(m.published ? 1 : 0);
  const auto zig = [](std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  };
  if (m.published) put_varint(out, zig(m.published->time_since_epoch().count()));
  put_varint(out, zig(m.fetched.time_since_epoch().count()));
  put_str(out, m.source);
  put_str(out, m.language);
  put_varint(out, m.topics.size());
  for (const auto& t : m.topics) put_str(out, t);
  return out;
}

std::optional<DocMeta> decode_doc_meta(std::string_view in) {
  if (in.size() < 2 || static_cast<std::uint8_t>(in[0]) != k_doc_meta_version) return std::nullopt;
  const bool has_published = in[1] != 0;
  in.remove_prefix(2);
  const auto unzig = [](std::uint64_t u) {
    return TimePoint(std::chrono::seconds(static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1))));
  };
  DocMeta m;
  std::uint64_t v = 0;
  if (has_published) {
    if (!get_varint(in, v)) return std::nullopt;
    m.published = unzig(v);
  }
  if (!get_varint(in, v)) return std::nullopt;
  m.fetched = unzig(v);
  if (!get_str(in, m.source) || !get_str(in, m.language)) return std::nullopt;
  std::uint64_t topics = 0;
  if (!get_varint(in, topics) || topics > in.size()) return std::nullopt;
  for (std::uint64_t i = 0; i < topics; ++i) {
    std::string t;
    if (!get_str(in, t)) return std::nullopt;
    m.topics.push_back(std::move(t));
  }
  return m;
}

DocMeta doc_meta_of(const Article& a) {
  return DocMeta{a.published, a.fetched, a.source, a.language, a.topics};
}

bool passes_filters(const DocMeta& m, const SearchQuery& q) {
  if (!q.source.empty() && m.source != q.source) return false;
  if (!q.language.empty()) {
    const std::string_view lang = std::string_view(m.language).substr(0, m.language.find('-'));
    if (normalize(lang) != normalize(q.language)) return false;
  }
  if (!q.topic.empty() && std::find(m.topics.begin(), m.topics.end(), q.topic) == m.topics.end()) {
    return false;
  }
  if (q.since && m.when() < *q.since) return false;
  if (q.until && m.when() >= *q.until) return false;
  return true;
}

bool phrases_match(const Analyzer& analyzer, const Article& article, const ParsedQuery& query) {
  if (query.phrases.empty()) return true;
  const auto title = token_matches(analyzer.analyze(article.title, article.language), query);
  const auto body = token_matches(analyzer.analyze(article.text, article.language), query);
  for (const auto& phrase : query.phrases) {
    if (!phrase_in(title, phrase) && !phrase_in(body, phrase)) return false;
  }
  return true;
}

SearchHit make_hit(const Analyzer& analyzer, const Article& a, const ParsedQuery& query,
                   double score, std::size_t words) {
  SearchHit hit;
  hit.id = a.id;
  hit.score = score;
  hit.title = a.title;
  hit.url = a.url;
  hit.source = a.source;
  hit.language = a.language;
  hit.published = a.published;
  hit.fetched = a.fetched;

  const AnalyzedText title = analyzer.analyze(a.title, a.language);
  const auto title_matches = token_matches(title, query);
  for (size_t i = 0; i < title.tokens.size(); ++i) {
    if (title_matches[i])
      hit.title_highlights.emplace_back(title.tokens[i].begin, title.tokens[i].end);
  }

  const AnalyzedText body = analyzer.analyze(a.text, a.language);
  const auto matches = token_matches(body, query);
  const size_t n = body.tokens.size();
  if (n == 0) return hit;
  words = std::max<std::size_t>(words, 1);
  // The window of `words` tokens covering the most distinct terms, then the most matches.
  size_t best_start = 0;
  int best_distinct = -1, best_count = -1;
  for (size_t start = 0; start < n; ++start) {
    if (start > 0 && matches[start] == 0) continue;  // windows start at a match (or the text)
    std::uint64_t seen = 0;
    int count = 0;
    for (size_t i = start; i < std::min(n, start + words); ++i) {
      if (matches[i]) {
        seen |= matches[i];
        ++count;
      }
    }
    const int distinct = __builtin_popcountll(seen);
    if (distinct > best_distinct || (distinct == best_distinct && count > best_count)) {
      best_distinct = distinct;
      best_count = count;
      best_start = start;
    }
  }
  // Lead in by a few words so the first match is not the snippet's first word.
  const size_t lead = std::min<size_t>(best_start, std::min<size_t>(5, words / 4));
  const size_t first = best_start - lead;
  const size_t last = std::min(n, first + words) - 1;
  const std::uint32_t from = first == 0 ? 0 : body.tokens[first].begin;
  const std::uint32_t to =
      last + 1 == n ? static_cast<std::uint32_t>(a.text.size()) : body.tokens[last].end;
  std::string snippet = first == 0 ? "" : "…";
  const std::uint32_t shift = static_cast<std::uint32_t>(snippet.size());
  std::string_view piece = std::string_view(a.text).substr(from, to - from);
  for (char c : piece) snippet.push_back(c == '\n' ? ' ' : c);
  for (size_t i = first; i <= last; ++i) {
    if (matches[i]) {
      hit.snippet_highlights.emplace_back(body.tokens[i].begin - from + shift,
                                          body.tokens[i].end - from + shift);
    }
  }
  if (last + 1 < n) snippet += "…";
  hit.snippet = std::move(snippet);
  return hit;
}

}  // namespace newswatch::storage
