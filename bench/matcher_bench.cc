// Topic matching at scale (issue 7): 10,000 and 100,000 generated topics against one 1,000-word
// article, the percolator-style Matcher::match() against the naive baseline match_naive() (every
// topic verified) in the same run. Targets: 10k <= 1 ms, 100k <= 5 ms median on one core.
//
// Vocabulary: 30,000 generated German-like words with Zipf(1.0) frequencies. The article draws
// 1,000 words from that distribution. Topics draw their words from the same distribution minus the
// 150 most frequent words (people do not alert on "und"): 1-4 terms ANDed, some with a phrase, an
// OR group, a NOT, a prefix or a NEAR. The matcher gets the words' article frequencies, as the
// daemon could from its store; the "NoFreq" variants show the length heuristic alone, the
// "Selective" ones topics of rarer words (skipping the 2,000 most frequent), which match less,
// the "Infix" ones CompoundMode::german_infix.
//
// Counters: indexed_ms and naive_ms are medians of 21 calls each (thread CPU time), speedup =
// naive/indexed, matches = topics matched, always = topics verified for every article.
// BM_AnalyzeOnly measures the shared fixed cost: analysing the article once.
// Run: build/bench/matcher_bench --benchmark_filter='BM_(MatchIndexed|AnalyzeOnly)'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "alerts/matcher.h"

namespace {

using newswatch::Article;
using newswatch::alerts::Matcher;
using newswatch::alerts::MatcherOptions;
using newswatch::alerts::TopicQuery;

constexpr std::size_t k_vocabulary = 30000;
constexpr std::size_t k_article_words = 1000;
constexpr std::size_t k_skip_frequent = 150;
constexpr std::size_t k_skip_selective = 2000;

class Corpus {
 public:
  // Topic words skip the `skip` most frequent words of the vocabulary.
  explicit Corpus(std::size_t skip = k_skip_frequent) : m_rng(42), m_skip(skip) {
    const char* syllables[] = {"ka",    "lo", "mien",  "ter", "schaft", "ung",  "ber", "ra",
                               "ti",    "on", "ge",    "sel", "wald",   "dorf", "ni",  "mar",
                               "stein", "ko", "vel",   "rus", "sank",   "pol",  "lit", "han",
                               "del",   "zu", "brech", "fen", "ost",    "wes",  "nor", "sud"};
    std::uniform_int_distribution<int> syllable(0, static_cast<int>(std::size(syllables)) - 1);
    std::uniform_int_distribution<int> count(1, 4);
    std::set<std::string> seen;
    while (m_words.size() < k_vocabulary) {
      std::string w;
      for (int i = count(m_rng); i > 0; --i) w += syllables[syllable(m_rng)];
      if (w.size() >= 2 && seen.insert(w).second) m_words.push_back(w);
    }
    double total = 0;
    for (std::size_t r = 1; r <= k_vocabulary; ++r) total += 1.0 / static_cast<double>(r);
    double cumulative = 0;
    for (std::size_t r = 1; r <= k_vocabulary; ++r) {
      const double p = 1.0 / static_cast<double>(r) / total;
      cumulative += p;
      m_cdf.push_back(cumulative);
      // Probability that an article of k_article_words words contains the word.
      m_frequency[m_words[r - 1]] = 1.0 - std::pow(1.0 - p, static_cast<double>(k_article_words));
    }
  }

  std::size_t zipf_rank(std::size_t skip) {
    for (;;) {
      const double u = std::uniform_real_distribution<double>(0, 1)(m_rng);
      const auto r =
          static_cast<std::size_t>(std::lower_bound(m_cdf.begin(), m_cdf.end(), u) - m_cdf.begin());
      if (r >= skip && r < m_words.size()) return r;
    }
  }
  const std::string& word(std::size_t skip = 0) { return m_words[zipf_rank(skip)]; }
  const std::string& topic_word() { return word(m_skip); }

  Article article() {
    Article a;
    a.language = "de";
    a.source = "bench";
    for (int i = 0; i < 12; ++i) a.title += (i ? " " : "") + word();
    for (std::size_t i = 0; i < k_article_words; ++i) {
      a.text += word();
      a.text += (i % 17 == 16) ? ". " : " ";
      if (i % 120 == 119) a.text += "\n\n";
    }
    return a;
  }

  std::string topic() {
    std::uniform_int_distribution<int> percent(0, 99);
    std::uniform_int_distribution<int> terms(1, 4);
    std::string q;
    auto add = [&](const std::string& part) { q += (q.empty() ? "" : " ") + part; };
    const int n = terms(m_rng);
    for (int i = 0; i < n; ++i) add(topic_word());
    const int extra = percent(m_rng);
    if (extra < 15) {
      add("\"" + topic_word() + " " + topic_word() + "\"");
    } else if (extra < 30) {
      add("(" + topic_word() + " OR " + topic_word() + " OR " + topic_word() + ")");
    } else if (extra < 40) {
      add("-" + word());
    } else if (extra < 43) {
      add(topic_word().substr(0, 5) + "*");
    } else if (extra < 47) {
      add(topic_word() + " NEAR/5 " + topic_word());
    } else if (extra < 50) {
      add("title:" + topic_word());
    }
    return q;
  }

  std::vector<TopicQuery> topics(std::size_t count) {
    std::vector<TopicQuery> out;
    out.reserve(count);
    while (out.size() < count) {
      auto q = newswatch::alerts::parse_query(topic());
      if (q) out.push_back(TopicQuery{"topic" + std::to_string(out.size()), std::move(*q)});
    }
    return out;
  }

  const std::map<std::string, double>& frequency() const { return m_frequency; }

 private:
  std::mt19937_64 m_rng;
  std::size_t m_skip;
  std::vector<std::string> m_words;
  std::vector<double> m_cdf;
  std::map<std::string, double> m_frequency;
};

struct Fixture {
  Article article;
  std::unique_ptr<Matcher> matcher;
};

using newswatch::storage::CompoundMode;

Fixture& fixture(std::size_t topics, bool with_frequency, std::size_t skip = k_skip_frequent,
                 CompoundMode compounds = CompoundMode::german) {
  static std::map<std::tuple<std::size_t, bool, std::size_t, CompoundMode>, Fixture> cache;
  auto [it, inserted] = cache.try_emplace({topics, with_frequency, skip, compounds});
  if (inserted) {
    Corpus corpus(skip);
    MatcherOptions options;
    options.analyzer.compounds = compounds;
    if (with_frequency) {
      options.word_frequency.insert(corpus.frequency().begin(), corpus.frequency().end());
    }
    it->second.article = corpus.article();
    it->second.matcher = std::make_unique<Matcher>(corpus.topics(topics), std::move(options));
  }
  return it->second;
}

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Median thread CPU time of `runs` calls: the machine is shared, so wall time would count other
// processes' time slices.
template <typename F>
double median_ms(F&& f, int runs) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const double start = thread_cpu_ms();
    benchmark::DoNotOptimize(f());
    ms.push_back(thread_cpu_ms() - start);
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void run_indexed(benchmark::State& state, bool with_frequency, std::size_t skip = k_skip_frequent,
                 CompoundMode compounds = CompoundMode::german) {
  Fixture& f = fixture(static_cast<std::size_t>(state.range(0)), with_frequency, skip, compounds);
  std::size_t matches = 0;
  for (auto _ : state) {
    auto result = f.matcher->match(f.article);
    matches = result.size();
    benchmark::DoNotOptimize(result);
  }
  const double indexed = median_ms([&] { return f.matcher->match(f.article); }, 21);
  const double naive = median_ms([&] { return f.matcher->match_naive(f.article); }, 21);
  if (f.matcher->match(f.article).size() != f.matcher->match_naive(f.article).size()) {
    state.SkipWithError("indexed and naive results differ");
  }
  state.counters["indexed_ms"] = indexed;
  state.counters["naive_ms"] = naive;
  state.counters["speedup"] = naive / indexed;
  state.counters["matches"] = static_cast<double>(matches);
  state.counters["always"] = static_cast<double>(f.matcher->always_checked_count());
}

void BM_MatchIndexed(benchmark::State& state) { run_indexed(state, true); }

// The fixed cost both matchers share: analysing the article (one topic only).
void BM_AnalyzeOnly(benchmark::State& state) {
  Fixture& f = fixture(1, true);
  for (auto _ : state) benchmark::DoNotOptimize(f.matcher->match(f.article));
  state.counters["analyze_ms"] = median_ms([&] { return f.matcher->match(f.article); }, 21);
}

// The same for an article without a language: every configured stemmer runs on every word.
void BM_AnalyzeOnlyNoLanguage(benchmark::State& state) {
  Fixture& f = fixture(1, true);
  Article article = f.article;
  article.language.clear();
  for (auto _ : state) benchmark::DoNotOptimize(f.matcher->match(article));
  state.counters["analyze_ms"] = median_ms([&] { return f.matcher->match(article); }, 21);
}
void BM_MatchIndexedNoFreq(benchmark::State& state) { run_indexed(state, false); }
// German compounds matched by middle components too.
void BM_MatchIndexedInfix(benchmark::State& state) {
  run_indexed(state, true, k_skip_frequent, CompoundMode::german_infix);
}
// Topics of rarer words (skipping the 2,000 most frequent): far fewer matches per article.
void BM_MatchIndexedSelective(benchmark::State& state) {
  run_indexed(state, true, k_skip_selective);
}

void BM_MatchNaive(benchmark::State& state) {
  Fixture& f = fixture(static_cast<std::size_t>(state.range(0)), true);
  for (auto _ : state) benchmark::DoNotOptimize(f.matcher->match_naive(f.article));
}

BENCHMARK(BM_MatchIndexed)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_MatchIndexedNoFreq)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
// Compiling the topics, as at start and on every config reload.
void BM_Build(benchmark::State& state) {
  Corpus corpus;
  const std::vector<TopicQuery> topics = corpus.topics(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    MatcherOptions options;
    options.word_frequency.insert(corpus.frequency().begin(), corpus.frequency().end());
    Matcher matcher(topics, std::move(options));
    benchmark::DoNotOptimize(matcher.topic_count());
  }
}

BENCHMARK(BM_Build)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_AnalyzeOnly)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_AnalyzeOnlyNoLanguage)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_MatchIndexedInfix)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_MatchIndexedSelective)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_MatchNaive)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

}  // namespace

BENCHMARK_MAIN();
