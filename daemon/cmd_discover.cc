// `newswatch discover URL`: the feeds and news sitemaps of a site, for writing [[sources]]. The
// page's announced feeds, links that look like feeds, robots.txt Sitemap lines and the usual
// paths are fetched and kept when they parse as a feed or sitemap with entries.
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "daemon/cli_args.h"
#include "daemon/cli_table.h"
#include "daemon/commands.h"
#include "fetchers/http_client.h"
#include "fetchers/robots.h"
#include "parsers/charset.h"
#include "parsers/discover.h"
#include "parsers/feed_parser.h"

namespace newswatch::daemon {
namespace {

struct Found {
  std::string url;
  std::string kind;  // rss, atom, json, sitemap
  std::string title;
  std::size_t entries = 0;
  std::string how;
};

class Discovery {
 public:
  Discovery(std::string url, bool allow_private)
      : m_url(std::move(url)), m_allow_private(allow_private), m_http(m_io, {}) {}

  // Runs to completion; false with a message when the page itself cannot be fetched.
  bool run(std::string& error) {
    fetch(m_url, [this, &error](Result<fetchers::HttpResponse> r) {
      if (!r || r->status < 200 || r->status >= 300) {
        error = r ? "HTTP " + std::to_string(r->status) : r.error().to_string();
        return;
      }
      const std::string base = r->effective_url.empty() ? m_url : r->effective_url;
      if (consider(base, *r, "given")) return;  // the URL is a feed itself
      const std::string html =
          parsers::decode_to_utf8(r->body, r->content_type, parsers::DocumentKind::html);
      for (auto& d : parsers::discover_feeds(html, base)) probe(d.url, d.found);
      for (auto& u : parsers::common_feed_urls(base)) probe(u, "guess");
      const auto robots = fetchers::RobotsCache().lookup(base, TimePoint{});
      fetch(robots.robots_url, [this](Result<fetchers::HttpResponse> rr) {
        if (!rr || rr->status != 200) return;
        const auto rules = fetchers::RobotsRules::parse(rr->body, "newswatch");
        const std::vector<std::string>& sitemaps = rules.sitemaps();
        for (const auto& s : sitemaps) probe(s, "robots");
      });
    });
    m_io.run();
    return error.empty();
  }

  const std::vector<Found>& found() const { return m_found; }

 private:
  void fetch(const std::string& url, fetchers::FetchCallback done) {
    fetchers::HttpRequest req;
    req.url = url;
    req.timeout = std::chrono::seconds(15);
    req.max_body_size = 16u << 20;
    req.allow_private_networks = m_allow_private;
    m_http.fetch(std::move(req), std::move(done));
  }

  void probe(const std::string& url, const std::string& how) {
    if (!m_probed.insert(url).second) return;
    fetch(url, [this, how](Result<fetchers::HttpResponse> r) {
      if (r && r->status >= 200 && r->status < 300) {
        consider(r->effective_url, *r, how);
      }
    });
  }

  bool consider(const std::string& url, const fetchers::HttpResponse& r, const std::string& how) {
    parsers::FeedParseOptions po;
    po.url = url;
    po.content_type = r.content_type;
    auto feed = parsers::parse_feed(r.body, po);
    if (!feed || (feed->entries.empty() && feed->child_sitemaps.empty())) return false;
    if (!m_reported.insert(url).second) return true;  // "/feed" and "/feed/" may be one feed
    m_found.push_back({url, feed_kind_name(feed->kind), feed->title,
                       feed->entries.size() + feed->child_sitemaps.size(), how});
    return true;
  }

  std::string m_url;
  bool m_allow_private;
  boost::asio::io_context m_io;
  fetchers::HttpClient m_http;
  std::set<std::string> m_probed, m_reported;
  std::vector<Found> m_found;
};

}  // namespace

int cmd_discover(const Args& raw) {
  auto args = parse_cli_args(raw, CliSpec{{}, {"--json", "--allow-private"}, {}});
  if (!args) {
    std::fprintf(stderr, "newswatch discover: %s\n", args.error().message.c_str());
    return kExitUsage;
  }
  if (args->positional.size() != 1) {
    std::fprintf(stderr, "newswatch discover: exactly one URL is required\n");
    return kExitUsage;
  }
  std::string url = args->positional[0];
  if (url.find("://") == std::string::npos) url = "https://" + url;
  Discovery discovery(url, args->has("--allow-private"));
  std::string error;
  if (!discovery.run(error)) {
    std::fprintf(stderr, "newswatch discover: %s: %s\n", url.c_str(), error.c_str());
    return kExitFailure;
  }
  const auto& found = discovery.found();
  if (args->has("--json")) {
    for (const auto& f : found) {
      nlohmann::json j = {{"url", f.url},
                          {"kind", f.kind},
                          {"title", f.title},
                          {"entries", f.entries},
                          {"found", f.how}};
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    }
  } else {
    Table table({{"KIND"},
                 {"ENTRIES", Align::right},
                 {"FOUND"},
                 {"URL", Align::left, true},
                 {"TITLE", Align::left, true}});
    for (const auto& f : found) {
      table.add_row({{f.kind},
                     {std::to_string(f.entries)},
                     {f.how, Style::dim},
                     {f.url},
                     {f.title, Style::bold}});
    }
    if (!table.empty()) std::fputs(table.render(table_output(*args)).c_str(), stdout);
  }
  if (found.empty()) {
    std::fprintf(stderr, "newswatch discover: no feed or sitemap found for %s\n", url.c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace newswatch::daemon
