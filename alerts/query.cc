#include "alerts/query.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

#include "storage/analyzer.h"

namespace newswatch::alerts {
namespace {

enum class Tok { end, lparen, rparen, phrase, word, op_and, op_or, op_not, minus, near, field };

struct Token {
  Tok kind = Tok::end;
  std::string text;          // word or phrase content, field name
  std::uint32_t number = 0;  // phrase slop, NEAR distance
  std::size_t offset = 0;    // byte offset in the query
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool is_word_char(char c) { return !is_space(c) && c != '(' && c != ')' && c != '"'; }

bool is_ascii_letters(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : m_text(text) {}

  Result<Query> run() {
    if (!advance()) return m_error;
    if (m_tok.kind == Tok::end) return fail(m_tok.offset, "empty query");
    std::optional<std::uint32_t> root = parse_or();
    if (!root) return m_error;
    if (m_tok.kind != Tok::end) {
      return fail(m_tok.offset, m_tok.kind == Tok::rparen ? "unbalanced ')'" : "unexpected token");
    }
    return Query(std::string(m_text), std::move(m_nodes), *root);
  }

 private:
  // Columns are asked for in mostly increasing offsets: continue from the last answer.
  std::uint32_t column(std::size_t offset) {
    offset = std::min(offset, m_text.size());
    if (offset < m_column_offset) {
      m_column_offset = 0;
      m_column = 1;
    }
    for (; m_column_offset < offset; ++m_column_offset) {
      if ((static_cast<unsigned char>(m_text[m_column_offset]) & 0xC0) != 0x80) ++m_column;
    }
    return m_column;
  }

  Error fail(std::size_t offset, const std::string& message) {
    m_error = Error{ErrorCode::invalid_argument,
                    "column " + std::to_string(column(offset)) + ": " + message};
    return m_error;
  }

  // Reads a decimal distance at m_pos; fails when absent or too large.
  bool read_distance(std::size_t at, std::uint32_t& out) {
    std::size_t end = m_pos;
    while (end < m_text.size() && m_text[end] >= '0' && m_text[end] <= '9') ++end;
    if (end == m_pos) {
      fail(at, "expected a distance (a number) here");
      return false;
    }
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(m_text.data() + m_pos, m_text.data() + end, value);
    (void)ptr;
    if (ec != std::errc() || value > k_max_query_distance) {
      fail(m_pos, "distance must be at most " + std::to_string(k_max_query_distance));
      return false;
    }
    out = static_cast<std::uint32_t>(value);
    m_pos = end;
    return true;
  }

  bool advance() {
    while (m_pos < m_text.size() && is_space(m_text[m_pos])) ++m_pos;
    m_tok = Token{};
    m_tok.offset = m_pos;
    if (m_pos >= m_text.size()) return true;
    const char c = m_text[m_pos];
    if (c == '(' || c == ')') {
      m_tok.kind = c == '(' ? Tok::lparen : Tok::rparen;
      ++m_pos;
      return true;
    }
    if (c == '"') {
      const std::size_t close = m_text.find('"', m_pos + 1);
      if (close == std::string_view::npos) {
        fail(m_pos, "unterminated phrase");
        return false;
      }
      m_tok.kind = Tok::phrase;
      m_tok.text = std::string(m_text.substr(m_pos + 1, close - m_pos - 1));
      m_pos = close + 1;
      if (m_pos < m_text.size() && m_text[m_pos] == '~') {
        const std::size_t tilde = m_pos++;
        if (!read_distance(tilde, m_tok.number)) return false;
      }
      return true;
    }
    if (c == '-') {
      // `-term`, `-"phrase"` and `-(group)` negate; a lone `-` is an error.
      const char next = m_pos + 1 < m_text.size() ? m_text[m_pos + 1] : ' ';
      if ((is_word_char(next) && next != '-') || next == '"' || next == '(') {
        m_tok.kind = Tok::minus;
        ++m_pos;
        return true;
      }
      fail(m_pos, "'-' must be followed by a term");
      return false;
    }
    std::size_t end = m_pos;
    while (end < m_text.size() && is_word_char(m_text[end])) ++end;
    std::string_view word = m_text.substr(m_pos, end - m_pos);
    if (word == "AND" || word == "OR" || word == "NOT") {
      m_tok.kind = word == "AND" ? Tok::op_and : word == "OR" ? Tok::op_or : Tok::op_not;
      m_pos = end;
      return true;
    }
    if (word == "NEAR") {
      m_tok.kind = Tok::near;
      m_tok.number = 10;
      m_pos = end;
      return true;
    }
    if (word.substr(0, 5) == "NEAR/") {
      m_tok.kind = Tok::near;
      m_pos += 5;
      if (!read_distance(m_tok.offset, m_tok.number)) return false;
      if (m_pos != end) {
        fail(m_pos, "unexpected characters after NEAR/n");
        return false;
      }
      return true;
    }
    const std::size_t colon = word.find(':');
    if (colon != std::string_view::npos && colon > 0) {
      const std::string name = lower_ascii(word.substr(0, colon));
      if (name == "title" || name == "source" || name == "lang") {
        m_tok.kind = Tok::field;
        m_tok.text = name;
        m_pos += colon + 1;
        if (m_pos >= m_text.size() || is_space(m_text[m_pos])) {
          fail(m_pos, "expected a value after '" + name + ":'");
          return false;
        }
        return true;
      }
      if (is_ascii_letters(word.substr(0, colon))) {
        fail(m_pos, "unknown field '" + std::string(word.substr(0, colon)) +
                        "' (fields are title:, source:, lang:)");
        return false;
      }
    }
    m_tok.kind = Tok::word;
    m_tok.text = std::string(word);
    m_pos = end;
    return true;
  }

  std::uint32_t add(QueryNode node) {
    m_nodes.push_back(std::move(node));
    return static_cast<std::uint32_t>(m_nodes.size() - 1);
  }

  // Builds an AND/OR node, splicing children of the same kind so the tree stays flat.
  std::uint32_t combine(QueryNode::Kind kind, const std::vector<std::uint32_t>& parts,
                        std::uint32_t column_value) {
    if (parts.size() == 1) return parts[0];
    QueryNode node;
    node.kind = kind;
    node.column = column_value;
    for (std::uint32_t part : parts) {
      if (m_nodes[part].kind == kind) {
        const std::vector<std::uint32_t> nested = m_nodes[part].children;
        node.children.insert(node.children.end(), nested.begin(), nested.end());
      } else {
        node.children.push_back(part);
      }
    }
    return add(std::move(node));
  }

  bool starts_operand() const {
    switch (m_tok.kind) {
      case Tok::lparen:
      case Tok::phrase:
      case Tok::word:
      case Tok::op_not:
      case Tok::minus:
      case Tok::field: return true;
      default: return false;
    }
  }

  std::optional<std::uint32_t> parse_or() {
    const std::uint32_t col = column(m_tok.offset);
    std::vector<std::uint32_t> parts;
    std::optional<std::uint32_t> first = parse_and();
    if (!first) return std::nullopt;
    parts.push_back(*first);
    while (m_tok.kind == Tok::op_or) {
      if (!advance()) return std::nullopt;
      std::optional<std::uint32_t> next = parse_and();
      if (!next) return std::nullopt;
      parts.push_back(*next);
    }
    return combine(QueryNode::Kind::any, parts, col);
  }

  std::optional<std::uint32_t> parse_and() {
    const std::uint32_t col = column(m_tok.offset);
    std::vector<std::uint32_t> parts;
    std::optional<std::uint32_t> first = parse_unary();
    if (!first) return std::nullopt;
    parts.push_back(*first);
    for (;;) {
      if (m_tok.kind == Tok::op_and) {
        if (!advance()) return std::nullopt;
      } else if (!starts_operand()) {
        break;
      }
      std::optional<std::uint32_t> next = parse_unary();
      if (!next) return std::nullopt;
      parts.push_back(*next);
    }
    return combine(QueryNode::Kind::all, parts, col);
  }

  // Every nesting (parentheses, NOT, title:) passes through here: bound the recursion.
  std::optional<std::uint32_t> parse_unary() {
    if (m_depth >= k_max_depth) {
      fail(m_tok.offset, "query nested deeper than " + std::to_string(k_max_depth) + " levels");
      return std::nullopt;
    }
    ++m_depth;
    std::optional<std::uint32_t> result = parse_unary_nested();
    --m_depth;
    return result;
  }

  std::optional<std::uint32_t> parse_unary_nested() {
    if (m_tok.kind == Tok::op_not || m_tok.kind == Tok::minus) {
      QueryNode node;
      node.kind = QueryNode::Kind::negation;
      node.column = column(m_tok.offset);
      if (!advance()) return std::nullopt;
      std::optional<std::uint32_t> child = parse_unary();
      if (!child) return std::nullopt;
      node.children.push_back(*child);
      return add(std::move(node));
    }
    return parse_near();
  }

  static bool is_span_kind(QueryNode::Kind kind) {
    return kind == QueryNode::Kind::term || kind == QueryNode::Kind::prefix ||
           kind == QueryNode::Kind::phrase || kind == QueryNode::Kind::near;
  }

  std::optional<std::uint32_t> parse_near() {
    const std::size_t start = m_tok.offset;
    std::optional<std::uint32_t> left = parse_primary();
    if (!left) return std::nullopt;
    while (m_tok.kind == Tok::near) {
      const Token op = m_tok;
      if (!is_span_kind(m_nodes[*left].kind)) {
        fail(start, "NEAR needs a term or phrase on its left");
        return std::nullopt;
      }
      if (!advance()) return std::nullopt;
      const std::size_t right_start = m_tok.offset;
      std::optional<std::uint32_t> right = parse_primary();
      if (!right) return std::nullopt;
      if (!is_span_kind(m_nodes[*right].kind)) {
        fail(right_start, "NEAR needs a term or phrase on its right");
        return std::nullopt;
      }
      QueryNode node;
      node.kind = QueryNode::Kind::near;
      node.distance = op.number;
      node.column = column(start);
      node.children = {*left, *right};
      left = add(std::move(node));
    }
    return left;
  }

  std::optional<std::uint32_t> parse_primary() {
    const Token tok = m_tok;
    switch (tok.kind) {
      case Tok::lparen: {
        if (!advance()) return std::nullopt;
        if (m_tok.kind == Tok::rparen) {
          fail(m_tok.offset, "empty parentheses");
          return std::nullopt;
        }
        std::optional<std::uint32_t> inner = parse_or();
        if (!inner) return std::nullopt;
        if (m_tok.kind != Tok::rparen) {
          fail(m_tok.offset, m_tok.kind == Tok::end ? "missing ')' for '(' at column " +
                                                          std::to_string(column(tok.offset))
                                                    : "expected ')'");
          return std::nullopt;
        }
        if (!advance()) return std::nullopt;
        return inner;
      }
      case Tok::field: {
        if (!advance()) return std::nullopt;
        if (tok.text == "title") {
          const bool negated = m_tok.kind == Tok::minus || m_tok.kind == Tok::op_not;
          if (m_depth >= k_max_depth) {
            fail(m_tok.offset,
                 "query nested deeper than " + std::to_string(k_max_depth) + " levels");
            return std::nullopt;
          }
          ++m_depth;
          std::optional<std::uint32_t> child = negated ? parse_unary() : parse_primary();
          --m_depth;
          if (!child) return std::nullopt;
          QueryNode node;
          node.kind = QueryNode::Kind::title;
          node.column = column(tok.offset);
          node.children.push_back(*child);
          return add(std::move(node));
        }
        if (m_tok.kind != Tok::word && m_tok.kind != Tok::phrase) {
          fail(m_tok.offset, "'" + tok.text + ":' takes a name");
          return std::nullopt;
        }
        QueryNode node;
        node.kind = tok.text == "source" ? QueryNode::Kind::source : QueryNode::Kind::lang;
        node.column = column(tok.offset);
        node.value = tok.text == "source"
                         ? storage::normalize(m_tok.text)
                         : lower_ascii(m_tok.text.substr(0, m_tok.text.find_first_of("-_")));
        if (node.value.empty()) {
          fail(m_tok.offset, "'" + tok.text + ":' takes a name");
          return std::nullopt;
        }
        if (!advance()) return std::nullopt;
        return add(std::move(node));
      }
      case Tok::phrase: {
        std::vector<storage::Token> words = storage::tokenize(tok.text);
        if (words.empty()) {
          fail(tok.offset, "phrase has no words");
          return std::nullopt;
        }
        QueryNode node;
        node.column = column(tok.offset);
        node.kind = words.size() == 1 ? QueryNode::Kind::term : QueryNode::Kind::phrase;
        node.distance = words.size() == 1 ? 0 : tok.number;
        for (storage::Token& w : words) node.words.push_back(std::move(w.norm));
        if (!advance()) return std::nullopt;
        return add(std::move(node));
      }
      case Tok::word: {
        std::string_view word = tok.text;
        const std::size_t star = word.find('*');
        QueryNode node;
        node.column = column(tok.offset);
        if (star != std::string_view::npos) {
          if (star + 1 != word.size()) {
            fail(tok.offset + star, "'*' is only allowed at the end of a term");
            return std::nullopt;
          }
          std::vector<storage::Token> words = storage::tokenize(word.substr(0, star));
          if (words.size() != 1 || words[0].end != star) {
            fail(tok.offset, words.empty() ? "prefix has no letters or digits"
                                           : "a prefix must be a single word");
            return std::nullopt;
          }
          node.kind = QueryNode::Kind::prefix;
          node.words.push_back(std::move(words[0].norm));
        } else {
          std::vector<storage::Token> words = storage::tokenize(word);
          if (words.empty()) {
            fail(tok.offset, "'" + tok.text + "' has no letters or digits");
            return std::nullopt;
          }
          // "Kim-Jong-un" is several words: they must stand together.
          node.kind = words.size() == 1 ? QueryNode::Kind::term : QueryNode::Kind::phrase;
          for (storage::Token& w : words) node.words.push_back(std::move(w.norm));
        }
        if (!advance()) return std::nullopt;
        return add(std::move(node));
      }
      case Tok::end: fail(tok.offset, "unexpected end of query, expected a term"); break;
      case Tok::rparen: fail(tok.offset, "unexpected ')', expected a term"); break;
      case Tok::op_and:
      case Tok::op_or:
      case Tok::near: fail(tok.offset, "expected a term before this operator"); break;
      default: fail(tok.offset, "expected a term"); break;
    }
    return std::nullopt;
  }

  static constexpr int k_max_depth = 100;

  std::string_view m_text;
  std::size_t m_pos = 0;
  int m_depth = 0;
  std::size_t m_column_offset = 0;
  std::uint32_t m_column = 1;
  Token m_tok;
  std::vector<QueryNode> m_nodes;
  Error m_error;
};

std::string quoted_if_needed(const std::string& value) {
  for (char c : value) {
    if (is_space(c) || c == '(' || c == ')' || c == ':') return "\"" + value + "\"";
  }
  return value;
}

}  // namespace

std::string Query::canonical() const { return m_nodes.empty() ? std::string() : canonical(m_root); }

std::string Query::canonical(std::uint32_t index) const {
  const QueryNode& node = m_nodes[index];
  auto list = [&](const char* name) {
    std::string out = name;
    out += '(';
    for (std::size_t i = 0; i < node.children.size(); ++i) {
      if (i > 0) out += ", ";
      out += canonical(node.children[i]);
    }
    return out + ')';
  };
  switch (node.kind) {
    case QueryNode::Kind::term: return node.words[0];
    case QueryNode::Kind::prefix: return node.words[0] + '*';
    case QueryNode::Kind::phrase: {
      std::string out = "\"";
      for (std::size_t i = 0; i < node.words.size(); ++i) {
        if (i > 0) out += ' ';
        out += node.words[i];
      }
      out += '"';
      if (node.distance > 0) out += '~' + std::to_string(node.distance);
      return out;
    }
    case QueryNode::Kind::near:
      return "NEAR/" + std::to_string(node.distance) + "(" + canonical(node.children[0]) + ", " +
             canonical(node.children[1]) + ")";
    case QueryNode::Kind::all: return list("AND");
    case QueryNode::Kind::any: return list("OR");
    case QueryNode::Kind::negation: return list("NOT");
    case QueryNode::Kind::title: return "title:" + canonical(node.children[0]);
    case QueryNode::Kind::source: return "source:" + quoted_if_needed(node.value);
    case QueryNode::Kind::lang: return "lang:" + node.value;
  }
  return {};
}

Result<Query> parse_query(std::string_view text) { return Parser(text).run(); }

}  // namespace newswatch::alerts
