// export, import and backup: moving stored articles out of and into a database.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "daemon/cli_args.h"
#include "daemon/cli_progress.h"
#include "daemon/cli_store.h"
#include "daemon/commands.h"
#include "daemon/config.h"
#include "storage/store.h"

namespace newswatch::daemon {

int cmd_export(const Args& raw);
int cmd_import(const Args& raw);
int cmd_backup(const Args& raw);

namespace {

nlohmann::json opt_time(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(format_iso8601(*t)) : nlohmann::json(nullptr);
}

// Every Article field; import reads the same names.
nlohmann::json to_json(const Article& a) {
  return nlohmann::json{{"id", a.id},
                        {"url", a.url},
                        {"canonical_url", a.canonical_url},
                        {"source", a.source},
                        {"title", a.title},
                        {"byline", a.byline},
                        {"language", a.language},
                        {"site_name", a.site_name},
                        {"image", a.image},
                        {"published", opt_time(a.published)},
                        {"modified", opt_time(a.modified)},
                        {"fetched", format_iso8601(a.fetched)},
                        {"summary", a.summary},
                        {"text", a.text},
                        {"topics", a.topics},
                        {"duplicate_urls", a.duplicate_urls}};
}

Result<Article> from_json(const nlohmann::json& j) {
  try {
    Article a;
    const auto str = [&](const char* key) {
      return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
    };
    const auto when = [&](const char* key) -> std::optional<TimePoint> {
      const std::string s = str(key);
      return s.empty() ? std::nullopt : parse_iso8601(s);
    };
    a.url = str("url");
    a.canonical_url = str("canonical_url");
    a.source = str("source");
    a.title = str("title");
    a.byline = str("byline");
    a.language = str("language");
    a.site_name = str("site_name");
    a.image = str("image");
    a.published = when("published");
    a.modified = when("modified");
    a.fetched = when("fetched").value_or(SystemClock::instance().now());
    a.summary = str("summary");
    a.text = str("text");
    if (j.contains("topics")) a.topics = j["topics"].get<std::vector<std::string>>();
    if (j.contains("duplicate_urls")) {
      a.duplicate_urls = j["duplicate_urls"].get<std::vector<std::string>>();
    }
    if (a.url.empty() && a.canonical_url.empty()) {
      return make_error(ErrorCode::invalid_argument, "article without url");
    }
    return a;
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorCode::parse_error, e.what());
  }
}

}  // namespace

int cmd_export(const Args& raw) {
  auto args =
      parse_cli_args(raw, CliSpec{{"--config", "--db", "--format"}, {"--progress", "--quiet"}, {}});
  if (!args) {
    std::fprintf(stderr, "newswatch export: %s\n", args.error().message.c_str());
    return kExitUsage;
  }
  if (args->get("--format").value_or("jsonl") != "jsonl") {
    std::fprintf(stderr, "newswatch export: only --format jsonl is supported\n");
    return kExitUsage;
  }
  const auto path = database_path(*args);
  if (!path) return kExitUsage;
  storage::StoreOptions so;
  so.path = *path;
  so.access = storage::StoreOptions::Access::read_only;
  auto store = storage::Store::open(so);
  if (!store) {
    std::fprintf(stderr, "newswatch export: %s\n", store.error().message.c_str());
    return kExitFailure;
  }
  // Articles written to the terminal itself would be torn by the redrawn line: progress then
  // only when asked for.
  const bool show_progress =
      progress_wanted(*args) && (args->has("--progress") || isatty(STDOUT_FILENO) != 1);
  std::uint64_t total = 0;
  if (show_progress) {
    // Counting costs a pass over the article keys; only a progress line needs it.
    if (auto stats = (*store)->stats()) total = stats->articles;
  }
  Progress progress("newswatch export", "articles", show_progress, total);
  std::uint64_t n = 0;
  const auto st = (*store)->scan_articles([&](const Article& a) {
    const std::string line =
        to_json(a).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    ++n;
    progress.update(n, n);
    return true;
  });
  if (!st.ok()) {
    progress.clear();
    std::fprintf(stderr, "newswatch export: %s\n", st.to_string().c_str());
    return kExitFailure;
  }
  std::fflush(stdout);
  progress.finish(n, n);
  if (!args->has("--quiet")) {
    std::fprintf(stderr, "newswatch export: %llu articles\n", static_cast<unsigned long long>(n));
  }
  return kExitOk;
}

int cmd_import(const Args& raw) {
  auto args = parse_cli_args(raw, CliSpec{{"--config", "--db"}, {"--progress", "--quiet"}, {}});
  if (!args) {
    std::fprintf(stderr, "newswatch import: %s\n", args.error().message.c_str());
    return kExitUsage;
  }
  if (args->positional.size() > 1) {
    std::fprintf(stderr, "newswatch import: at most one FILE (default: standard input)\n");
    return kExitUsage;
  }
  const auto path = database_path(*args);
  if (!path) return kExitUsage;
  std::ifstream file;
  std::istream* in = &std::cin;
  if (!args->positional.empty() && args->positional[0] != "-") {
    file.open(args->positional[0]);
    if (!file) {
      std::fprintf(stderr, "newswatch import: cannot read %s\n", args->positional[0].c_str());
      return kExitFailure;
    }
    in = &file;
  }
  storage::StoreOptions so;
  so.path = *path;
  auto store = storage::Store::open(so);
  if (!store) {
    std::fprintf(stderr, "newswatch import: %s (is the daemon running? stop it first)\n",
                 store.error().message.c_str());
    return kExitFailure;
  }
  // Progress in bytes when the input is a regular file whose size is known.
  std::uint64_t size = 0;
  {
    const int fd = in == &std::cin ? STDIN_FILENO : -1;
    struct stat sb {};
    if (fd >= 0 ? fstat(fd, &sb) == 0 : stat(args->positional[0].c_str(), &sb) == 0) {
      if (S_ISREG(sb.st_mode)) {
        const off_t at = fd >= 0 ? lseek(fd, 0, SEEK_CUR) : 0;
        size = static_cast<std::uint64_t>(sb.st_size - std::max<off_t>(at, 0));
      }
    }
  }
  Progress progress("newswatch import", "articles", progress_wanted(*args), size,
                    Progress::Unit::bytes);
  std::uint64_t stored = 0, duplicates = 0, bad = 0, line_no = 0, bytes = 0;
  std::string line;
  while (std::getline(*in, line)) {
    ++line_no;
    bytes += line.size() + 1;
    progress.update(stored + duplicates + bad, bytes);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    auto article = j.is_object() ? from_json(j)
                                 : Result<Article>(make_error(ErrorCode::parse_error, "not JSON"));
    if (!article) {
      progress.clear();
      std::fprintf(stderr, "newswatch import: line %llu: %s\n",
                   static_cast<unsigned long long>(line_no), article.error().message.c_str());
      ++bad;
      continue;
    }
    // Imports queue no alerts: they are history, not news.
    auto outcome = (*store)->put_article(*article, {});
    if (!outcome) {
      progress.clear();
      std::fprintf(stderr, "newswatch import: %s\n", outcome.error().to_string().c_str());
      return kExitFailure;
    }
    ++(outcome->stored ? stored : duplicates);
  }
  progress.finish(stored + duplicates + bad, bytes);
  if (!args->has("--quiet")) {
    std::fprintf(stderr, "newswatch import: %llu stored, %llu duplicates, %llu bad lines\n",
                 static_cast<unsigned long long>(stored),
                 static_cast<unsigned long long>(duplicates), static_cast<unsigned long long>(bad));
  }
  return bad > 0 ? kExitFailure : kExitOk;
}

int cmd_backup(const Args& raw) {
  auto args = parse_cli_args(raw, CliSpec{{"--config", "--db"}, {}, {}});
  if (!args) {
    std::fprintf(stderr, "newswatch backup: %s\n", args.error().message.c_str());
    return kExitUsage;
  }
  if (args->positional.size() != 1) {
    std::fprintf(stderr, "newswatch backup: exactly one target DIR (must not exist)\n");
    return kExitUsage;
  }
  const auto path = database_path(*args);
  if (!path) return kExitUsage;
  // Read-write when the daemon is not running (a flushed, complete copy); otherwise the live
  // database is copied through a secondary instance.
  storage::StoreOptions so;
  so.path = *path;
  auto store = storage::Store::open(so);
  if (!store) {
    so.access = storage::StoreOptions::Access::read_only;
    store = storage::Store::open(so);
  }
  if (!store) {
    std::fprintf(stderr, "newswatch backup: %s\n", store.error().message.c_str());
    return kExitFailure;
  }
  const auto st = (*store)->backup(args->positional[0]);
  if (!st.ok()) {
    std::fprintf(stderr, "newswatch backup: %s\n", st.to_string().c_str());
    return kExitFailure;
  }
  std::printf("newswatch backup: %s\n", args->positional[0].c_str());
  return kExitOk;
}

}  // namespace newswatch::daemon
