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

// Returns a message ("column N: ...") when `query` does not parse.
std::optional<std::string> validate_topic_query(const std::string& query);

struct TopicHit {
  std::string topic;
  std::vector<std::string> terms;  // the query terms that matched, canonical form
  std::string snippet;             // excerpt around the match, matched words in «»
};

// Matches articles against every configured topic (alerts::Matcher, percolator-style).
// Immutable after construction, so one instance may be used from any number of threads; SIGHUP
// builds a new one. Topics whose query does not parse (config validation rejects them) are
// skipped.
class TopicMatcher {
 public:
  TopicMatcher(const std::vector<TopicConfig>& topics, const MatchingConfig& matching = {});
  ~TopicMatcher();
  TopicMatcher(const TopicMatcher&) = delete;
  TopicMatcher& operator=(const TopicMatcher&) = delete;

  std::vector<TopicHit> match(const Article& article) const;
  std::size_t topic_count() const;
  // Whether `article`'s date lies further back than matching.max_age at `now`: its matches are
  // recorded but alert no one. Undated articles and articles dated in the future are never old.
  bool too_old_to_alert(const Article& article, TimePoint now) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace newswatch::daemon
