#include "parsers/page_links.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_map>

#include "core/url.h"
#include "parsers/charset.h"
#include "parsers/dates.h"
#include "parsers/html_dom.h"

namespace newswatch::parsers {
namespace {

// Fewest characters in a teaser headline: menu entries ("Politik", "Mehr") are shorter.
constexpr std::size_t k_min_title_chars = 20;
constexpr std::size_t k_max_summary_chars = 500;
// How far up from a link its teaser box may be.
constexpr int k_teaser_levels = 4;

// Class/id words of blocks whose links are site chrome, in several languages.
constexpr std::array<std::string_view, 22> k_chrome_words = {
    "nav",     "menu",    "footer",  "header",     "breadcrumb", "share",    "social",  "cookie",
    "consent", "login",   "account", "newsletter", "paginat",    "pager",    "sidebar", "masthead",
    "skip",    "toolbar", "service", "impressum",  "legal",      "subscribe"};

// Path segments of pages that list or describe rather than report.
constexpr std::array<std::string_view, 26> k_non_article_segments = {
    "tag",        "tags",      "thema",       "themen",   "topic",     "topics",  "author",
    "autor",      "autoren",   "authors",     "category", "kategorie", "search",  "suche",
    "login",      "impressum", "datenschutz", "privacy",  "kontakt",   "contact", "about",
    "newsletter", "abo",       "page",        "seite",    "archiv"};

constexpr std::array<std::string_view, 12> k_non_article_extensions = {
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg",
    ".pdf", ".xml",  ".rss", ".mp3", ".mp4",  ".zip"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "www.example.org", "m.example.org" and "example.org" are one site.
std::string site_of(std::string_view host) {
  std::string h = lower(host);
  for (std::string_view prefix : {"www.", "m.", "mobile."}) {
    if (h.starts_with(prefix)) return h.substr(prefix.size());
  }
  return h;
}

bool chrome_element(const HtmlDocument& doc, NodeId id) {
  switch (doc.tag(id)) {
    case Tag::nav:
    case Tag::header:
    case Tag::footer:
    case Tag::aside:
    case Tag::form:
    case Tag::menu: return true;
    default: break;
  }
  const std::string words =
      lower(std::string(doc.attr(id, "class")) + " " + std::string(doc.attr(id, "id")) + " " +
            std::string(doc.attr(id, "role")));
  if (words.size() <= 2) return false;
  for (std::string_view w : k_chrome_words) {
    if (words.find(w) != std::string::npos) return true;
  }
  return false;
}

bool inside_chrome(const HtmlDocument& doc, NodeId id) {
  for (NodeId p = doc.node(id).parent; p != k_no_node; p = doc.node(p).parent) {
    if (p == doc.body()) return false;
    if (chrome_element(doc, p)) return true;
  }
  return false;
}

// An article's path: not the home page, no listing or legal segment, not a file download, and
// something specific: a slug of three or more words, a number of four or more digits, a year
// segment, or below a section a slug of two words or a page file ("/politik/gipfel.html").
bool article_like_path(std::string_view path) {
  const std::string p = lower(path);
  for (std::string_view ext : k_non_article_extensions) {
    if (p.ends_with(ext)) return false;
  }
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start < p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    if (end > start) segments.push_back(std::string_view(p).substr(start, end - start));
    start = end + 1;
  }
  if (segments.empty()) return false;
  for (std::string_view s : segments) {
    for (std::string_view bad : k_non_article_segments) {
      if (s == bad) return false;
    }
  }
  const std::string_view last = segments.back();
  std::size_t words = 1, digits = 0, longest_digits = 0;
  for (char c : last) {
    if (c == '-' || c == '_') ++words;
    if (c >= '0' && c <= '9') {
      longest_digits = std::max(longest_digits, ++digits);
    } else {
      digits = 0;
    }
  }
  bool dated = false;
  for (std::string_view s : segments) {
    dated = dated || (s.size() == 4 && (s.starts_with("19") || s.starts_with("20")) &&
                      std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }));
  }
  const bool page_file = last.ends_with(".html") || last.ends_with(".htm") ||
                         last.ends_with(".shtml") || last.ends_with(".php");
  return words >= 3 || longest_digits >= 4 || dated ||
         (segments.size() >= 2 && (words >= 2 || page_file));
}

std::string squash(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Cuts `s` at a UTF-8 boundary at most `max` bytes long.
std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s + "…";
}

struct Candidate {
  std::string url;
  std::string title;
  std::string summary;
  std::optional<TimePoint> published;
};

}  // namespace

Feed parse_page_links(std::string_view html, const PageLinkOptions& options) {
  const std::string text = decode_to_utf8(html, options.content_type, DocumentKind::html);
  const HtmlDocument doc = HtmlDocument::parse(text);
  Feed feed;
  feed.kind = FeedKind::page;
  feed.link = std::string(options.url);

  std::string base(options.url);
  for (NodeId id = doc.head(); id < doc.node(doc.head()).subtree_end; ++id) {
    if (doc.tag(id) == Tag::base && !doc.attr(id, "href").empty()) {
      base = resolve_url_string(options.url, doc.attr(id, "href"));
    }
    if (doc.tag(id) == Tag::title && feed.title.empty()) feed.title = squash(doc.text_content(id));
  }
  const auto page = parse_url(options.url);
  if (!page) return feed;
  const std::string site = site_of(page->host);

  std::vector<Candidate> found;
  std::unordered_map<std::string, std::size_t> index;
  const NodeId body = doc.body();
  for (NodeId id = body; id < doc.node(body).subtree_end; ++id) {
    if (doc.tag(id) != Tag::a) continue;
    const std::string_view href = doc.attr(id, "href");
    if (href.empty() || href.starts_with("#") || href.starts_with("javascript:") ||
        href.starts_with("mailto:")) {
      continue;
    }
    auto url = parse_url(resolve_url_string(base, href));
    if (!url || (url->scheme != "http" && url->scheme != "https")) continue;
    if (site_of(url->host) != site) continue;
    url->fragment.reset();
    const std::string link = url->to_string();
    if (link == options.url || !article_like_path(url->path)) continue;
    if (inside_chrome(doc, id)) continue;

    std::string title = squash(doc.text_content(id));
    if (title.empty()) title = squash(doc.attr(id, "title"));
    // The teaser box: the nearest ancestor that holds more text than the link.
    std::string summary;
    std::optional<TimePoint> published;
    NodeId box = doc.node(id).parent;
    for (int level = 0; level < k_teaser_levels && box != k_no_node && box != body; ++level) {
      const std::string box_text = squash(doc.text_content(box));
      if (box_text.size() > title.size() + 20) {
        summary = box_text;
        for (NodeId t = box; t < doc.node(box).subtree_end; ++t) {
          if (doc.tag(t) == Tag::time && !published) {
            published = parse_feed_date(doc.attr(t, "datetime"));
          }
        }
        break;
      }
      box = doc.node(box).parent;
    }
    auto [it, fresh] = index.emplace(link, found.size());
    if (fresh) {
      found.push_back({link, title, cut(summary, k_max_summary_chars), published});
      continue;
    }
    // Teasers often link twice (image and headline): keep the best of each.
    Candidate& c = found[it->second];
    if (title.size() > c.title.size()) c.title = title;
    if (summary.size() > c.summary.size()) c.summary = cut(summary, k_max_summary_chars);
    if (!c.published) c.published = published;
  }
  for (auto& c : found) {
    if (c.title.size() < k_min_title_chars) continue;  // menu entries, "mehr", "weiterlesen"
    // The teaser box repeats the headline; the summary is the rest.
    if (const auto at = c.summary.find(c.title); at != std::string::npos) {
      c.summary = squash(c.summary.substr(0, at) + " " + c.summary.substr(at + c.title.size()));
    }
    FeedEntry e;
    e.id = c.url;
    e.link = std::move(c.url);
    e.title = std::move(c.title);
    e.summary = std::move(c.summary);
    e.published = c.published;
    feed.entries.push_back(std::move(e));
  }
  return feed;
}

}  // namespace newswatch::parsers
