// What the storage benchmarks share (ingest_bench, search_bench): a generated news vocabulary and
// its sentences, percentiles and /proc/self/status readings (options: bench/bench_args.h).
// Header-only, bench/ only.
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

namespace newswatch::bench {

// English function words, then 50,000 syllable words with Zipf frequencies (rank^-1.07); 2,000
// topics, each favouring 30 mid-frequency words and 6 capitalised names.
class SyntheticNews {
 public:
  struct Topic {
    std::vector<std::string> words, names;
  };

  explicit SyntheticNews(std::uint64_t seed) : m_rng(seed) {
    for (const char* w :
         {"the", "of",   "and",  "to",    "a",    "in",    "that",  "is",  "for",  "on",
          "was", "with", "said", "he",    "it",   "as",    "at",    "by",  "from", "his",
          "be",  "have", "has",  "are",   "but",  "not",   "they",  "an",  "this", "had",
          "who", "were", "will", "their", "been", "would", "which", "she", "after"}) {
      m_vocab.emplace_back(w);
    }
    const char* syl[] = {"ka",  "lo",  "men", "tra", "vi",   "sor", "pe",  "dan", "ru",  "ist",
                         "ber", "gon", "al",  "ne",  "tik",  "mar", "so",  "lin", "chu", "ver",
                         "en",  "ta",  "dro", "mi",  "ster", "pol", "ung", "ex",  "ri",  "bal"};
    std::unordered_set<std::string> seen(m_vocab.begin(), m_vocab.end());
    while (m_vocab.size() < 50000) {
      std::string w;
      const int n = 2 + static_cast<int>(m_rng() % 3);
      for (int i = 0; i < n; ++i) w += syl[m_rng() % std::size(syl)];
      if (seen.insert(w).second) m_vocab.push_back(w);
    }
    double sum = 0;
    for (size_t r = 0; r < m_vocab.size(); ++r) {
      sum += 1.0 / std::pow(static_cast<double>(r + 1), 1.07);
      m_cdf.push_back(sum);
    }
    for (double& c : m_cdf) c /= sum;
    for (int t = 0; t < 2000; ++t) {
      Topic topic;
      for (int i = 0; i < 30; ++i) topic.words.push_back(m_vocab[300 + m_rng() % 10000]);
      for (int i = 0; i < 6; ++i) {
        std::string name = m_vocab[1000 + m_rng() % 40000];
        name[0] = static_cast<char>(name[0] - 'a' + 'A');
        topic.names.push_back(name);
      }
      m_topics.push_back(std::move(topic));
    }
  }

  std::mt19937_64& rng() { return m_rng; }
  const Topic& random_topic() { return m_topics[m_rng() % m_topics.size()]; }
  // The word of frequency rank `rank` (0 = "the").
  const std::string& word(size_t rank) const { return m_vocab[std::min(rank, m_vocab.size() - 1)]; }

  // `n` words, capitalised first: 10 % the topic's words, 4 % its names, the rest by frequency.
  std::string sentence(const Topic& topic, size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) {
      const auto u = m_rng() % 100;
      std::string w = u < 10   ? topic.words[m_rng() % topic.words.size()]
                      : u < 14 ? topic.names[m_rng() % topic.names.size()]
                               : zipf();
      if (i == 0) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
      s += (i ? " " : "") + w;
    }
    return s + ".";
  }

  // Sentences of 8-27 words, a paragraph break before a quarter of them, until `words` words.
  std::string body(const Topic& topic, size_t words) {
    std::string text;
    size_t done = 0;
    while (done < words) {
      const size_t s = 8 + m_rng() % 20;
      if (!text.empty()) text += (m_rng() % 4 == 0) ? "\n\n" : " ";
      text += sentence(topic, s);
      done += s;
    }
    return text;
  }

 private:
  std::string zipf() {
    const double u = std::uniform_real_distribution<>(0, 1)(m_rng);
    const auto r =
        static_cast<size_t>(std::lower_bound(m_cdf.begin(), m_cdf.end(), u) - m_cdf.begin());
    return word(r);
  }

  std::mt19937_64 m_rng;
  std::vector<std::string> m_vocab;
  std::vector<double> m_cdf;
  std::vector<Topic> m_topics;
};

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// A field of /proc/self/status in MiB ("VmRSS", "VmHWM"), 0 when unreadable.
inline double status_mib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atof(line.c_str() + field.size() + 1) / 1024;
  }
  return 0;
}

}  // namespace newswatch::bench
