// Article extraction speed against the floor it is built on: a bare gumbo parse (parse, then
// free the tree) of the same bytes, measured interleaved page by page in the same run so that
// machine noise hits both alike. Pages: the public trafilatura evaluation set in
// ../shared/corpora when present (the first 300, sorted by name), else our own test pages.
//
//   build/bench/extract_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "parsers/extractor.h"
#include "parsers/html_dom.h"

namespace {

namespace fs = std::filesystem;

std::string read_gz(const fs::path& path) {
  std::string out;
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  char buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  return out;
}

std::string read_plain(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Pages {
  std::vector<std::string> html;
  std::size_t bytes = 0;
  std::string origin;
};

const Pages& pages() {
  static const Pages loaded = [] {
    Pages p;
    const fs::path source = NEWSWATCH_BENCH_SOURCE_DIR;
    std::vector<fs::path> files;
    for (const auto& candidate : {source / "../shared/corpora/trafilatura-eval/pages",
                                  source / "../../shared/corpora/trafilatura-eval/pages"}) {
      std::error_code ec;
      if (!fs::is_directory(candidate, ec)) continue;
      for (const auto& e : fs::directory_iterator(candidate, ec)) files.push_back(e.path());
      p.origin = "trafilatura-eval (public corpus)";
      break;
    }
    std::sort(files.begin(), files.end());
    if (files.size() > 300) files.resize(300);
    for (const auto& f : files) {
      p.html.push_back(f.extension() == ".gz" ? read_gz(f) : read_plain(f));
    }
    if (p.html.empty()) {
      p.origin = "tests/data/extract (our pages)";
      std::error_code ec;
      for (const auto& e : fs::recursive_directory_iterator(source / "tests/data/extract", ec)) {
        if (e.path().filename() == "input.html") p.html.push_back(read_plain(e.path()));
      }
    }
    for (const auto& h : p.html) p.bytes += h.size();
    return p;
  }();
  return loaded;
}

void gumbo_bare(const std::string& html) {
  benchmark::DoNotOptimize(newswatch::parsers::gumbo_bare_parse(html));
}

void extract(const std::string& html) {
  newswatch::parsers::ExtractOptions options;
  options.url = "https://example.org/article";
  auto article = newswatch::parsers::extract_article(html, options);
  benchmark::DoNotOptimize(article);
}

// Every page once per iteration; the iteration time is extraction's, the counters give both.
void BM_ExtractOverGumbo(benchmark::State& state) {
  const Pages& p = pages();
  if (p.html.empty()) {
    state.SkipWithError("no pages");
    return;
  }
  using Clock = std::chrono::steady_clock;
  double gumbo_s = 0, extract_s = 0;
  for (auto _ : state) {
    Clock::duration g{}, x{};
    for (const auto& html : p.html) {
      const auto t0 = Clock::now();
      gumbo_bare(html);
      const auto t1 = Clock::now();
      extract(html);
      const auto t2 = Clock::now();
      g += t1 - t0;
      x += t2 - t1;
    }
    state.SetIterationTime(std::chrono::duration<double>(x).count());
    gumbo_s += std::chrono::duration<double>(g).count();
    extract_s += std::chrono::duration<double>(x).count();
  }
  const auto n = static_cast<double>(state.iterations());
  state.counters["pages"] = static_cast<double>(p.html.size());
  state.counters["gumbo_ms_per_page"] = gumbo_s / n / static_cast<double>(p.html.size()) * 1e3;
  state.counters["extract_ms_per_page"] = extract_s / n / static_cast<double>(p.html.size()) * 1e3;
  state.counters["ratio"] = extract_s / gumbo_s;
  state.SetBytesProcessed(static_cast<std::int64_t>(p.bytes) * state.iterations());
  state.SetLabel(p.origin);
}
BENCHMARK(BM_ExtractOverGumbo)->UseManualTime()->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
