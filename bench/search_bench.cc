// Search and ingest benchmark: stores N generated articles through Store::put_article (dedup,
// postings, one WriteBatch each), reopens the store (near-duplicate index rebuild), then times
// Store::search for 1-3 word queries against a full-scan baseline measured in the same run.
//
//   search_bench [--articles=100000] [--queries=300] [--baseline-queries=5] [--seed=7]
//                [--db=DIR] [--keep] [--secondary]
//
// Without --db the database goes to a temporary directory that is removed at the end.
// --articles=0 --db=DIR searches an existing database (e.g. ingest_bench --sustained --keep=DIR);
// --secondary opens it as the CLI does, as a read-only secondary instance.
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include <unordered_set>
#include <vector>

#include "bench/bench_args.h"
#include "bench/synthetic_news.h"
#include "storage/analyzer.h"
#include "storage/store.h"

namespace {

using namespace newswatch;
using bench::arg_flag;
using bench::arg_long;
using bench::arg_str;
using bench::percentile;
using bench::status_mib;
using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

double micros(Steady::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// Generated stories and queries on the same vocabulary (bench/synthetic_news.h).
class Corpus {
 public:
  explicit Corpus(std::uint64_t seed) : m_text(seed), m_rng(m_text.rng()) {}

  Article article(size_t n) {
    const auto& topic = m_text.random_topic();
    Article a;
    a.url = "https://site" + std::to_string(n % 50) + ".example/news/" + std::to_string(n);
    a.source = "source" + std::to_string(n % 50);
    a.language = "en";
    a.fetched = TimePoint(std::chrono::seconds(1'780'000'000 + static_cast<std::int64_t>(n) * 30));
    a.published = a.fetched;
    a.title = m_text.sentence(topic, 6 + m_rng() % 6);
    // Lengths of news bodies: 150-1000 words, most around 400.
    const size_t words = 150 + static_cast<size_t>(std::min(
                                   850.0, std::exponential_distribution<>(1.0 / 300)(m_rng)));
    a.text = m_text.body(topic, words);
    return a;
  }

  // A query of `terms` words: topic names and words, and mid-frequency vocabulary.
  std::string query(size_t terms) {
    const auto& topic = m_text.random_topic();
    std::string q;
    for (size_t i = 0; i < terms; ++i) {
      const auto pick = m_rng() % 3;
      const std::string w = pick == 0   ? topic.names[m_rng() % topic.names.size()]
                            : pick == 1 ? topic.words[m_rng() % topic.words.size()]
                                        : m_text.word(200 + m_rng() % 5000);
      q += (q.empty() ? "" : " ") + w;
    }
    return q;
  }

 private:
  bench::SyntheticNews m_text;
  std::mt19937_64& m_rng;
};

std::unique_ptr<storage::Store> open(const std::string& path, bool secondary = false) {
  storage::StoreOptions o;
  o.path = path;
  if (secondary) o.access = storage::StoreOptions::Access::read_only;
  auto s = storage::Store::open(o);
  if (!s) {
    std::fprintf(stderr, "open: %s\n", s.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(*s);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t articles = static_cast<size_t>(arg_long(argc, argv, "--articles", 100000));
  const size_t queries = static_cast<size_t>(arg_long(argc, argv, "--queries", 300));
  const size_t baseline_queries =
      static_cast<size_t>(arg_long(argc, argv, "--baseline-queries", 5));
  const auto seed = static_cast<std::uint64_t>(arg_long(argc, argv, "--seed", 7));
  std::string db = arg_str(argc, argv, "--db");
  const bool keep = arg_flag(argc, argv, "--keep");
  const bool secondary = arg_flag(argc, argv, "--secondary");
  const bool temp = db.empty();
  if (temp)
    db = (fs::temp_directory_path() / ("search_bench_" + std::to_string(getpid()))).string();

  Corpus corpus(seed);
  std::printf("search_bench: %zu articles, db %s\n", articles, db.c_str());
  if (articles > 0) {
    auto store = open(db);
    std::vector<double> put_us;
    put_us.reserve(articles);
    size_t duplicates = 0;
    Steady::duration total{};
    for (size_t n = 0; n < articles; ++n) {
      Article a = corpus.article(n);
      const auto t0 = Steady::now();
      auto outcome = store->put_article(a, {});
      const auto d = Steady::now() - t0;
      total += d;
      put_us.push_back(micros(d));
      if (!outcome) {
        std::fprintf(stderr, "put: %s\n", outcome.error().to_string().c_str());
        return 1;
      }
      if (!outcome->stored) ++duplicates;
      if ((n + 1) % 20000 == 0) std::fprintf(stderr, "  %zu stored\n", n + 1);
    }
    std::printf(
        "ingest (put_article: dedup + postings + batch write, 1 thread): %.0f articles/s; "
        "put p50 %.0f us, p99 %.0f us; %zu judged duplicates\n",
        static_cast<double>(articles) / std::chrono::duration<double>(total).count(),
        percentile(put_us, 0.5), percentile(put_us, 0.99), duplicates);
  }
  const auto t_open = Steady::now();
  auto store = open(db, secondary);
  const double open_ms = micros(Steady::now() - t_open) / 1000;
  auto stats = store->stats();
  std::printf(
      "reopen (%s): %.0f ms; near index %llu entries, "
      "%.1f MiB; disk %.1f MiB = %.0f bytes/article; RSS %.0f MiB\n",
      secondary ? "secondary, as the CLI" : "incl. near-duplicate index rebuild", open_ms,
      static_cast<unsigned long long>(stats->near_index_entries),
      static_cast<double>(stats->near_index_bytes) / 1048576.0,
      static_cast<double>(stats->disk_bytes) / 1048576.0,
      static_cast<double>(stats->disk_bytes) / static_cast<double>(stats->articles),
      status_mib("VmRSS"));

  for (size_t terms = 1; terms <= 3; ++terms) {
    std::vector<double> lat;
    size_t hits = 0;
    for (size_t i = 0; i < queries; ++i) {
      storage::SearchQuery q;
      q.text = corpus.query(terms);
      q.limit = 20;
      const auto t0 = Steady::now();
      auto r = store->search(q);
      lat.push_back(micros(Steady::now() - t0) / 1000);
      if (!r) {
        std::fprintf(stderr, "search: %s\n", r.error().to_string().c_str());
        return 1;
      }
      hits += r->size();
    }
    // Baseline: read every article and test the query words on its tokens (no stemming, no
    // ranking, so a lower bound for what a scan-based search would cost).
    std::vector<double> scan;
    for (size_t i = 0; i < baseline_queries; ++i) {
      const std::string text = corpus.query(terms);
      std::vector<std::string> words;
      for (const auto& t : storage::tokenize(text)) words.push_back(t.norm);
      size_t found = 0;
      const auto t0 = Steady::now();
      const auto st = store->scan_articles([&](const Article& a) {
        std::unordered_set<std::string> seen;
        for (const auto& t : storage::tokenize(a.title)) seen.insert(t.norm);
        for (const auto& t : storage::tokenize(a.text)) seen.insert(t.norm);
        found += std::all_of(words.begin(), words.end(),
                             [&](const std::string& w) { return seen.count(w) > 0; });
        return true;
      });
      scan.push_back(micros(Steady::now() - t0) / 1000);
      if (!st.ok()) return 1;
    }
    const double p50 = percentile(lat, 0.5), base = percentile(scan, 0.5);
    std::printf(
        "%zu-term queries: search p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (%zu queries, "
        "%.1f hits avg); full scan p50 %.0f ms (%zu queries); scan/search %.0fx\n",
        terms, p50, percentile(lat, 0.9), percentile(lat, 0.99), queries,
        static_cast<double>(hits) / static_cast<double>(queries), base, scan.size(),
        base / std::max(p50, 1e-9));
  }
  std::printf("RSS after the queries %.0f MiB (peak %.0f MiB)\n", status_mib("VmRSS"),
              status_mib("VmHWM"));
  store.reset();
  if (temp && !keep) {
    std::error_code ec;
    fs::remove_all(db, ec);
  }
  return 0;
}
