// The topic query language: a user's query text becomes a tree of normalised terms that the
// Matcher compiles. Grammar, loosest binding first: OR, AND (also implicit between terms), NOT or a
// leading `-`, NEAR/n; then terms, `prefix*`, "phrases" with optional `~n` slop, parentheses and
// field scopes `title:`, `source:`, `lang:`. Keywords are upper case; `and`/`or` are plain words.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace newswatch::alerts {

struct QueryNode {
  enum class Kind {
    term,      // words[0]: one normalised word, stemmed at match time
    prefix,    // words[0]: normalised prefix, matched against unstemmed words
    phrase,    // words: consecutive words (distance 0), or with slop n all of them in any order
               // within words + n positions ("a b"~3: at most 3 words between a and b)
    near,      // children[0] and children[1] (term, prefix, phrase or near), in either order, with
               // at most `distance` words between them
    all,       // AND of children
    any,       // OR of children
    negation,  // NOT children[0]
    title,     // children[0] restricted to the article title
    source,    // value: article source name, normalised
    lang,      // value: primary language subtag, lower case
  };
  Kind kind = Kind::term;
  std::vector<std::string> words;
  std::string value;
  std::uint32_t distance = 0;
  std::vector<std::uint32_t> children;  // indexes into Query::nodes()
  std::uint32_t column = 1;             // 1-based code point column where the node starts
};

// A parsed query. Plain value; nodes() holds the tree with the root at root_index().
class Query {
 public:
  Query() = default;
  Query(std::string text, std::vector<QueryNode> nodes, std::uint32_t root)
      : m_text(std::move(text)), m_nodes(std::move(nodes)), m_root(root) {}

  const std::string& text() const { return m_text; }
  const std::vector<QueryNode>& nodes() const { return m_nodes; }
  std::uint32_t root_index() const { return m_root; }
  const QueryNode& root() const { return m_nodes[m_root]; }

  // One-line canonical form, stable for tests and logs:
  // `AND(OR(sanktion, "putin kim"~5), NOT(title:sport*), NEAR/3(a, b), source:dpa, lang:de)`.
  std::string canonical() const;
  // The canonical form of the subtree at `index`.
  std::string canonical(std::uint32_t index) const;

 private:
  std::string m_text;
  std::vector<QueryNode> m_nodes;
  std::uint32_t m_root = 0;
};

// Largest phrase slop or NEAR distance accepted.
inline constexpr std::uint32_t k_max_query_distance = 100;

// Parses `text`. On failure returns Error{invalid_argument, "column N: ..."} where N is the 1-based
// code point column of the offending token (one past the end for a query that ends too early).
Result<Query> parse_query(std::string_view text);

}  // namespace newswatch::alerts
