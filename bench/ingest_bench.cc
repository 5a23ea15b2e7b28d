// Ingest benchmark (issue 6): Store::put_article end to end (URL/exact/near dedup, fingerprints,
// analysis, postings, RocksDB writes) on generated news articles, against a baseline measured in
// the same run: writing the same articles, plain-encoded, to a bare RocksDB that compresses them
// with LZ4 (storage/rocks_baseline).
//
//   ingest_bench [--articles=20000] [--runs=5] [--words=600] [--duplicates=10] [--threads=1]
//                [--batch=0] [--seed=7] [--dir=DIR]
//   ingest_bench --sustained=1000000 [--batch=64] [--threads=1] [--report=100000] [--keep=DIR]
//                [--engine-stats] [--probe=10000] [--block-cache=MIB]
//   ingest_bench --phases [--articles=20000] [--runs=5]
//   ingest_bench --purge=HOURS --db=DIR [--remember-days=30]
//
// Each run stores the same pre-generated articles into a fresh database under DIR (default: the
// temp directory) and times the puts plus the final flush_index(); open and close are outside the
// timing and reported separately. --duplicates is the percentage of articles that are copies of
// an earlier one (a third each: the same URL with tracking parameters, the same text at another
// URL, an edited copy at another URL). --threads > 1 splits the articles between threads calling
// put_article concurrently (the daemon's CPU pool); --batch=N uses put_articles with N articles per
// call. Reports the median articles/s over the runs and its ratio to the raw-put baseline.
//
// --sustained=N stores N articles into one database, generating them in chunks of 2,000 outside
// the timing (so memory stays flat), and prints per --report articles the put rate, the CPU time
// per article (all threads, background flushes and compactions included) and the process RSS;
// at the end the duplicate decision time (Store's PutOutcome::decision: URL, exact and near
// lookups) p50/p99 over the last --report articles, the RSS, and the disk bytes per stored
// article after close. --keep=DIR keeps the database there (for search_bench --db=DIR).
// --engine-stats prints RocksDB's compaction statistics per column family at the end. Then, once
// RocksDB has finished its flushes and compactions, --probe more articles (half of them copies)
// are stored one at a time by one thread: the dedup decision p50/p99 on the settled database.
// --block-cache=MIB sets StoreOptions::block_cache_bytes (default: the store's, 32 MiB).
//
// --phases times, on one thread, each stage put_article runs before RocksDB over the same
// articles: URL dedup keys, text fingerprints (exact hash + MinHash), search analysis
// (index_terms) and article encoding (with its LZ4 compression); the median per article over the
// runs, beside the store's.
//
// --purge=HOURS runs retention on the database at DIR (one kept by --sustained --keep=DIR; it is
// changed): Store::purge of the stories fetched in the first HOURS after the oldest, their URLs
// remembered for --remember-days. Prints the stories purged, the wall and CPU time, the slices
// and the longest (the longest writers wait), the URLs kept marked, then times a second purge with
// nothing left to purge, and the next open.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "bench/bench_args.h"
#include "bench/synthetic_news.h"
#include "storage/fingerprint.h"
#include "storage/records.h"
#include "storage/rocks_baseline.h"
#include "storage/search.h"
#include "storage/store.h"
#include "storage/url_canon.h"

namespace {

using namespace newswatch;
using bench::arg_flag;
using bench::arg_long;
using bench::arg_str;
using bench::percentile;
using bench::status_mib;
using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

double seconds_since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

// CPU seconds of the whole process (all threads, RocksDB's background ones included): on a
// shared machine a steadier measure than wall time.
// CPU time of the calling thread only.
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto sec = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::uintmax_t dir_bytes(const fs::path& path) {
  std::error_code ec;
  std::uintmax_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(path, ec)) {
    if (e.is_regular_file(ec)) bytes += e.file_size(ec);
  }
  return bytes;
}

// Generated stories (bench/synthetic_news.h) and the copies a fetcher meets of them.
class Corpus {
 public:
  explicit Corpus(std::uint64_t seed) : m_text(seed), m_rng(m_text.rng()) {}

  // A new story: `mean_words` body words on average (normal, sd mean/3, at least 80).
  Article story(size_t n, double mean_words) {
    const auto& topic = m_text.random_topic();
    Article a;
    a.url = "https://site" + std::to_string(n % 50) + ".example/news/2026/" + std::to_string(n) +
            "-" + m_text.word(1000 + m_rng() % 40000);
    a.source = "source" + std::to_string(n % 50);
    a.language = "en";
    a.fetched = TimePoint(std::chrono::seconds(1'780'000'000 + static_cast<std::int64_t>(n) * 3));
    a.published = a.fetched;
    a.title = m_text.sentence(topic, 6 + m_rng() % 6);
    a.summary = m_text.sentence(topic, 20 + m_rng() % 10);
    const double w = std::normal_distribution<>(mean_words, mean_words / 3)(m_rng);
    const size_t words = static_cast<size_t>(std::max(80.0, w));
    a.text = m_text.body(topic, words);
    return a;
  }

  // A copy of `original` as a fetcher would meet it; `kind` 0: same URL with tracking
  // parameters, 1: same text at another outlet, 2: another outlet's edited copy.
  Article copy(const Article& original, size_t n, int kind) {
    Article a = original;
    a.fetched = TimePoint(std::chrono::seconds(1'780'000'000 + static_cast<std::int64_t>(n) * 3));
    if (kind == 0) {
      a.url += "?utm_source=rss&utm_medium=feed";
      return a;
    }
    a.url = "https://outlet" + std::to_string(n % 20) + ".example/wire/" + std::to_string(n);
    a.source = "outlet" + std::to_string(n % 20);
    if (kind == 2) {
      a.text = "By Staff Writer. " + a.text + "\n\nCopyright the agency. All rights reserved.";
      for (int edits = 0; edits < 5; ++edits) {
        const size_t at = m_rng() % a.text.size();
        const size_t space = a.text.find(' ', at);
        if (space != std::string::npos) a.text.insert(space, " reportedly");
      }
    }
    return a;
  }

  std::uint64_t next() { return m_rng(); }

 private:
  bench::SyntheticNews m_text;
  std::mt19937_64& m_rng;
};

[[noreturn]] void die(const std::string& what, const Error& e) {
  std::fprintf(stderr, "ingest_bench: %s: %s\n", what.c_str(), e.to_string().c_str());
  std::exit(1);
}

struct RunResult {
  double put_seconds = 0;    // puts + final flush_index
  double put_cpu = 0;        // CPU seconds of the same
  double close_seconds = 0;  // destructor: buffered postings, memtable flush
  size_t stored = 0;
  size_t duplicates = 0;
  double disk_mib = 0;
};

RunResult run_store(const std::string& path, const std::vector<Article>& articles, size_t threads,
                    size_t batch) {
  storage::StoreOptions o;
  o.path = path;
  auto opened = storage::Store::open(o);
  if (!opened) die("open", opened.error());
  std::unique_ptr<storage::Store> store = std::move(*opened);
  // put_article fills in ids: every run stores fresh copies, made before the clock starts.
  // put_article is put_articles of one request, so --batch=0 stores batches of one.
  std::vector<std::vector<storage::PutRequest>> batches;
  const size_t per_call = std::max<size_t>(batch, 1);
  for (size_t begin = 0; begin < articles.size(); begin += per_call) {
    auto& b = batches.emplace_back();
    for (size_t i = begin; i < std::min(articles.size(), begin + per_call); ++i) {
      b.push_back({articles[i], {}});
    }
  }
  std::vector<size_t> stored(threads, 0), dups(threads, 0);
  const auto t0 = Steady::now();
  const double c0 = cpu_seconds();
  const auto worker = [&](size_t t) {
    for (size_t i = t; i < batches.size(); i += threads) {
      auto outcomes = store->put_articles(batches[i]);
      if (!outcomes) die("put_articles", outcomes.error());
      for (const auto& out : *outcomes) (out.stored ? stored[t] : dups[t]) += 1;
    }
  };
  if (threads == 1) {
    worker(0);
  } else {
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t) pool.emplace_back(worker, t);
    for (auto& th : pool) th.join();
  }
  if (auto st = store->flush_index(); !st.ok()) die("flush_index", st.error());
  RunResult r;
  r.put_seconds = seconds_since(t0);
  r.put_cpu = cpu_seconds() - c0;
  for (size_t t = 0; t < threads; ++t) {
    r.stored += stored[t];
    r.duplicates += dups[t];
  }
  const auto t1 = Steady::now();
  store.reset();
  r.close_seconds = seconds_since(t1);
  std::error_code ec;
  std::uintmax_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(path, ec)) {
    if (e.is_regular_file(ec)) bytes += e.file_size(ec);
  }
  r.disk_mib = static_cast<double>(bytes) / 1048576.0;
  return r;
}

// `threads` threads that live as long as the pool and run one job at a time, as the daemon's CPU
// pool does: a thread per chunk would start every chunk with empty per-thread state (the
// analyzer's word memo, which index_terms() keeps per thread, stemmed ~27,000 words again per
// thread and chunk, ~40 us per article).
class WorkerPool {
 public:
  explicit WorkerPool(size_t threads) {
    for (size_t t = 1; t < threads; ++t) m_threads.emplace_back([this, t] { loop(t); });
  }
  ~WorkerPool() {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_wake.notify_all();
    for (auto& th : m_threads) th.join();
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Calls job(t) for t = 0..threads-1, t = 0 on the calling thread, and returns when all are done.
  void run(const std::function<void(size_t)>& job) {
    {
      std::lock_guard lock(m_mutex);
      m_job = &job;
      m_pending = m_threads.size();
      ++m_round;
    }
    m_wake.notify_all();
    job(0);
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [&] { return m_pending == 0; });
    m_job = nullptr;
  }

 private:
  void loop(size_t t) {
    std::uint64_t seen = 0;
    for (;;) {
      const std::function<void(size_t)>* job = nullptr;
      {
        std::unique_lock lock(m_mutex);
        m_wake.wait(lock, [&] { return m_stop || m_round != seen; });
        if (m_stop) return;
        seen = m_round;
        job = m_job;
      }
      (*job)(t);
      std::lock_guard lock(m_mutex);
      if (--m_pending == 0) m_done.notify_one();
    }
  }

  std::mutex m_mutex;
  std::condition_variable m_wake, m_done;
  const std::function<void(size_t)>* m_job = nullptr;
  size_t m_pending = 0;
  std::uint64_t m_round = 0;
  bool m_stop = false;
  std::vector<std::thread> m_threads;
};

// --sustained: one database, `count` articles generated chunk by chunk (copies are taken from the
// last 2,000 originals, ~10 MB, so that the bench's own memory stays small), timed per put call.
int run_sustained(Corpus& corpus, size_t count, double words, long dup_percent, size_t threads,
                  size_t batch, size_t report, const fs::path& path, bool engine_stats,
                  size_t probes, size_t block_cache_mib) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::fprintf(stderr, "ingest_bench: %s exists; give a new directory\n", path.c_str());
    return 1;
  }
  storage::StoreOptions o;
  o.path = path.string();
  if (block_cache_mib > 0) o.block_cache_bytes = block_cache_mib << 20;
  auto opened = storage::Store::open(o);
  if (!opened) die("open", opened.error());
  std::unique_ptr<storage::Store> store = std::move(*opened);
  batch = std::max<size_t>(batch, 1);
  constexpr size_t kChunk = 2000;
  WorkerPool pool(threads);
  std::vector<Article> recent;  // ring of originals to copy from
  size_t recent_next = 0;
  size_t stored = 0, duplicates = 0, generated = 0;
  double window_seconds = 0, window_cpu = 0, total_seconds = 0;
  size_t window_articles = 0;
  std::vector<double> decision_us;
  std::vector<std::vector<double>> thread_decisions(threads);
  std::printf("sustained: %zu articles, %zu thread(s), put_articles batches of %zu, db %s\n", count,
              threads, batch, path.c_str());
  std::printf("%10s %12s %14s %10s %10s\n", "articles", "articles/s", "CPU us/article", "RSS MiB",
              "disk MiB");
  // RocksDB's flushes and compactions go on while this thread generates the next chunk, on the
  // core the generator leaves free: the per-window figures miss that work. The all-in figure
  // counts the whole process from here until RocksDB is idle, less the generator's own CPU.
  const double run_cpu0 = cpu_seconds();
  const auto run_t0 = Steady::now();
  double generation_cpu = 0, generation_seconds = 0;
  while (generated < count) {
    const double g0 = thread_cpu_seconds();
    const auto gt0 = Steady::now();
    std::vector<std::vector<storage::PutRequest>> batches;
    const size_t n = std::min(kChunk, count - generated);
    std::vector<storage::PutRequest> current;
    for (size_t i = 0; i < n; ++i, ++generated) {
      Article a;
      if (!recent.empty() && static_cast<long>(corpus.next() % 100) < dup_percent) {
        a = corpus.copy(recent[corpus.next() % recent.size()], generated,
                        static_cast<int>(generated % 3));
      } else {
        a = corpus.story(generated, words);
        if (recent.size() < 2000) {
          recent.push_back(a);
        } else {
          recent[recent_next++ % recent.size()] = a;
        }
      }
      current.push_back({std::move(a), {}});
      if (current.size() == batch) batches.push_back(std::move(current)), current.clear();
    }
    if (!current.empty()) batches.push_back(std::move(current));
    generation_cpu += thread_cpu_seconds() - g0;
    generation_seconds += seconds_since(gt0);
    std::vector<size_t> st(threads, 0), du(threads, 0);
    const auto t0 = Steady::now();
    const double c0 = cpu_seconds();
    const auto worker = [&](size_t t) {
      for (size_t i = t; i < batches.size(); i += threads) {
        auto outcomes = store->put_articles(batches[i]);
        if (!outcomes) die("put_articles", outcomes.error());
        for (const auto& out : *outcomes) {
          (out.stored ? st[t] : du[t]) += 1;
          thread_decisions[t].push_back(
              std::chrono::duration<double, std::micro>(out.decision).count());
        }
      }
    };
    pool.run(worker);
    const double secs = seconds_since(t0);
    window_seconds += secs;
    total_seconds += secs;
    window_cpu += cpu_seconds() - c0;
    window_articles += n;
    for (size_t t = 0; t < threads; ++t) {
      stored += st[t];
      duplicates += du[t];
    }
    // Decisions of the last `report` articles only: the figure asked for is "at N stored".
    if (generated + report > count) {
      for (auto& d : thread_decisions) decision_us.insert(decision_us.end(), d.begin(), d.end());
    }
    for (auto& d : thread_decisions) d.clear();
    if (window_articles >= report || generated == count) {
      std::printf("%10zu %12.0f %14.1f %10.0f %10.0f\n", generated,
                  static_cast<double>(window_articles) / window_seconds,
                  window_cpu / static_cast<double>(window_articles) * 1e6, status_mib("VmRSS"),
                  static_cast<double>(dir_bytes(path)) / 1048576.0);
      std::fflush(stdout);
      window_seconds = window_cpu = 0;
      window_articles = 0;
    }
  }
  if (auto s = store->flush_index(); !s.ok()) die("flush_index", s.error());
  const double rss = status_mib("VmRSS"), hwm = status_mib("VmHWM");
  // The settled database: once RocksDB has caught up, one thread stores --probe more articles
  // one at a time (half copies of recent stories), so the decision time at N stored is measured
  // without the ingest's own threads and compactions competing for the two cores.
  std::vector<double> probe_us;
  const auto settle_start = Steady::now();
  const bool settled = store->wait_for_compactions(std::chrono::minutes(2));
  const double settle_seconds = seconds_since(settle_start);
  const double all_cpu = cpu_seconds() - run_cpu0 - generation_cpu;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const double all_wall = seconds_since(run_t0) - generation_seconds;
  for (size_t i = 0; i < probes; ++i, ++generated) {
    Article a = i % 2 == 1 ? corpus.copy(recent[corpus.next() % recent.size()], generated,
                                         static_cast<int>(generated % 3))
                           : corpus.story(generated, words);
    auto outcome = store->put_article(a, {});
    if (!outcome) die("put_article", outcome.error());
    probe_us.push_back(std::chrono::duration<double, std::micro>(outcome->decision).count());
  }
  auto stats = store->stats();
  if (engine_stats) std::printf("%s", store->engine_stats().c_str());
  const auto t1 = Steady::now();
  store.reset();
  const double close_seconds = seconds_since(t1);
  const double bytes = static_cast<double>(dir_bytes(path));
  std::printf(
      "total: %zu articles in %.0f s of puts = %.0f articles/s (%zu stored, %zu duplicates)\n"
      "dedup decision over the last %zu articles: p50 %.1f us, p99 %.1f us, max %.0f us\n"
      "dedup decision on the settled database (%s after %.0f s), %zu articles one at a time: "
      "p50 %.1f us, p99 %.1f us, max %.0f us\n"
      "RSS at the end %.0f MiB (peak %.0f MiB; near-duplicate index %.0f MiB, key filters %.0f "
      "MiB)\n"
      "disk after close (%.1f s): %.0f MiB = %.0f bytes per stored article\n"
      "all-in until RocksDB is idle (generation excluded): %.1f CPU us/article, %.0f s wall = "
      "%.0f articles/s; %.0f articles/s if %d cores were fully used\n",
      count, total_seconds, static_cast<double>(count) / total_seconds, stored, duplicates,
      decision_us.size(), percentile(decision_us, 0.5), percentile(decision_us, 0.99),
      percentile(decision_us, 1.0), settled ? "idle" : "still compacting", settle_seconds,
      probe_us.size(), percentile(probe_us, 0.5), percentile(probe_us, 0.99),
      percentile(probe_us, 1.0), rss, hwm,
      stats ? static_cast<double>(stats->near_index_bytes) / 1048576.0 : 0.0,
      stats ? static_cast<double>(stats->key_filter_bytes) / 1048576.0 : 0.0, close_seconds,
      bytes / 1048576.0, bytes / static_cast<double>(std::max<size_t>(stored, 1)),
      all_cpu / static_cast<double>(count) * 1e6, all_wall, static_cast<double>(count) / all_wall,
      static_cast<double>(count) / all_cpu * static_cast<double>(cores), static_cast<int>(cores));
  return 0;
}

// --phases: the median CPU microseconds per article of each pre-RocksDB stage over `runs` passes.
int run_phases(const std::vector<Article>& articles, size_t runs) {
  const storage::Analyzer analyzer;
  const storage::CanonOptions canon = storage::default_canon_options();
  std::uint64_t sink = 0;  // keeps the results alive
  const auto time_us = [&](auto&& fn) {
    std::vector<double> us;
    for (size_t run = 0; run < runs; ++run) {
      const double c0 = cpu_seconds();
      for (const Article& a : articles) fn(a);
      us.push_back((cpu_seconds() - c0) / static_cast<double>(articles.size()) * 1e6);
    }
    return percentile(us, 0.5);
  };
  const double urls = time_us([&](const Article& a) {
    sink +=
        storage::dedup_key(a.url, canon).size() + storage::canonicalize_url(a.url, canon).size();
  });
  const double fingerprints =
      time_us([&](const Article& a) { sink += storage::fingerprint_text(a.text).exact; });
  // What put_articles() runs: the index terms and, from the same words, the body's fingerprints.
  const double analysis = time_us([&](const Article& a) {
    storage::TextFingerprints fp;
    sink += storage::index_terms(analyzer, a, &fp).terms.size() + fp.exact;
  });
  const double encoding =
      time_us([&](const Article& a) { sink += storage::encode_article(a).size(); });
  std::printf(
      "phases (CPU us/article, median of %zu, one thread): URL keys %.1f, analysis with "
      "fingerprints %.1f, encoding %.1f; sum %.1f; fingerprints alone (fingerprint_text, not on "
      "the put path) %.1f (checksum %llu)\n",
      runs, urls, analysis, encoding, urls + analysis + encoding, fingerprints,
      static_cast<unsigned long long>(sink % 1000));
  return 0;
}

// --purge: retention over the oldest `hours` of the database at `path`.
int run_purge(const std::string& path, long hours, long remember_days) {
  storage::StoreOptions o;
  o.path = path;
  const auto open_start = std::chrono::steady_clock::now();
  auto opened = storage::Store::open(o);
  if (!opened) die("open", opened.error());
  std::unique_ptr<storage::Store> store = std::move(*opened);
  const auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  std::printf("open: %.2f s\n", seconds_since(open_start));
  auto before_stats = store->stats();
  if (!before_stats) die("stats", before_stats.error());
  if (!before_stats->oldest) {
    std::printf("purge: the database is empty\n");
    return 0;
  }
  const TimePoint before = *before_stats->oldest + std::chrono::hours(hours);
  const TimePoint forget = before - std::chrono::hours(24 * remember_days);
  for (int pass = 1; pass <= 2; ++pass) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    // The slices (the write lock's longest hold): keep_going is asked between them.
    auto slice_start = t0;
    double longest = 0;
    int slices = 1;
    auto purged = store->purge(before, forget, [&] {
      longest = std::max(longest, seconds_since(slice_start));
      slice_start = std::chrono::steady_clock::now();
      ++slices;
      return true;
    });
    if (!purged) die("purge", purged.error());
    longest = std::max(longest, seconds_since(slice_start));
    const double wall = seconds_since(t0), cpu = cpu_seconds() - c0;
    std::printf(
        "purge %d (stories fetched before oldest + %ld h, URLs remembered %ld days): %llu of "
        "%llu stories in %.2f s wall, %.2f s CPU (%.0f CPU us per story); %d slice(s), the "
        "longest (writers wait) %.2f s\n",
        pass, hours, remember_days, static_cast<unsigned long long>(*purged),
        static_cast<unsigned long long>(before_stats->articles), wall, cpu,
        *purged > 0 ? cpu / static_cast<double>(*purged) * 1e6 : 0.0, slices, longest);
  }
  auto after = store->stats();
  if (!after) die("stats", after.error());
  std::printf(
      "after: %llu stories, %llu URL keys of which %llu of purged stories, %llu purged texts "
      "remembered\n",
      static_cast<unsigned long long>(after->articles),
      static_cast<unsigned long long>(after->urls),
      static_cast<unsigned long long>(after->purged_urls),
      static_cast<unsigned long long>(after->purged_texts));
  store.reset();
  const auto reopen_start = std::chrono::steady_clock::now();
  auto reopened = storage::Store::open(o);
  if (!reopened) die("reopen", reopened.error());
  std::printf("reopen: %.2f s\n", seconds_since(reopen_start));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t count = static_cast<size_t>(std::max(1L, arg_long(argc, argv, "--articles", 20000)));
  const size_t runs = static_cast<size_t>(std::max(1L, arg_long(argc, argv, "--runs", 5)));
  const double words = static_cast<double>(arg_long(argc, argv, "--words", 600));
  const long dup_percent = std::clamp(arg_long(argc, argv, "--duplicates", 10), 0L, 90L);
  const size_t threads = static_cast<size_t>(std::max(1L, arg_long(argc, argv, "--threads", 1)));
  const size_t batch = static_cast<size_t>(std::max(0L, arg_long(argc, argv, "--batch", 0)));
  const auto seed = static_cast<std::uint64_t>(arg_long(argc, argv, "--seed", 7));
  const fs::path dir = arg_str(argc, argv, "--dir", fs::temp_directory_path().string());
  const long sustained = arg_long(argc, argv, "--sustained", 0);

  if (const long hours = arg_long(argc, argv, "--purge", 0); hours > 0) {
    const std::string db = arg_str(argc, argv, "--db", "");
    if (db.empty()) {
      std::fprintf(stderr, "ingest_bench: --purge needs --db=DIR\n");
      return 2;
    }
    return run_purge(db, hours, std::max(0L, arg_long(argc, argv, "--remember-days", 30)));
  }
  Corpus corpus(seed);
  if (sustained > 0) {
    const size_t report =
        static_cast<size_t>(std::max(1L, arg_long(argc, argv, "--report", 100000)));
    const std::string keep = arg_str(argc, argv, "--keep", "");
    const fs::path path = keep.empty()
                              ? dir / ("ingest_bench_sustained_" + std::to_string(getpid()))
                              : fs::path(keep);
    const int rc =
        run_sustained(corpus, static_cast<size_t>(sustained), words, dup_percent, threads,
                      batch == 0 ? 64 : batch, report, path, arg_flag(argc, argv, "--engine-stats"),
                      static_cast<size_t>(std::max(0L, arg_long(argc, argv, "--probe", 10000))),
                      static_cast<size_t>(std::max(0L, arg_long(argc, argv, "--block-cache", 0))));
    if (keep.empty()) {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
    return rc;
  }
  std::vector<Article> articles;
  articles.reserve(count);
  size_t body_words = 0, body_bytes = 0;
  for (size_t n = 0; n < count; ++n) {
    if (!articles.empty() && static_cast<long>(corpus.next() % 100) < dup_percent) {
      const Article& original = articles[corpus.next() % articles.size()];
      articles.push_back(corpus.copy(original, n, static_cast<int>(n % 3)));
    } else {
      articles.push_back(corpus.story(n, words));
    }
    body_bytes += articles.back().text.size();
    body_words += static_cast<size_t>(
                      std::count(articles.back().text.begin(), articles.back().text.end(), ' ')) +
                  1;
  }
  if (arg_flag(argc, argv, "--phases")) {
    return run_phases(articles, runs);
  }
  std::vector<std::pair<std::string, std::string>> records;
  records.reserve(count);
  for (const Article& a : articles) {
    records.emplace_back(storage::Store::legacy_article_id(a.url),
                         storage::encode_plain_article(a));
  }
  std::printf(
      "ingest_bench: %zu articles (%.0f words, %.0f bytes of body on average; %ld%% copies), "
      "%zu runs, %zu thread(s), %s\n",
      count, static_cast<double>(body_words) / static_cast<double>(count),
      static_cast<double>(body_bytes) / static_cast<double>(count), dup_percent, runs, threads,
      batch > 0 ? ("put_articles batches of " + std::to_string(batch)).c_str()
                : "put_articles batches of 1 (as put_article)");

  std::vector<double> store_rates, raw_rates, store_cpu, raw_cpu_us;
  const std::string tag = std::to_string(getpid());
  for (size_t run = 0; run < runs; ++run) {
    const fs::path path = dir / ("ingest_bench_" + tag + "_" + std::to_string(run));
    const fs::path raw_path = dir / ("ingest_bench_raw_" + tag + "_" + std::to_string(run));
    std::error_code ec;
    fs::remove_all(path, ec);
    fs::remove_all(raw_path, ec);
    // Alternate the order so neither side always runs on the warmer (or busier) machine.
    double raw_seconds = 0, raw_cpu = 0;
    RunResult r;
    const auto raw = [&] {
      const double c0 = cpu_seconds();
      auto t = storage::time_raw_puts(raw_path.string(), records);
      if (!t) die("raw puts", t.error());
      raw_seconds = *t;
      raw_cpu = cpu_seconds() - c0;  // includes open and close
    };
    if (run % 2 == 0) {
      r = run_store(path.string(), articles, threads, batch);
      raw();
    } else {
      raw();
      r = run_store(path.string(), articles, threads, batch);
    }
    fs::remove_all(path, ec);
    fs::remove_all(raw_path, ec);
    const double rate = static_cast<double>(count) / r.put_seconds;
    const double raw_rate = static_cast<double>(count) / raw_seconds;
    store_rates.push_back(rate);
    raw_rates.push_back(raw_rate);
    store_cpu.push_back(r.put_cpu / static_cast<double>(count) * 1e6);
    raw_cpu_us.push_back(raw_cpu / static_cast<double>(count) * 1e6);
    std::printf(
        "run %zu: store %.0f articles/s, %.0f CPU us/article (%zu stored, %zu duplicates; close "
        "%.0f ms; disk %.1f MiB); raw RocksDB put %.0f articles/s, %.0f CPU us/article\n",
        run + 1, rate, store_cpu.back(), r.stored, r.duplicates, r.close_seconds * 1000, r.disk_mib,
        raw_rate, raw_cpu_us.back());
    std::fflush(stdout);
  }
  const double m = median(store_rates), mr = median(raw_rates);
  const double mc = median(store_cpu), mrc = median(raw_cpu_us);
  std::printf(
      "median: store %.0f articles/s (%.1f us/article; %.1f CPU us/article = %.0f articles per "
      "CPU second), raw RocksDB put %.0f articles/s (%.1f CPU us/article); store/raw %.2f\n",
      m, 1e6 / m, mc, 1e6 / mc, mr, mrc, m / mr);
  return 0;
}
