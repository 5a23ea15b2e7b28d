// Full-text search over stored articles: the query language, the terms an article contributes to
// the postings column family, BM25 scoring and highlighted snippets (docs/storage.md). Pure
// functions over storage::Analyzer; the postings themselves live in store.cc.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/article.h"
#include "core/result.h"
#include "core/time.h"
#include "storage/analyzer.h"
#include "storage/fingerprint.h"

namespace newswatch::storage {

// A search: words (all required), "quoted phrases" (words in this order) and prefixes `nord*`,
// plus filters. Words match by Snowball stem in any configured language (Sanktionen ~ Sanktion).
struct SearchQuery {
  std::string text;
  std::string source;              // exact source name; empty = any
  std::string topic;               // a topic the article matched; empty = any
  std::string language;            // primary language tag, "de"; empty = any
  std::optional<TimePoint> since;  // on published, else fetched time; inclusive
  std::optional<TimePoint> until;  // exclusive
  std::size_t limit = 20;
};

// Byte range [begin, end) of a highlighted word in SearchHit::snippet or SearchHit::title.
using Highlight = std::pair<std::uint32_t, std::uint32_t>;

struct SearchHit {
  std::string id;
  double score = 0;  // BM25 over title (boosted) and body; higher is better
  std::string title;
  std::string url;
  std::string source;
  std::string language;
  std::optional<TimePoint> published;
  TimePoint fetched{};
  std::string snippet;  // about 30 words of the body around the best cluster of matches
  std::vector<Highlight> snippet_highlights;
  std::vector<Highlight> title_highlights;
};

// One word of a parsed query.
struct QueryTerm {
  std::string norm;               // normalised word (analyzer normalize())
  bool prefix = false;            // `norm*`
  std::vector<std::string> keys;  // index keys to look up; for prefixes, key prefixes to scan
};

struct ParsedQuery {
  std::vector<QueryTerm> terms;
  std::vector<std::vector<std::size_t>> phrases;  // indices into terms, in order, 2+ words
};

// Parses `text`; invalid_argument when it holds no word.
Result<ParsedQuery> parse_query(std::string_view text, const Analyzer& analyzer);

// Whether the analysed word `norm` with index keys `keys` matches `term`.
bool term_matches(const QueryTerm& term, std::string_view norm,
                  const std::vector<std::string>& keys);

// The index keys index_terms() has met on one thread, append-only; a DocTerms shares it, which
// keeps its keys alive. Strings never move once added, so other threads may read the ones they
// were handed.
struct IndexKeys {
  std::deque<std::string> keys;  // by key id
};

// Term frequencies of one article: per distinct index key, its occurrences in the title and in the
// body, and the article's length in words.
// 16 bytes: the store buffers these for thousands of articles between postings flushes.
struct TermFrequency {
  const std::string* key = nullptr;  // in DocTerms::keys
  std::uint32_t id = 0;  // the key's id in DocTerms::keys (the postings buffer maps it once)
  // At most 65,535 each (counted higher, clamped: BM25's term weight saturates long before).
  std::uint16_t title_tf = 0;
  std::uint16_t body_tf = 0;
};
struct DocTerms {
  std::vector<TermFrequency> terms;       // any order
  std::uint32_t length = 0;               // title words + body words
  std::shared_ptr<const IndexKeys> keys;  // owns the strings `terms` point to
};
// Any thread. Keys of recently seen words are memoised per thread (about 10 MB at most), so
// analysing many articles costs one Snowball call per new word, not per word and article.
// With `body`, also sets *body to fingerprint_text(article.text), built from the word hashes the
// memo keeps (one pass over the text for both).
DocTerms index_terms(const Analyzer& analyzer, const Article& article,
                     TextFingerprints* body = nullptr);

// Encoded posting value and its inverse: (title tf, body tf, document length).
struct Posting {
  std::uint32_t title_tf = 0;
  std::uint32_t body_tf = 0;
  std::uint32_t length = 0;
};
std::string encode_posting(const Posting& p);
std::optional<Posting> decode_posting(std::string_view bytes);

// Postings blocks: a sequence of (8-byte big-endian article number, posting) entries.
void append_block_entry(std::string& block, std::uint64_t doc, const Posting& p);
// Reads the next entry and advances `block`; false when it is malformed.
bool next_block_entry(std::string_view& block, std::uint64_t& doc, Posting& p);

// Title matches count this many times a body match.
inline constexpr double k_title_boost = 3.0;

// BM25 contribution of one term (k1 = 1.2, b = 0.75, weighted tf = body + boost * title).
double bm25(const Posting& p, std::uint64_t df, std::uint64_t docs, double avg_length);

// What filters need of an article, kept next to the postings so that filtering reads no body.
struct DocMeta {
  std::optional<TimePoint> published;
  TimePoint fetched{};
  std::string source;
  std::string language;
  std::vector<std::string> topics;

  TimePoint when() const { return published.value_or(fetched); }
};
std::string encode_doc_meta(const DocMeta& meta);
std::optional<DocMeta> decode_doc_meta(std::string_view bytes);
DocMeta doc_meta_of(const Article& article);
bool passes_filters(const DocMeta& meta, const SearchQuery& query);

// Whether every phrase of `query` occurs in the article's title or body.
bool phrases_match(const Analyzer& analyzer, const Article& article, const ParsedQuery& query);

// A hit for `article`: snippet of up to `words` words around the densest matches, highlights.
SearchHit make_hit(const Analyzer& analyzer, const Article& article, const ParsedQuery& query,
                   double score, std::size_t words = 30);

}  // namespace newswatch::storage
