#include "daemon/topic_query.h"

#include <algorithm>
#include <cctype>

#include "alerts/delivery.h"

namespace newswatch::daemon {
namespace {

// ASCII-lowercases; non-ASCII bytes pass through, so "Russland" and "RUSSLAND" meet.
std::string fold(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> words(const std::string& query) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : query) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '(' || c == ')') {
      if (!cur.empty()) out.push_back(fold(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(fold(cur));
  return out;
}

}  // namespace

std::optional<std::string> validate_topic_query(const std::string& query) {
  if (query.find_first_not_of(" \t\r\n") == std::string::npos) return "query is empty";
  int depth = 0;
  bool in_quote = false;
  for (size_t i = 0; i < query.size(); ++i) {
    const char c = query[i];
    if (c == '"') in_quote = !in_quote;
    if (in_quote) continue;
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) return "column " + std::to_string(i + 1) + ": unmatched ')'";
  }
  if (in_quote) return "unterminated phrase (missing '\"')";
  if (depth > 0) return "missing ')'";
  return std::nullopt;
}

struct TopicMatcher::Impl {
  struct Topic {
    std::string name;
    std::vector<std::string> terms;  // all must occur (default AND)
  };
  std::vector<Topic> topics;
};

TopicMatcher::TopicMatcher(const std::vector<TopicConfig>& topics)
    : m_impl(std::make_unique<Impl>()) {
  for (const auto& t : topics) m_impl->topics.push_back({t.name, words(t.query)});
}

TopicMatcher::~TopicMatcher() = default;

std::vector<TopicHit> TopicMatcher::match(const Article& article) const {
  const std::string haystack = fold(article.title + "\n" + article.text);
  std::vector<TopicHit> hits;
  for (const auto& t : m_impl->topics) {
    if (t.terms.empty()) continue;
    size_t first = std::string::npos;
    bool all = true;
    for (const auto& term : t.terms) {
      const size_t pos = haystack.find(term);
      if (pos == std::string::npos) {
        all = false;
        break;
      }
      first = std::min(first, pos);
    }
    if (!all) continue;
    hits.push_back({t.name, alerts::make_snippet(article.text)});
  }
  return hits;
}

}  // namespace newswatch::daemon
