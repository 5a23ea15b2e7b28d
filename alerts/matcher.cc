#include "alerts/matcher.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <span>
#include <utility>

namespace newswatch::alerts {
namespace {

// Positions of consecutive fields are this far apart, more than any phrase slop or NEAR distance,
// so neither can join words of two fields.
constexpr std::uint32_t k_field_gap = 4 * k_max_query_distance + 16;
// The position recorded for source:/lang: hits; never highlighted.
constexpr std::uint32_t k_meta_position = std::numeric_limits<std::uint32_t>::max();

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// String -> term ids, open addressing with linear probing and cached hashes: probing the stems
// and compound parts of every article word is the matcher's hottest loop, and std::unordered_map
// pays a division and a node hop per probe.
class KeyTable {
 public:
  // The term ids stored under `key`, or nullptr.
  const std::vector<std::uint32_t>* find(std::string_view key) const {
    if (m_slots.empty()) return nullptr;
    const std::uint64_t h = hash(key);
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
      const Slot& slot = m_slots[i];
      if (slot.index == 0) return nullptr;
      if (slot.hash == h && m_keys[slot.index - 1] == key) return &m_values[slot.index - 1];
    }
  }

  // The term ids under `key`, inserting an empty list first when absent.
  std::vector<std::uint32_t>& operator[](std::string_view key) {
    if ((m_keys.size() + 1) * 2 > m_slots.size()) grow();
    const std::uint64_t h = hash(key);
    const std::size_t mask = m_slots.size() - 1;
    std::size_t i = static_cast<std::size_t>(h) & mask;
    for (;; i = (i + 1) & mask) {
      Slot& slot = m_slots[i];
      if (slot.index == 0) break;
      if (slot.hash == h && m_keys[slot.index - 1] == key) return m_values[slot.index - 1];
    }
    m_keys.emplace_back(key);
    m_values.emplace_back();
    m_slots[i] = Slot{h, static_cast<std::uint32_t>(m_keys.size())};
    return m_values.back();
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t index = 0;  // 1-based into m_keys/m_values; 0 marks an empty slot
  };

  static std::uint64_t hash(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, then a final mix for the low bits
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
    h ^= h >> 32;
    h *= 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
  }

  void grow() {
    std::vector<Slot> old = std::move(m_slots);
    m_slots.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    const std::size_t mask = m_slots.size() - 1;
    for (const Slot& slot : old) {
      if (slot.index == 0) continue;
      std::size_t i = static_cast<std::size_t>(slot.hash) & mask;
      while (m_slots[i].index != 0) i = (i + 1) & mask;
      m_slots[i] = slot;
    }
  }

  std::vector<Slot> m_slots;
  std::vector<std::string> m_keys;
  std::vector<std::vector<std::uint32_t>> m_values;
};

enum class TermKind : std::uint8_t { word, prefix, source, lang };

struct TermInfo {
  TermKind kind = TermKind::word;
  std::string text;
};

struct CompiledNode {
  QueryNode::Kind kind = QueryNode::Kind::term;
  std::uint32_t distance = 0;
  std::vector<std::uint32_t> terms;     // term ids: one for leaves, one per word for phrases
  std::vector<std::uint32_t> children;  // indexes into Impl::nodes
  std::string label;                    // canonical form of a leaf, for Match::terms
};

struct Topic {
  std::string name;
  std::uint32_t root = 0;
};

struct Span {
  std::uint32_t start;
  std::uint32_t end;
};

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string language_tag(std::string_view lang) {
  std::string out(lang.substr(0, lang.find_first_of("-_")));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

struct Matcher::Impl {
  explicit Impl(MatcherOptions options)
      : analyzer(std::move(options.analyzer)),
        word_frequency(options.word_frequency.begin(), options.word_frequency.end()) {}

  storage::Analyzer analyzer;
  StringMap<double> word_frequency;
  std::vector<TermInfo> terms;
  StringMap<std::uint32_t> word_ids;
  StringMap<std::uint32_t> prefix_ids;
  StringMap<std::uint32_t> source_ids;
  StringMap<std::uint32_t> lang_ids;
  KeyTable key_terms;                       // analyzer key -> word term ids
  std::vector<std::size_t> prefix_lengths;  // distinct byte lengths of prefix terms
  std::vector<CompiledNode> nodes;
  std::vector<Topic> topics;
  std::vector<std::vector<std::uint32_t>> postings;  // term id -> topics anchored on it
  std::vector<std::uint32_t> always;                 // topics without an anchor
  // Per topic, up to k_max_required terms every match contains, checked before verification.
  std::vector<std::vector<std::uint32_t>> required;
  static constexpr std::size_t k_max_required = 4;
  // A bit per hash of (first bytes, length) of every key, so most compound parts of an article's
  // words are rejected without a hash-table probe.
  std::vector<std::uint64_t> part_filter = std::vector<std::uint64_t>(k_part_filter_bits / 64, 0);
  static constexpr std::size_t k_part_filter_bits = std::size_t{1} << 20;

  static std::size_t part_bit(std::string_view part) {
    std::uint32_t head = 0;
    for (std::size_t i = 0; i < part.size() && i < 4; ++i) {
      head = (head << 8) | static_cast<unsigned char>(part[i]);
    }
    const std::uint64_t h =
        (std::uint64_t{head} * 0x9E3779B97F4A7C15ULL) ^ (part.size() * 0xC2B2AE3D27D4EB4FULL);
    return static_cast<std::size_t>((h >> 29) & (k_part_filter_bits - 1));
  }
  bool may_be_part(std::string_view part) const {
    const std::size_t bit = part_bit(part);
    return (part_filter[bit / 64] >> (bit % 64)) & 1U;
  }

  std::uint32_t intern(TermKind kind, const std::string& text) {
    StringMap<std::uint32_t>& ids = kind == TermKind::word     ? word_ids
                                    : kind == TermKind::prefix ? prefix_ids
                                    : kind == TermKind::source ? source_ids
                                                               : lang_ids;
    auto [it, inserted] = ids.try_emplace(text, static_cast<std::uint32_t>(terms.size()));
    if (!inserted) return it->second;
    terms.push_back(TermInfo{kind, text});
    postings.emplace_back();
    if (kind == TermKind::word) {
      for (std::string& key : analyzer.query_keys(text)) {
        const std::size_t bit = part_bit(key);
        part_filter[bit / 64] |= std::uint64_t{1} << (bit % 64);
        key_terms[key].push_back(it->second);
      }
    } else if (kind == TermKind::prefix) {
      if (std::find(prefix_lengths.begin(), prefix_lengths.end(), text.size()) ==
          prefix_lengths.end()) {
        prefix_lengths.push_back(text.size());
      }
    }
    return it->second;
  }

  std::uint32_t compile(const Query& query, std::uint32_t index) {
    const QueryNode& q = query.nodes()[index];
    CompiledNode node;
    node.kind = q.kind;
    node.distance = q.distance;
    switch (q.kind) {
      case QueryNode::Kind::term: node.terms.push_back(intern(TermKind::word, q.words[0])); break;
      case QueryNode::Kind::prefix:
        node.terms.push_back(intern(TermKind::prefix, q.words[0]));
        break;
      case QueryNode::Kind::phrase:
        for (const std::string& w : q.words) node.terms.push_back(intern(TermKind::word, w));
        break;
      case QueryNode::Kind::source: node.terms.push_back(intern(TermKind::source, q.value)); break;
      case QueryNode::Kind::lang: node.terms.push_back(intern(TermKind::lang, q.value)); break;
      default:
        for (std::uint32_t child : q.children) node.children.push_back(compile(query, child));
        break;
    }
    if (node.children.empty()) node.label = query.canonical(index);
    nodes.push_back(std::move(node));
    return static_cast<std::uint32_t>(nodes.size() - 1);
  }

  // Estimated probability that an article contains term `id`.
  double term_cost(std::uint32_t id) const {
    const TermInfo& t = terms[id];
    const double cps = static_cast<double>(std::max<std::size_t>(code_points(t.text), 1));
    switch (t.kind) {
      case TermKind::word: {
        if (auto it = word_frequency.find(t.text); it != word_frequency.end()) return it->second;
        return std::min(1.0, 2.0 / (cps * cps));
      }
      case TermKind::prefix: return std::min(1.0, 12.0 / (cps * cps));
      case TermKind::source: return 0.3;
      case TermKind::lang: return 0.6;
    }
    return 1.0;
  }

  // Terms that occur in every article node `index` matches.
  void required_terms(std::uint32_t index, std::vector<std::uint32_t>& out) const {
    const CompiledNode& node = nodes[index];
    switch (node.kind) {
      case QueryNode::Kind::any:
      case QueryNode::Kind::negation: return;
      case QueryNode::Kind::near:
      case QueryNode::Kind::all:
      case QueryNode::Kind::title:
        for (std::uint32_t child : node.children) required_terms(child, out);
        return;
      default: out.insert(out.end(), node.terms.begin(), node.terms.end()); return;
    }
  }

  struct Anchor {
    bool ok = false;
    std::vector<std::uint32_t> terms;
    double cost = 0;
  };

  // Terms of which at least one occurs in every article the node matches, cheapest choice.
  Anchor anchor(std::uint32_t index) const {
    const CompiledNode& node = nodes[index];
    Anchor result;
    switch (node.kind) {
      case QueryNode::Kind::term:
      case QueryNode::Kind::prefix:
      case QueryNode::Kind::phrase:
      case QueryNode::Kind::source:
      case QueryNode::Kind::lang: {
        for (std::uint32_t t : node.terms) {
          const double cost = term_cost(t);
          if (!result.ok || cost < result.cost) result = Anchor{true, {t}, cost};
        }
        return result;
      }
      case QueryNode::Kind::near:
      case QueryNode::Kind::all: {
        for (std::uint32_t child : node.children) {
          Anchor a = anchor(child);
          if (a.ok && (!result.ok || a.cost < result.cost)) result = std::move(a);
        }
        return result;
      }
      case QueryNode::Kind::any: {
        result.ok = true;
        for (std::uint32_t child : node.children) {
          Anchor a = anchor(child);
          if (!a.ok) return Anchor{};
          result.terms.insert(result.terms.end(), a.terms.begin(), a.terms.end());
          result.cost += a.cost;
        }
        return result;
      }
      case QueryNode::Kind::title: return anchor(node.children[0]);
      case QueryNode::Kind::negation: return result;
    }
    return result;
  }
};

namespace {

// The analysed article: for each term id that occurs, its sorted positions.
class DocView {
 public:
  DocView(const Matcher::Impl& impl, const Article& article) : m_impl(impl) {
    std::string_view texts[3] = {article.title, article.summary, article.text};
    std::uint32_t base = 0;
    for (int f = 0; f < 3; ++f) {
      m_tokens[f] = storage::tokenize(texts[f]);
      m_base[f] = base;
      base += static_cast<std::uint32_t>(m_tokens[f].size()) + k_field_gap;
    }
    // Group the tokens by word (counting sort by first occurrence) so each distinct word is
    // analysed once.
    std::unordered_map<std::string_view, std::uint32_t> word_ids;
    word_ids.reserve(m_tokens[2].size() + 64);
    std::vector<std::string_view> words;
    std::vector<std::uint32_t> token_word;
    std::vector<std::uint32_t> token_position;
    for (int f = 0; f < 3; ++f) {
      for (const storage::Token& token : m_tokens[f]) {
        auto [it, inserted] =
            word_ids.try_emplace(token.norm, static_cast<std::uint32_t>(words.size()));
        if (inserted) words.push_back(token.norm);
        token_word.push_back(it->second);
        token_position.push_back(m_base[f] + token.position);
      }
    }
    std::vector<std::uint32_t> word_offsets(words.size() + 1, 0);
    for (std::uint32_t w : token_word) ++word_offsets[w + 1];
    for (std::size_t i = 1; i < word_offsets.size(); ++i) word_offsets[i] += word_offsets[i - 1];
    std::vector<std::uint32_t> word_positions(token_word.size());
    {
      std::vector<std::uint32_t> fill(word_offsets.begin(), word_offsets.end() - 1);
      for (std::size_t t = 0; t < token_word.size(); ++t) {
        word_positions[fill[token_word[t]]++] = token_position[t];
      }
    }

    const bool compounds = impl.analyzer.decompounds(article.language);
    const storage::AnalyzerOptions& aopt = impl.analyzer.options();
    const std::size_t compound_min = aopt.min_compound_part + aopt.min_compound_rest;
    std::vector<std::string> keys;
    std::string german;
    for (std::size_t w = 0; w < words.size(); ++w) {
      const std::string_view word = words[w];
      const std::span<const std::uint32_t> positions(word_positions.data() + word_offsets[w],
                                                     word_offsets[w + 1] - word_offsets[w]);
      keys.clear();
      german.clear();
      impl.analyzer.word_keys(word, article.language, keys, &german);
      for (const std::string& key : keys) add_key(key, positions);
      if (compounds && word.size() >= compound_min && code_points(word) >= compound_min) {
        for (std::string_view part : impl.analyzer.compound_parts(german)) {
          if (impl.may_be_part(part)) add_key(part, positions);
        }
      }
      for (std::size_t len : impl.prefix_lengths) {
        if (len > word.size()) continue;
        if (auto it = impl.prefix_ids.find(word.substr(0, len)); it != impl.prefix_ids.end()) {
          add(it->second, positions);
        }
      }
    }
    if (!impl.source_ids.empty()) {
      if (auto it = impl.source_ids.find(storage::normalize(article.source));
          it != impl.source_ids.end()) {
        m_hits.emplace_back(it->second, k_meta_position);
      }
    }
    if (auto it = impl.lang_ids.find(language_tag(article.language)); it != impl.lang_ids.end()) {
      m_hits.emplace_back(it->second, k_meta_position);
    }

    // Counting sort of the hits by term; each term's positions then sorted and deduplicated
    // (a term reached through two words or two keys).
    m_slot.assign(impl.terms.size(), k_absent);
    std::vector<std::uint32_t> counts;
    for (const auto& [term, position] : m_hits) {
      if (m_slot[term] == k_absent) {
        m_slot[term] = static_cast<std::uint32_t>(m_terms.size());
        m_terms.push_back(term);
        counts.push_back(0);
      }
      ++counts[m_slot[term]];
    }
    m_offsets.assign(m_terms.size() + 1, 0);
    for (std::size_t i = 0; i < counts.size(); ++i) m_offsets[i + 1] = m_offsets[i] + counts[i];
    m_positions.resize(m_hits.size());
    {
      std::vector<std::uint32_t> fill(m_offsets.begin(), m_offsets.end() - 1);
      for (const auto& [term, position] : m_hits) m_positions[fill[m_slot[term]]++] = position;
    }
    std::uint32_t out = 0;
    for (std::size_t i = 0; i < m_terms.size(); ++i) {
      auto first = m_positions.begin() + m_offsets[i];
      auto last = m_positions.begin() + m_offsets[i + 1];
      if (!std::is_sorted(first, last)) std::sort(first, last);
      last = std::unique(first, last);
      m_offsets[i] = out;
      for (auto it = first; it != last; ++it) m_positions[out++] = *it;
    }
    m_offsets.back() = out;
    m_positions.resize(out);
    m_hits.clear();
    m_hits.shrink_to_fit();
  }

  const std::vector<std::uint32_t>& terms() const { return m_terms; }
  bool has(std::uint32_t term) const { return m_slot[term] != k_absent; }

  // Sorted positions of `term`, only those in the title when `title_only`.
  std::span<const std::uint32_t> positions(std::uint32_t term, bool title_only) const {
    const std::uint32_t i = m_slot[term];
    if (i == k_absent) return {};
    std::span<const std::uint32_t> all(m_positions.data() + m_offsets[i],
                                       m_offsets[i + 1] - m_offsets[i]);
    if (!title_only || m_impl.terms[term].kind == TermKind::source ||
        m_impl.terms[term].kind == TermKind::lang) {
      return all;
    }
    const auto title_end = static_cast<std::uint32_t>(m_tokens[0].size());
    return all.first(static_cast<std::size_t>(std::lower_bound(all.begin(), all.end(), title_end) -
                                              all.begin()));
  }

  // The field and byte range of the word at `position`; false for meta positions.
  bool locate(std::uint32_t position, MatchSpan& out) const {
    for (int f = 2; f >= 0; --f) {
      if (position >= m_base[f] && position - m_base[f] < m_tokens[f].size()) {
        const storage::Token& token = m_tokens[f][position - m_base[f]];
        out = MatchSpan{static_cast<MatchField>(f), token.begin, token.end};
        return true;
      }
    }
    return false;
  }

 private:
  void add(std::uint32_t term, std::span<const std::uint32_t> positions) {
    for (std::uint32_t p : positions) m_hits.emplace_back(term, p);
  }
  void add_key(std::string_view key, std::span<const std::uint32_t> positions) {
    if (const std::vector<std::uint32_t>* terms = m_impl.key_terms.find(key)) {
      for (std::uint32_t term : *terms) add(term, positions);
    }
  }

  const Matcher::Impl& m_impl;
  std::vector<storage::Token> m_tokens[3];
  std::uint32_t m_base[3] = {0, 0, 0};
  std::vector<std::pair<std::uint32_t, std::uint32_t>> m_hits;
  static constexpr std::uint32_t k_absent = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> m_slot;  // term id -> index into m_terms, or k_absent
  std::vector<std::uint32_t> m_terms;
  std::vector<std::uint32_t> m_offsets;
  std::vector<std::uint32_t> m_positions;
};

class Evaluator {
 public:
  Evaluator(const Matcher::Impl& impl, const DocView& doc) : m_impl(impl), m_doc(doc) {}

  bool eval(std::uint32_t index, bool title_only) const {
    const CompiledNode& node = m_impl.nodes[index];
    switch (node.kind) {
      case QueryNode::Kind::term:
      case QueryNode::Kind::prefix:
      case QueryNode::Kind::source:
      case QueryNode::Kind::lang: return !m_doc.positions(node.terms[0], title_only).empty();
      case QueryNode::Kind::phrase:
      case QueryNode::Kind::near: {
        std::vector<Span> found;
        spans(index, title_only, found, true);
        return !found.empty();
      }
      case QueryNode::Kind::all:
        return std::all_of(node.children.begin(), node.children.end(),
                           [&](std::uint32_t c) { return eval(c, title_only); });
      case QueryNode::Kind::any:
        return std::any_of(node.children.begin(), node.children.end(),
                           [&](std::uint32_t c) { return eval(c, title_only); });
      case QueryNode::Kind::negation: return !eval(node.children[0], title_only);
      case QueryNode::Kind::title: return eval(node.children[0], true);
    }
    return false;
  }

  // Appends the word ranges where the span node `index` matches; stops at the first when `first`.
  void spans(std::uint32_t index, bool title_only, std::vector<Span>& out, bool first) const {
    const CompiledNode& node = m_impl.nodes[index];
    if (node.kind == QueryNode::Kind::term || node.kind == QueryNode::Kind::prefix) {
      for (std::uint32_t p : m_doc.positions(node.terms[0], title_only)) {
        out.push_back(Span{p, p});
        if (first) return;
      }
    } else if (node.kind == QueryNode::Kind::phrase && node.distance == 0) {
      exact_phrase(node, title_only, out, first);
    } else if (node.kind == QueryNode::Kind::phrase) {
      sloppy_phrase(node, title_only, out, first);
    } else if (node.kind == QueryNode::Kind::near) {
      std::vector<Span> left;
      std::vector<Span> right;
      spans(node.children[0], title_only, left, false);
      if (left.empty()) return;
      spans(node.children[1], title_only, right, false);
      for (const Span& a : left) {
        for (const Span& b : right) {
          const std::int64_t gap = std::max(std::int64_t{b.start} - std::int64_t{a.end},
                                            std::int64_t{a.start} - std::int64_t{b.end});
          // NEAR/n allows n words between: positions n + 1 apart.
          if (gap <= static_cast<std::int64_t>(node.distance) + 1) {
            out.push_back(Span{std::min(a.start, b.start), std::max(a.end, b.end)});
            if (first) return;
          }
        }
      }
    }
  }

  // Adds the positions and labels of the leaves that made node `index` match.
  // REQUIRES: eval(index, title_only).
  void collect(std::uint32_t index, bool title_only, std::vector<std::uint32_t>& positions,
               std::vector<std::string>& labels) const {
    const CompiledNode& node = m_impl.nodes[index];
    switch (node.kind) {
      case QueryNode::Kind::term:
      case QueryNode::Kind::prefix:
      case QueryNode::Kind::source:
      case QueryNode::Kind::lang: {
        std::span<const std::uint32_t> ps = m_doc.positions(node.terms[0], title_only);
        if (ps.empty()) return;
        labels.push_back(node.label);
        for (std::uint32_t p : ps) {
          if (p != k_meta_position) positions.push_back(p);
        }
        return;
      }
      case QueryNode::Kind::phrase:
      case QueryNode::Kind::near: {
        std::vector<Span> found;
        spans(index, title_only, found, false);
        if (found.empty()) return;
        std::vector<std::uint32_t> leaves;
        leaf_terms(index, leaves, labels);
        for (const Span& s : found) {
          for (std::uint32_t p = s.start; p <= s.end; ++p) {
            const bool is_leaf = std::any_of(leaves.begin(), leaves.end(), [&](std::uint32_t t) {
              std::span<const std::uint32_t> ps = m_doc.positions(t, title_only);
              return std::binary_search(ps.begin(), ps.end(), p);
            });
            if (is_leaf) positions.push_back(p);
          }
        }
        return;
      }
      case QueryNode::Kind::all:  // called only when the node matched, so every child did
        for (std::uint32_t child : node.children) collect(child, title_only, positions, labels);
        return;
      case QueryNode::Kind::any:
        for (std::uint32_t child : node.children) {
          if (eval(child, title_only)) collect(child, title_only, positions, labels);
        }
        return;
      case QueryNode::Kind::title: collect(node.children[0], true, positions, labels); return;
      case QueryNode::Kind::negation: return;
    }
  }

 private:
  void leaf_terms(std::uint32_t index, std::vector<std::uint32_t>& out,
                  std::vector<std::string>& labels) const {
    const CompiledNode& node = m_impl.nodes[index];
    if (node.kind == QueryNode::Kind::near) {
      for (std::uint32_t child : node.children) leaf_terms(child, out, labels);
      return;
    }
    labels.push_back(node.label);
    out.insert(out.end(), node.terms.begin(), node.terms.end());
  }

  void exact_phrase(const CompiledNode& node, bool title_only, std::vector<Span>& out,
                    bool first) const {
    for (std::uint32_t t : node.terms) {
      if (m_doc.positions(t, title_only).empty()) return;
    }
    const std::size_t n = node.terms.size();
    for (std::uint32_t p : m_doc.positions(node.terms[0], title_only)) {
      bool ok = true;
      for (std::size_t i = 1; i < n && ok; ++i) {
        std::span<const std::uint32_t> ps = m_doc.positions(node.terms[i], title_only);
        ok = std::binary_search(ps.begin(), ps.end(), p + static_cast<std::uint32_t>(i));
      }
      if (ok) {
        out.push_back(Span{p, p + static_cast<std::uint32_t>(n - 1)});
        if (first) return;
      }
    }
  }

  // All words of the phrase, in any order, within a window of (words - 1 + slop) positions; a
  // word repeated in the phrase needs to occur only once.
  void sloppy_phrase(const CompiledNode& node, bool title_only, std::vector<Span>& out,
                     bool first) const {
    std::vector<std::uint32_t> distinct(node.terms);
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    std::vector<std::pair<std::uint32_t, std::uint32_t>> merged;  // (position, distinct index)
    for (std::uint32_t i = 0; i < distinct.size(); ++i) {
      std::span<const std::uint32_t> ps = m_doc.positions(distinct[i], title_only);
      if (ps.empty()) return;
      for (std::uint32_t p : ps) merged.emplace_back(p, i);
    }
    std::sort(merged.begin(), merged.end());
    const auto width = static_cast<std::uint32_t>(node.terms.size() - 1) + node.distance;
    std::vector<std::uint32_t> count(distinct.size(), 0);
    std::size_t covered = 0;
    std::size_t left = 0;
    for (std::size_t right = 0; right < merged.size(); ++right) {
      if (count[merged[right].second]++ == 0) ++covered;
      while (covered == distinct.size()) {
        // [left, right] covers every word; it is minimal once left can't move.
        if (count[merged[left].second] == 1) {
          if (merged[right].first - merged[left].first <= width) {
            out.push_back(Span{merged[left].first, merged[right].first});
            if (first) return;
          }
          if (--count[merged[left].second] == 0) --covered;
          ++left;
          break;
        }
        --count[merged[left].second];
        ++left;
      }
    }
  }

  const Matcher::Impl& m_impl;
  const DocView& m_doc;
};

Match make_match(const Matcher::Impl& impl, const DocView& doc, const Evaluator& evaluator,
                 std::uint32_t topic) {
  Match match;
  match.topic = impl.topics[topic].name;
  match.topic_index = topic;
  std::vector<std::uint32_t> positions;
  evaluator.collect(impl.topics[topic].root, false, positions, match.terms);
  std::sort(match.terms.begin(), match.terms.end());
  match.terms.erase(std::unique(match.terms.begin(), match.terms.end()), match.terms.end());
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  for (std::uint32_t p : positions) {
    MatchSpan span;
    if (doc.locate(p, span)) match.spans.push_back(span);
  }
  return match;
}

}  // namespace

Matcher::Matcher(std::vector<TopicQuery> topics, MatcherOptions options)
    : m_impl(std::make_unique<Impl>(std::move(options))) {
  Impl& impl = *m_impl;
  impl.topics.reserve(topics.size());
  for (TopicQuery& topic : topics) {
    const auto id = static_cast<std::uint32_t>(impl.topics.size());
    Topic compiled{std::move(topic.name), 0};
    if (topic.query.nodes().empty()) {  // a default-constructed Query matches nothing
      CompiledNode node;
      node.kind = QueryNode::Kind::any;
      impl.nodes.push_back(node);
      compiled.root = static_cast<std::uint32_t>(impl.nodes.size() - 1);
      impl.topics.push_back(std::move(compiled));
      impl.required.emplace_back();
      continue;
    }
    compiled.root = impl.compile(topic.query, topic.query.root_index());
    impl.topics.push_back(std::move(compiled));
    std::vector<std::uint32_t> required;
    impl.required_terms(impl.topics.back().root, required);
    std::sort(required.begin(), required.end());
    required.erase(std::unique(required.begin(), required.end()), required.end());
    std::stable_sort(required.begin(), required.end(), [&](std::uint32_t a, std::uint32_t b) {
      return impl.term_cost(a) < impl.term_cost(b);
    });
    if (required.size() > Impl::k_max_required) required.resize(Impl::k_max_required);
    impl.required.push_back(std::move(required));
    Impl::Anchor a = impl.anchor(impl.topics.back().root);
    if (!a.ok) {
      impl.always.push_back(id);
      continue;
    }
    std::sort(a.terms.begin(), a.terms.end());
    a.terms.erase(std::unique(a.terms.begin(), a.terms.end()), a.terms.end());
    for (std::uint32_t t : a.terms) impl.postings[t].push_back(id);
  }
}

Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;

std::size_t Matcher::topic_count() const { return m_impl->topics.size(); }
std::size_t Matcher::always_checked_count() const { return m_impl->always.size(); }

std::vector<Match> Matcher::match(const Article& article) const {
  const Impl& impl = *m_impl;
  const DocView doc(impl, article);
  std::vector<std::uint32_t> candidates(impl.always);
  std::vector<std::uint8_t> seen(impl.topics.size(), 0);
  for (std::uint32_t term : doc.terms()) {
    for (std::uint32_t topic : impl.postings[term]) {
      if (seen[topic] != 0) continue;
      seen[topic] = 1;
      const std::vector<std::uint32_t>& required = impl.required[topic];
      if (std::all_of(required.begin(), required.end(),
                      [&](std::uint32_t t) { return doc.has(t); })) {
        candidates.push_back(topic);
      }
    }
  }
  std::sort(candidates.begin(), candidates.end());
  const Evaluator evaluator(impl, doc);
  std::vector<Match> matches;
  for (std::uint32_t topic : candidates) {
    if (evaluator.eval(impl.topics[topic].root, false)) {
      matches.push_back(make_match(impl, doc, evaluator, topic));
    }
  }
  return matches;
}

std::vector<Match> Matcher::match_naive(const Article& article) const {
  const Impl& impl = *m_impl;
  const DocView doc(impl, article);
  const Evaluator evaluator(impl, doc);
  std::vector<Match> matches;
  for (std::uint32_t topic = 0; topic < impl.topics.size(); ++topic) {
    if (evaluator.eval(impl.topics[topic].root, false)) {
      matches.push_back(make_match(impl, doc, evaluator, topic));
    }
  }
  return matches;
}

namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Moves `count` code points forward (positive) or back (negative) from byte `at`.
std::size_t step(std::string_view text, std::size_t at, std::ptrdiff_t count) {
  while (count > 0 && at < text.size()) {
    ++at;
    while (at < text.size() && is_continuation(static_cast<unsigned char>(text[at]))) ++at;
    --count;
  }
  while (count < 0 && at > 0) {
    --at;
    while (at > 0 && is_continuation(static_cast<unsigned char>(text[at]))) --at;
    ++count;
  }
  return at;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Appends `text` with each whitespace run collapsed to one space.
void append_plain(std::string& out, std::string_view text) {
  for (char c : text) {
    if (is_space(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string highlight(std::string_view text, const std::vector<MatchSpan>& spans,
                      const HighlightOptions& options) {
  const auto max_chars = static_cast<std::ptrdiff_t>(options.max_chars);
  std::size_t start = 0;
  if (!spans.empty() && spans[0].begin < text.size()) {
    // Give the first match some context before it: a quarter of the snippet, from a word start.
    start = step(text, spans[0].begin, -max_chars / 4);
    if (start > 0) {
      const std::size_t space = text.find_first_of(" \n\t", start);
      if (space != std::string_view::npos && space < spans[0].begin) start = space + 1;
    }
  }
  std::size_t end = step(text, start, max_chars);
  if (end < text.size()) {
    const std::size_t space = text.find_last_of(" \n\t", end);
    const std::size_t min_end = spans.empty() ? start : std::min<std::size_t>(spans[0].end, end);
    if (space != std::string_view::npos && space > min_end) end = space;
  }
  std::string out;
  if (start > 0) out += options.ellipsis;
  std::size_t at = start;
  for (const MatchSpan& span : spans) {
    if (span.begin < at || span.end > end || span.begin >= span.end) continue;
    append_plain(out, text.substr(at, span.begin - at));
    out += options.open;
    out.append(text.substr(span.begin, span.end - span.begin));
    out += options.close;
    at = span.end;
  }
  append_plain(out, text.substr(at, end - at));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (end < text.size()) out += options.ellipsis;
  return out;
}

std::string highlight_match(const Article& article, const Match& match,
                            const HighlightOptions& options) {
  MatchField field = match.spans.empty() ? MatchField::text : match.spans[0].field;
  for (const MatchSpan& span : match.spans) {
    if (span.field == MatchField::text) field = MatchField::text;
  }
  std::vector<MatchSpan> spans;
  for (const MatchSpan& span : match.spans) {
    if (span.field == field) spans.push_back(span);
  }
  const std::string& text = field == MatchField::title     ? article.title
                            : field == MatchField::summary ? article.summary
                                                           : article.text;
  return highlight(text, spans, options);
}

}  // namespace newswatch::alerts
