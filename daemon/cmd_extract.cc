#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/time.h"
#include "daemon/cli_args.h"
#include "daemon/commands.h"
#include "parsers/extractor.h"

namespace newswatch::daemon {

namespace {

// Exit code for a page that parsed but holds no article (an index or error page); distinct
// from kExitFailure (unreadable, empty or undecodable input) so scripts can tell them apart.
constexpr int k_exit_not_article = 3;

constexpr const char* k_usage =
    "usage: newswatch extract [--url URL] [--content-type TYPE] [--format text|json]\n"
    "                         [--min-chars N] [FILE|-]\n"
    "       newswatch extract --batch IN_DIR OUT_DIR [--format text|json] [--min-chars N]\n"
    "Prints the article in FILE (default stdin): with text, the title line, a blank line and the\n"
    "paragraphs separated by blank lines; with json, title, byline, published, modified,\n"
    "language, canonical_url, site_name, image and text (the body alone).\n"
    "--batch extracts every IN_DIR/NAME.html to OUT_DIR/NAME.txt (or .json) in one process and\n"
    "reports pages/s and MB/s on stderr; pages that fail are counted and skipped.\n"
    "--min-chars N: fewest body characters of an article (default 100; 0 turns the\n"
    "not-an-article judgement off).\n"
    "Exit: 0 ok, 1 unreadable/empty/undecodable input, 2 usage, 3 not an article.\n";

enum class Format { text, json };

nlohmann::ordered_json date_json(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return format_iso8601(*t);
}

std::string render(const Article& a, Format format) {
  if (format == Format::text) {
    std::string out = a.title;
    out += "\n\n";
    out += a.text;
    out += '\n';
    return out;
  }
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["title"] = a.title;
  j["byline"] = a.byline;
  j["published"] = date_json(a.published);
  j["modified"] = date_json(a.modified);
  j["language"] = a.language;
  j["canonical_url"] = a.canonical_url;
  j["site_name"] = a.site_name;
  j["image"] = a.image;
  j["text"] = a.text;
  std::string out = j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  out += '\n';
  return out;
}

bool read_file(const std::string& path, std::string& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

int run_batch(const std::string& in_dir, const std::string& out_dir, Format format,
              const parsers::ExtractOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(in_dir, ec)) {
    std::fprintf(stderr, "newswatch extract: %s: not a directory\n", in_dir.c_str());
    return kExitFailure;
  }
  fs::create_directories(out_dir, ec);
  if (ec) {
    std::fprintf(stderr, "newswatch extract: %s: %s\n", out_dir.c_str(), ec.message().c_str());
    return kExitFailure;
  }
  std::vector<fs::path> pages;
  for (const auto& entry : fs::directory_iterator(in_dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".html") {
      pages.push_back(entry.path());
    }
  }
  std::sort(pages.begin(), pages.end());
  const char* ext = format == Format::json ? ".json" : ".txt";
  std::size_t ok = 0;
  std::size_t not_article = 0;
  std::size_t unreadable = 0;
  std::size_t bytes_total = 0;
  std::chrono::steady_clock::duration busy{};
  std::string bytes;
  for (const fs::path& page : pages) {
    if (!read_file(page.string(), bytes)) {
      std::fprintf(stderr, "newswatch extract: %s: cannot read\n", page.c_str());
      ++unreadable;
      continue;
    }
    bytes_total += bytes.size();
    const auto start = std::chrono::steady_clock::now();
    const Result<Article> article = parsers::extract_article(bytes, options);
    busy += std::chrono::steady_clock::now() - start;
    if (!article) {
      std::fprintf(stderr, "newswatch extract: %s: %s\n", page.filename().c_str(),
                   article.error().to_string().c_str());
      if (article.error().code == ErrorCode::unsupported) {
        ++not_article;
      } else {
        ++unreadable;
      }
      continue;
    }
    const fs::path out_path = fs::path(out_dir) / (page.stem().string() + ext);
    std::ofstream out(out_path, std::ios::binary);
    const std::string rendered = render(*article, format);
    out.write(rendered.data(), static_cast<std::streamsize>(rendered.size()));
    if (!out) {
      std::fprintf(stderr, "newswatch extract: %s: write failed\n", out_path.c_str());
      ++unreadable;
      continue;
    }
    ++ok;
  }
  const double seconds = std::chrono::duration<double>(busy).count();
  const double pages_per_s = seconds > 0 ? static_cast<double>(pages.size()) / seconds : 0;
  const double mb_per_s = seconds > 0 ? static_cast<double>(bytes_total) / 1e6 / seconds : 0;
  std::fprintf(stderr,
               "newswatch extract: %zu pages, %zu extracted, %zu not articles, %zu failed; "
               "%.1f pages/s, %.1f MB/s (extraction time %.2f s)\n",
               pages.size(), ok, not_article, unreadable, pages_per_s, mb_per_s, seconds);
  return kExitOk;
}

}  // namespace

int cmd_extract(const Args& args) {
  CliSpec spec;
  spec.value_options = {"--url", "--content-type", "--format", "--min-chars"};
  spec.flags = {"--help", "--batch"};
  const Result<CliArgs> parsed = parse_cli_args(args, spec);
  if (!parsed) {
    std::fprintf(stderr, "newswatch extract: %s\n%s", parsed.error().message.c_str(), k_usage);
    return kExitUsage;
  }
  if (parsed->has("--help")) {
    std::fputs(k_usage, stdout);
    return kExitOk;
  }
  const std::string format_name = parsed->get("--format").value_or("text");
  if (format_name != "text" && format_name != "json") {
    std::fprintf(stderr, "newswatch extract: --format must be text or json, not '%s'\n",
                 format_name.c_str());
    return kExitUsage;
  }
  const Format format = format_name == "json" ? Format::json : Format::text;
  parsers::ExtractOptions options;
  options.url = parsed->get("--url").value_or("");
  options.content_type = parsed->get("--content-type").value_or("");
  if (const auto min_chars = parsed->get("--min-chars")) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(min_chars->c_str(), &end, 10);
    if (min_chars->empty() || *end != '\0' || (*min_chars)[0] == '-') {
      std::fprintf(stderr, "newswatch extract: --min-chars needs a number, not '%s'\n",
                   min_chars->c_str());
      return kExitUsage;
    }
    options.min_chars = static_cast<std::size_t>(v);
  }
  if (parsed->has("--batch")) {
    if (parsed->positional.size() != 2) {
      std::fprintf(stderr, "newswatch extract: --batch needs IN_DIR and OUT_DIR\n%s", k_usage);
      return kExitUsage;
    }
    return run_batch(parsed->positional[0], parsed->positional[1], format, options);
  }
  if (parsed->positional.size() > 1) {
    std::fprintf(stderr, "newswatch extract: expected at most one FILE\n%s", k_usage);
    return kExitUsage;
  }
  const std::string file = parsed->positional.empty() ? "-" : parsed->positional[0];
  const std::string shown = input_name(file);
  const auto bytes = read_input(file);
  if (!bytes) {
    std::fprintf(stderr, "newswatch extract: %s: %s\n", shown.c_str(),
                 bytes.error().message.c_str());
    return kExitFailure;
  }
  const Result<Article> article = parsers::extract_article(*bytes, options);
  if (!article) {
    std::fprintf(stderr, "newswatch extract: %s: %s\n", shown.c_str(),
                 article.error().to_string().c_str());
    return article.error().code == ErrorCode::unsupported ? k_exit_not_article : kExitFailure;
  }
  const std::string out = render(*article, format);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace newswatch::daemon
