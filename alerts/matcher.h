// Percolator-style topic matching: many parsed topic queries are compiled once into an index keyed
// by the terms each query requires; an article is analysed once, the queries whose required terms
// occur become candidates, and only those are verified. The naive evaluator (every query in turn)
// is kept as the benchmark baseline and test oracle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alerts/query.h"
#include "core/article.h"
#include "storage/analyzer.h"

namespace newswatch::alerts {

struct TopicQuery {
  std::string name;
  Query query;  // from parse_query(); a default-constructed Query matches nothing
};

struct MatcherOptions {
  storage::AnalyzerOptions analyzer;
  // Estimated share of articles (0..1) containing a normalised word, e.g. document frequencies
  // from the store. Used only to pick each conjunction's rarest term as its index key; words not
  // listed are estimated from their length. Empty by default. Better estimates mean fewer
  // candidates to verify, never different results.
  std::unordered_map<std::string, double> word_frequency;
};

enum class MatchField : std::uint8_t { title, summary, text };

// A matched word: a byte range of one of the article's fields.
struct MatchSpan {
  MatchField field = MatchField::text;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  friend bool operator==(const MatchSpan&, const MatchSpan&) = default;
};

struct Match {
  std::string topic;
  std::size_t topic_index = 0;     // position in the Matcher's topic list
  std::vector<std::string> terms;  // canonical forms of the query leaves that matched, sorted
  std::vector<MatchSpan> spans;    // sorted by field then offset; empty for source:/lang: only
};

// Compiled topics. Immutable after construction: match() and match_naive() may run on any number
// of threads at once. Words, also inside phrases, are matched by stem (the article's language
// picks the stemmer, empty means all configured languages), case- and diacritics-insensitively;
// prefixes (`sankt*`) match the start of the unstemmed normalised word. In German or
// language-less articles a query word also matches the head or tail component of a compound
// (Sanktion ~ Wirtschaftssanktionen, Sanktionspaket), not a component in the middle. The article
// fields searched are title, summary and text; `title:` restricts to the title. Phrases and NEAR
// never span two fields.
//
// Index: each topic is posted under the terms one of which every matching article contains
// (a conjunction's rarest operand by MatcherOptions::word_frequency or word length, all branches
// of a disjunction); topics with none (only negations) are checked for every article. A topic
// also keeps up to four terms it cannot match without, tested before its query is evaluated.
class Matcher {
 public:
  explicit Matcher(std::vector<TopicQuery> topics, MatcherOptions options = {});
  ~Matcher();
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // The topics `article` matches, in topic order, with the spans to highlight.
  std::vector<Match> match(const Article& article) const;
  // Same result as match(), evaluating every topic (no candidate preselection).
  std::vector<Match> match_naive(const Article& article) const;

  std::size_t topic_count() const;
  // Topics without a required term (e.g. only negations), verified for every article.
  std::size_t always_checked_count() const;

  struct Impl;  // the compiled index, defined in matcher.cc

 private:
  std::unique_ptr<Impl> m_impl;
};

struct HighlightOptions {
  std::size_t max_chars = 300;  // snippet length in code points, markers not counted
  std::string open = "«";
  std::string close = "»";
  std::string ellipsis = "…";
};

// A snippet of `text` of at most max_chars code points around the first of `spans` (byte ranges
// into `text`, sorted), with every span inside it wrapped in open/close markers. The start of
// `text` when `spans` is empty.
std::string highlight(std::string_view text, const std::vector<MatchSpan>& spans,
                      const HighlightOptions& options = {});

// highlight() on the article field holding the match's first span (the text when it has one).
std::string highlight_match(const Article& article, const Match& match,
                            const HighlightOptions& options = {});

}  // namespace newswatch::alerts
