#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "daemon/commands.h"

namespace newswatch::daemon {

namespace {

struct Command {
  const char* name;
  int (*fn)(const Args&);
  const char* usage;
  const char* summary;
};

constexpr Command kCommands[] = {
    {"run", cmd_run, "run [--config FILE]", "run the daemon in the foreground"},
    {"check-config", cmd_check_config, "check-config [--config FILE] [--quiet]",
     "validate a config file and print every error"},
    {"list", cmd_list, "list [--config FILE] [--json] [--color WHEN] [--limit N] [--offset N]",
     "list stored articles, newest first"},
    {"show", cmd_show, "show --config FILE [--json] ID", "show one stored article with its text"},
    {"sources", cmd_sources, "sources --config FILE [--json] [--color WHEN]",
     "health of every source: status, last success, next poll, items"},
    {"stats", cmd_stats, "stats --config FILE [--json] [--color WHEN]",
     "counts and sizes of the store, oldest and newest article"},
    {"alerts", cmd_alerts,
     "alerts [--config FILE] [--json] [--color WHEN] [--limit N] [--pending|--dead|--delivered] "
     "[--retry ID | --all-dead]",
     "alerts pending, delivered and dead-lettered; requeue dead ones"},
    {"search", cmd_search,
     "search --config FILE [--source S] [--topic T] [--lang L] [--since 7d] [--until DATE] "
     "[--limit N] [--json] [--color WHEN] QUERY",
     "ranked full-text search: words, \"phrases\", prefix*"},
    {"topics", cmd_topics, "topics --config FILE [--json] [--color WHEN]",
     "per topic: stories matched (all, 24 h, 7 days), last match, alerts by state"},
    {"match", cmd_match,
     "match --config FILE [--topic NAME | --query QUERY] [ID | --since 7d] [--limit N] [--json] "
     "[--color WHEN]",
     "show which stored articles a topic would match, matched words highlighted"},
    {"demo", cmd_demo, "demo [--dir DIR] [--timeout SECONDS]",
     "run the whole pipeline against a local fixture site (no network needed)"},
    {"export", cmd_export, "export --config FILE [--format jsonl] [--progress|--quiet] > FILE",
     "write every stored article as one JSON object per line"},
    {"import", cmd_import, "import --config FILE [--progress|--quiet] [FILE|-]",
     "store articles from JSON lines (daemon stopped); duplicates are skipped"},
    {"backup", cmd_backup, "backup --config FILE DIR",
     "copy the database to DIR (a RocksDB checkpoint), also while the daemon runs"},
    {"parse-feed", cmd_parse_feed, "parse-feed [--url URL] [--content-type TYPE] [FILE|-]",
     "parse a feed or sitemap and print it as JSON"},
    {"discover", cmd_discover, "discover [--json] [--color WHEN] [--allow-private] URL",
     "find a site's feeds and news sitemaps (announced, linked, robots.txt, usual paths)"},
    {"opml", cmd_opml,
     "opml import [--config FILE] [--interval 5m] [--json] FILE|- | opml export [--config FILE]",
     "turn a feed reader's OPML export into [[sources]], or the sources into OPML"},
    {"extract", cmd_extract, "extract [--url URL] [--format text|json] [FILE|-]",
     "extract the article from an HTML page"},
};

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "newswatch: watch news sources for topics and alert once per story.\n\n"
               "usage: newswatch <command> [options]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-14s %s\n", c.name, c.summary);
  std::fprintf(
      out,
      "\n'newswatch <command> --help' shows a command's options; man newswatch has them all.\n"
      "Commands that read the store find the config from --config, then $NEWSWATCH_CONFIG,\n"
      "then /etc/newswatch/newswatch.toml. Exit codes: 0 ok, 1 failure, 2 usage or config.\n"
      "Tables are coloured on a terminal unless $NO_COLOR is set; --color=auto|always|never.\n");
}

}  // namespace

int run_cli(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(stdout);
    return kExitOk;
  }
  if (name == "--version") {
    std::printf("newswatch %s\n", NEWSWATCH_VERSION);
    return kExitOk;
  }
  for (const auto& c : kCommands) {
    if (name != c.name) continue;
    Args args(argv + 2, argv + argc);
    // `extract` prints its own, longer help (batch mode, exit codes).
    for (const auto& a : args) {
      if ((a == "--help" || a == "-h") && name != "extract") {
        std::printf("usage: newswatch %s\n\n%s\n", c.usage, c.summary);
        return kExitOk;
      }
    }
    return c.fn(args);
  }
  std::fprintf(stderr, "newswatch: unknown command '%s'\n\n", name.c_str());
  print_usage(stderr);
  return kExitUsage;
}

}  // namespace newswatch::daemon
