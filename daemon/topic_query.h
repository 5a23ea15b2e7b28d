// The bridge from the daemon to the alert engine's query language: validation at config load and
// the set of topics matched against each new article.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/article.h"
#include "daemon/config.h"

namespace newswatch::daemon {

// Returns a message (with the 1-based column of the problem) when `query` does not parse.
std::optional<std::string> validate_topic_query(const std::string& query);

struct TopicHit {
  std::string topic;
  std::string snippet;  // excerpt around the match, for the alert
};

// Matches articles against every configured topic. Immutable after construction, so one
// instance may be used from any number of threads; SIGHUP builds a new one.
class TopicMatcher {
 public:
  explicit TopicMatcher(const std::vector<TopicConfig>& topics);
  ~TopicMatcher();
  std::vector<TopicHit> match(const Article& article) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace newswatch::daemon
