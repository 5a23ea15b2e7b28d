// Topic query parser and matcher. Input: "query\narticle title\narticle text".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alerts/matcher.h"
#include "alerts/query.h"

namespace a = newswatch::alerts;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto first = text.find('\n');
  std::string_view query_text = text.substr(0, first);
  auto query = a::parse_query(query_text);
  if (!query) return 0;
  // Parsing is deterministic (the canonical form is a log format, not query syntax).
  auto again = a::parse_query(query_text);
  if (!again || again->canonical() != query->canonical()) std::abort();

  newswatch::Article article;
  article.source = "dpa";
  if (first != std::string_view::npos) {
    std::string_view rest = text.substr(first + 1);
    const auto second = rest.find('\n');
    article.title = std::string(rest.substr(0, second));
    if (second != std::string_view::npos) article.text = std::string(rest.substr(second + 1));
  }
  std::vector<a::TopicQuery> topics;
  topics.push_back({"t", std::move(*query)});
  a::Matcher matcher(std::move(topics));
  const auto indexed = matcher.match(article);
  const auto naive = matcher.match_naive(article);
  // The index is an optimisation: it never changes the result.
  if (indexed.size() != naive.size()) std::abort();
  for (const auto& match : indexed) (void)a::highlight_match(article, match);
  return 0;
}
