#include "daemon/topic_query.h"

namespace newswatch::daemon {

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

}  // namespace newswatch::daemon
