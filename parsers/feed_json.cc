#include "parsers/feed_json.h"

#include <nlohmann/json.hpp>

#include "core/url.h"
#include "parsers/charset.h"
#include "parsers/dates.h"
#include "parsers/feed_text.h"

namespace newswatch::parsers {

namespace {

using nlohmann::json;

// The string at `key`, numbers as their decimal text, else "". Never throws.
std::string get_string(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  const auto it = obj.find(key);
  if (it == obj.end()) return {};
  if (it->is_string()) return it->get_ref<const std::string&>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  if (it->is_number_unsigned()) return std::to_string(it->get<unsigned long long>());
  return {};
}

std::string authors_of(const json& obj) {
  std::string out;
  auto add = [&out](const json& a) {
    std::string name = normalize_line(get_string(a, "name"));
    if (name.empty() || out.find(name) != std::string::npos) return;
    if (!out.empty()) out += ", ";
    out += name;
  };
  if (!obj.is_object()) return out;
  if (const auto it = obj.find("authors"); it != obj.end() && it->is_array()) {
    for (const json& a : *it) add(a);
  }
  if (const auto it = obj.find("author"); it != obj.end() && it->is_object()) add(*it);
  return out;
}

std::string resolve(const std::string& base, const std::string& ref) {
  std::string_view r = ref;
  while (!r.empty() && static_cast<unsigned char>(r.front()) <= ' ') r.remove_prefix(1);
  while (!r.empty() && static_cast<unsigned char>(r.back()) <= ' ') r.remove_suffix(1);
  if (r.empty() || base.empty()) return std::string(r);
  return resolve_url_string(base, r);
}

}  // namespace

Result<Feed> parse_json_feed(std::string_view utf8, std::string_view base_url) {
  const std::string text = sanitize_utf8(utf8);
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(ErrorCode::parse_error, "not a feed: invalid JSON");
  }
  const auto items = doc.find("items");
  const bool has_items = items != doc.end() && items->is_array();
  if (!has_items && get_string(doc, "version").find("jsonfeed.org") == std::string::npos) {
    return make_error(ErrorCode::parse_error, "not a feed: JSON without JSON Feed items");
  }
  Feed feed;
  feed.kind = FeedKind::json;
  feed.title = html_to_line(get_string(doc, "title"));
  const std::string base =
      base_url.empty() ? get_string(doc, "home_page_url") : std::string(base_url);
  feed.link = resolve(base, get_string(doc, "home_page_url"));
  const std::string feed_authors = authors_of(doc);
  if (!has_items) return feed;
  for (const json& item : *items) {
    if (!item.is_object()) continue;
    FeedEntry e;
    std::string link = get_string(item, "url");
    if (link.empty()) link = get_string(item, "external_url");
    e.link = resolve(base, link);
    e.title = html_to_line(get_string(item, "title"));
    if (std::string html = get_string(item, "content_html"); !html.empty()) {
      e.content = html_to_text(html);
    } else {
      e.content = normalize_text(get_string(item, "content_text"));
    }
    e.summary = normalize_text(get_string(item, "summary"));
    e.published = parse_feed_date(get_string(item, "date_published"));
    e.updated = parse_feed_date(get_string(item, "date_modified"));
    e.author = authors_of(item);
    if (e.author.empty()) e.author = feed_authors;
    e.id = get_string(item, "id");
    if (e.id.empty()) e.id = e.link;
    if (e.id.empty() && e.title.empty() && e.content.empty()) continue;
    if (e.id.empty()) {
      // Same scheme as XML feeds: a stable hash of title and date.
      uint64_t h = 1469598103934665603ULL;
      for (const char c : e.title + "\x1f" + get_string(item, "date_published")) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
      }
      char buf[32];
      std::snprintf(buf, sizeof buf, "hash:%016llx", static_cast<unsigned long long>(h));
      e.id = buf;
    }
    feed.entries.push_back(std::move(e));
  }
  return feed;
}

}  // namespace newswatch::parsers
