#include "parsers/discover.h"

#include <algorithm>
#include <set>

#include "core/url.h"
#include "parsers/html_dom.h"

namespace newswatch::parsers {
namespace {

std::string type_of(std::string_view media_type) {
  if (icontains(media_type, "rss") || icontains(media_type, "rdf")) return "rss";
  if (icontains(media_type, "atom")) return "atom";
  if (icontains(media_type, "feed+json") || icontains(media_type, "json")) return "json";
  return "";
}

std::string squash(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool has_token(std::string_view list, std::string_view token) {
  std::size_t start = 0;
  while (start < list.size()) {
    std::size_t end = list.find_first_of(" \t\n", start);
    if (end == std::string_view::npos) end = list.size();
    if (iequals(list.substr(start, end - start), token)) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

std::vector<DiscoveredFeed> discover_feeds(std::string_view html, std::string_view page_url) {
  const HtmlDocument doc = HtmlDocument::parse(html);
  std::string base(page_url);
  for (NodeId id = 0; id < doc.size(); ++id) {
    if (doc.tag(id) == Tag::base && !doc.attr(id, "href").empty()) {
      base = resolve_url_string(page_url, doc.attr(id, "href"));
      break;
    }
  }
  std::vector<DiscoveredFeed> out;
  std::set<std::string> seen;
  auto add = [&](std::string_view href, std::string title, std::string type, const char* how) {
    const auto url = parse_url(resolve_url_string(base, href));
    if (!url || (url->scheme != "http" && url->scheme != "https")) return;
    std::string u = url->to_string();
    if (!seen.insert(u).second) return;
    out.push_back({std::move(u), std::move(title), std::move(type), how});
  };
  for (NodeId id = 0; id < doc.size(); ++id) {
    if (doc.tag(id) != Tag::link || !has_token(doc.attr(id, "rel"), "alternate")) continue;
    const std::string type = type_of(doc.attr(id, "type"));
    if (type.empty() || doc.attr(id, "href").empty()) continue;
    add(doc.attr(id, "href"), squash(doc.attr(id, "title")), type, "link-alternate");
  }
  for (NodeId id = doc.body(); id < doc.node(doc.body()).subtree_end; ++id) {
    if (doc.tag(id) != Tag::a) continue;
    const std::string_view href = doc.attr(id, "href");
    if (href.empty()) continue;
    const std::string text = squash(doc.text_content(id));
    std::string_view path = href.substr(0, href.find_first_of("?#"));
    const bool feedish_target = path.ends_with(".rss") || path.ends_with("/rss") ||
                                path.ends_with("/feed") || path.ends_with("/feed/") ||
                                path.ends_with(".atom") || path.ends_with("rss.xml") ||
                                path.ends_with("atom.xml") || path.ends_with("feed.xml");
    const bool feedish_text = iequals(text, "rss") || iequals(text, "atom") ||
                              icontains(text, "rss-feed") || icontains(text, "rss feed");
    if (feedish_target || feedish_text) add(href, text, "", "anchor");
  }
  return out;
}

std::vector<std::string> common_feed_urls(std::string_view page_url) {
  static constexpr std::string_view k_paths[] = {"/feed",
                                                 "/feed/",
                                                 "/rss",
                                                 "/rss.xml",
                                                 "/feed.xml",
                                                 "/atom.xml",
                                                 "/index.xml",
                                                 "/feed.json",
                                                 "/feeds/posts/default",
                                                 "/sitemap-news.xml",
                                                 "/news-sitemap.xml",
                                                 "/sitemap_news.xml"};
  std::vector<std::string> out;
  const auto url = parse_url(page_url);
  if (!url || url->host.empty()) return out;
  const std::string origin = url->scheme + "://" + url->authority();
  for (std::string_view p : k_paths) out.push_back(origin + std::string(p));
  return out;
}

}  // namespace newswatch::parsers
