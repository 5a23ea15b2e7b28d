#include "daemon/topic_query.h"

#include "alerts/matcher.h"
#include "alerts/query.h"

namespace newswatch::daemon {

std::optional<std::string> validate_topic_query(const std::string& query) {
  auto parsed = alerts::parse_query(query);
  if (!parsed) return parsed.error().message;
  return std::nullopt;
}

struct TopicMatcher::Impl {
  explicit Impl(std::vector<alerts::TopicQuery> topics, alerts::MatcherOptions options)
      : matcher(std::move(topics), std::move(options)) {}
  alerts::Matcher matcher;
  std::chrono::milliseconds max_age{0};
};

TopicMatcher::TopicMatcher(const std::vector<TopicConfig>& topics, const MatchingConfig& matching) {
  std::vector<alerts::TopicQuery> queries;
  queries.reserve(topics.size());
  for (const auto& t : topics) {
    auto parsed = alerts::parse_query(t.query);
    if (parsed) queries.push_back({t.name, std::move(*parsed)});
  }
  alerts::MatcherOptions options;
  options.analyzer.languages = matching.languages;
  options.analyzer.synonyms = matching.synonyms;
  options.analyzer.compounds =
      matching.compounds ? storage::CompoundMode::german : storage::CompoundMode::off;
  m_impl = std::make_unique<Impl>(std::move(queries), std::move(options));
  m_impl->max_age = matching.max_age;
}

TopicMatcher::~TopicMatcher() = default;

std::size_t TopicMatcher::topic_count() const { return m_impl->matcher.topic_count(); }

std::vector<TopicHit> TopicMatcher::match(const Article& article) const {
  std::vector<TopicHit> hits;
  for (auto& m : m_impl->matcher.match(article)) {
    TopicHit hit;
    hit.topic = m.topic;
    hit.snippet = alerts::highlight_match(article, m);
    hit.terms = std::move(m.terms);
    hits.push_back(std::move(hit));
  }
  return hits;
}

bool TopicMatcher::too_old_to_alert(const Article& article, TimePoint now) const {
  if (m_impl->max_age.count() <= 0) return false;
  std::optional<TimePoint> dated = article.published;
  if (article.modified && (!dated || *article.modified > *dated)) dated = article.modified;
  return dated && *dated + m_impl->max_age < now;
}

}  // namespace newswatch::daemon
