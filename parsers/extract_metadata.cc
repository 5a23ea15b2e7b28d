#include "parsers/extract_metadata.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/url.h"
#include "parsers/dates.h"

namespace newswatch::parsers {

namespace {

using std::string_view;
using Json = nlohmann::json;

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f'; }

std::string lower(string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

// Trims and folds white space (including no-break spaces) into single spaces.
std::string squash(string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = true;
  for (std::size_t k = 0; k < s.size(); ++k) {
    const char c = s[k];
    const bool nbsp = static_cast<unsigned char>(c) == 0xC2 && k + 1 < s.size() &&
                      static_cast<unsigned char>(s[k + 1]) == 0xA0;
    if (is_space(c) || nbsp) {
      if (nbsp) ++k;
      if (!space) out.push_back(' ');
      space = true;
    } else {
      out.push_back(c);
      space = false;
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::size_t word_count(string_view s) {
  std::size_t n = 0;
  bool in_word = false;
  for (char c : s) {
    if (is_space(c)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++n;
    }
  }
  return n;
}

// Entities left in attribute values or JSON strings by double-escaping publishers.
std::string unescape_entities(std::string s) {
  if (s.find('&') == std::string::npos) return s;
  static const std::pair<string_view, string_view> k_entities[] = {
      {"&amp;", "&"},
      {"&quot;", "\""},
      {"&#39;", "'"},
      {"&apos;", "'"},
      {"&lt;", "<"},
      {"&gt;", ">"},
      {"&#039;", "'"},
      {"&nbsp;", " "},
      {"&#8217;", "\xE2\x80\x99"},
      {"&#8211;", "\xE2\x80\x93"},
      {"&#8212;", "\xE2\x80\x94"},
      {"&hellip;", "\xE2\x80\xA6"},
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t k = 0; k < s.size();) {
    bool done = false;
    if (s[k] == '&') {
      for (const auto& [from, to] : k_entities) {
        if (s.compare(k, from.size(), from) == 0) {
          out.append(to);
          k += from.size();
          done = true;
          break;
        }
      }
    }
    if (!done) out.push_back(s[k++]);
  }
  return out;
}

bool is_url(string_view s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0 || s.rfind("//", 0) == 0;
}

bool is_separator_char(string_view s, std::size_t k, std::size_t& len) {
  // | - \ / > and the two-byte and three-byte ones: » (U+00BB), – (U+2013), — (U+2014).
  const char c = s[k];
  if (c == '|' || c == '-' || c == '\\' || c == '/' || c == '>') {
    len = 1;
    return true;
  }
  const auto b = [&](std::size_t i) {
    return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u;
  };
  if (b(k) == 0xC2 && b(k + 1) == 0xBB) {
    len = 2;
    return true;
  }
  if (b(k) == 0xE2 && b(k + 1) == 0x80 && (b(k + 2) == 0x93 || b(k + 2) == 0x94)) {
    len = 3;
    return true;
  }
  return false;
}

bool is_hierarchical_separator(string_view s, std::size_t k) {
  std::size_t len = 0;
  return is_separator_char(s, k, len) && s[k] != '|' && s[k] != '-' &&
         static_cast<unsigned char>(s[k]) != 0xE2;
}

// Meta values keyed as Readability keys them, plus the extra keys we read for dates and images.
struct MetaValues {
  std::map<std::string, std::string, std::less<>> values;

  string_view get(string_view key) const {
    const auto it = values.find(key);
    return it == values.end() ? string_view() : string_view(it->second);
  }
};

// The Readability "property" vocabulary: (article|dc|dcterm|og|twitter):(author|creator|...).
std::string property_key(string_view property) {
  static constexpr string_view k_prefixes[] = {"article", "dc", "dcterm", "og", "twitter"};
  static constexpr string_view k_names[] = {"author",         "creator", "description",
                                            "published_time", "title",   "site_name"};
  const std::string p = lower(property);
  std::size_t start = 0;
  while (start < p.size()) {
    while (start < p.size() && is_space(p[start])) ++start;
    std::size_t end = start;
    while (end < p.size() && !is_space(p[end])) ++end;
    const string_view item = string_view(p).substr(start, end - start);
    const std::size_t colon = item.find(':');
    if (colon != string_view::npos) {
      const string_view prefix = item.substr(0, colon);
      const string_view name = item.substr(colon + 1);
      for (string_view want : k_prefixes) {
        if (prefix != want) continue;
        for (string_view n : k_names) {
          if (name == n) return std::string(item);
        }
      }
    }
    start = end;
  }
  return {};
}

// The Readability "name" vocabulary: [(dc|dcterm|og|twitter|parsely|weibo:...)[-.:]]name.
std::string name_key(string_view name) {
  std::string n = lower(name);
  n.erase(std::remove_if(n.begin(), n.end(), is_space), n.end());
  static constexpr string_view k_names[] = {"author",      "creator", "pub-date",
                                            "description", "title",   "site_name"};
  static constexpr string_view k_prefixes[] = {
      "dc", "dcterm", "og", "twitter", "parsely", "weibo:article", "weibo:webpage"};
  for (string_view want : k_names) {
    if (n == want) return n;
    for (string_view prefix : k_prefixes) {
      if (n.size() == prefix.size() + 1 + want.size() && n.compare(0, prefix.size(), prefix) == 0 &&
          (n[prefix.size()] == '-' || n[prefix.size()] == '.' || n[prefix.size()] == ':') &&
          n.compare(prefix.size() + 1, string_view::npos, want) == 0) {
        std::string key = n;
        std::replace(key.begin(), key.end(), '.', ':');
        return key;
      }
    }
  }
  return {};
}

struct LdArticle {
  bool found = false;
  std::string name;
  std::string headline;
  std::string byline;
  std::string site_name;
  std::string published;
  std::string modified;
  std::string image;
  std::string type;
};

bool is_article_type(string_view type) {
  static constexpr string_view k_types[] = {"Article",
                                            "NewsArticle",
                                            "Report",
                                            "SocialMediaPosting",
                                            "BlogPosting",
                                            "LiveBlogPosting",
                                            "DiscussionForumPosting",
                                            "TechArticle",
                                            "APIReference",
                                            "ScholarlyArticle",
                                            "SatiricalArticle"};
  for (string_view t : k_types) {
    if (type.find(t) != string_view::npos) return true;
  }
  return false;
}

bool json_type_matches(const Json& item) {
  if (!item.is_object()) return false;
  const auto it = item.find("@type");
  if (it == item.end()) return false;
  if (it->is_string()) return is_article_type(it->get_ref<const std::string&>());
  if (it->is_array()) {
    for (const Json& t : *it) {
      if (t.is_string() && is_article_type(t.get_ref<const std::string&>())) return true;
    }
  }
  return false;
}

std::string json_string(const Json& obj, const char* key) {
  if (!obj.is_object()) return {};
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return {};
  return squash(it->get_ref<const std::string&>());
}

std::string json_image(const Json& item) {
  if (!item.is_object()) return {};
  const auto it = item.find("image");
  if (it == item.end()) return {};
  const Json* img = &*it;
  if (img->is_array() && !img->empty()) img = &(*img)[0];
  if (img->is_string()) return img->get<std::string>();
  if (img->is_object()) return json_string(*img, "url");
  return {};
}

bool context_is_schema_org(const Json& item) {
  const auto it = item.find("@context");
  if (it == item.end()) return false;
  auto ok = [](const Json& v) {
    if (!v.is_string()) return false;
    const auto& s = v.get_ref<const std::string&>();
    return s.find("schema.org") != std::string::npos;
  };
  if (ok(*it)) return true;
  if (it->is_object()) {
    const auto vocab = it->find("@vocab");
    return vocab != it->end() && ok(*vocab);
  }
  if (it->is_array()) {
    for (const Json& v : *it) {
      if (ok(v)) return true;
    }
  }
  return false;
}

void read_ld_item(const Json& item, LdArticle& out) {
  out.found = true;
  out.name = json_string(item, "name");
  out.headline = json_string(item, "headline");
  const auto author = item.find("author");
  if (author != item.end()) {
    if (author->is_object()) {
      out.byline = json_string(*author, "name");
    } else if (author->is_array()) {
      std::string joined;
      for (const Json& a : *author) {
        const std::string name = json_string(a, "name");
        if (name.empty()) continue;
        if (!joined.empty()) joined += ", ";
        joined += name;
      }
      out.byline = joined;
    }
  }
  const auto publisher = item.find("publisher");
  if (publisher != item.end()) out.site_name = json_string(*publisher, "name");
  out.published = json_string(item, "datePublished");
  out.modified = json_string(item, "dateModified");
  out.image = json_image(item);
  const auto type = item.find("@type");
  if (type != item.end() && type->is_string()) out.type = type->get<std::string>();
}

// The first JSON-LD item of an article type, as Readability picks it.
LdArticle read_json_ld(const HtmlDocument& doc) {
  LdArticle out;
  for (const std::string& raw : doc.json_ld()) {
    string_view s = raw;
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    if (s.rfind("<![CDATA[", 0) == 0) s.remove_prefix(9);
    if (s.size() >= 3 && s.substr(s.size() - 3) == "]]>") s.remove_suffix(3);
    Json parsed = Json::parse(s, nullptr, false);
    if (parsed.is_discarded()) continue;
    const Json* item = &parsed;
    if (parsed.is_array()) {
      item = nullptr;
      for (const Json& it : parsed) {
        if (json_type_matches(it)) {
          item = &it;
          break;
        }
      }
      if (item == nullptr) continue;
    }
    if (!item->is_object() || !context_is_schema_org(*item)) continue;
    if (item->find("@type") == item->end()) {
      const auto graph = item->find("@graph");
      if (graph == item->end() || !graph->is_array()) continue;
      const Json* found = nullptr;
      for (const Json& it : *graph) {
        if (json_type_matches(it)) {
          found = &it;
          break;
        }
      }
      if (found == nullptr) continue;
      item = found;
    }
    if (!json_type_matches(*item)) continue;
    read_ld_item(*item, out);
    return out;
  }
  return out;
}

// 1 - (share of b's text made of tokens absent from a), as Readability's textSimilarity.
double text_similarity(string_view a, string_view b) {
  auto tokens = [](string_view s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '_') {
        cur.push_back(static_cast<char>(u >= 'A' && u <= 'Z' ? u + 32 : u));
      } else if (!cur.empty()) {
        out.push_back(cur);
        cur.clear();
      }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
  };
  const auto ta = tokens(a);
  const auto tb = tokens(b);
  if (ta.empty() || tb.empty()) return 0;
  std::size_t all = 0;
  std::size_t uniq = 0;
  std::size_t uniq_count = 0;
  for (const auto& t : tb) all += t.size();
  all += tb.size() - 1;
  for (const auto& t : tb) {
    if (std::find(ta.begin(), ta.end(), t) == ta.end()) {
      uniq += t.size();
      ++uniq_count;
    }
  }
  if (uniq_count > 0) uniq += uniq_count - 1;
  return 1.0 - static_cast<double>(uniq) / static_cast<double>(all);
}

std::optional<TimePoint> parse_date_value(string_view s) {
  if (s.empty()) return std::nullopt;
  if (auto t = parse_iso8601(s)) return t;
  return parse_feed_date(s);
}

NodeId find_first(const HtmlDocument& doc, Tag tag, NodeId from = 0) {
  for (NodeId k = from; k < doc.size(); ++k) {
    if (doc.tag(k) == tag) return k;
  }
  return k_no_node;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string resolve(string_view base, string_view ref) {
  const std::string r = squash(ref);
  if (r.empty()) return r;
  if (base.empty()) return r;
  return resolve_url_string(base, r);
}

// "By Jane Doe" -> "Jane Doe": the preposition of a byline is not part of the name.
std::string clean_byline(std::string byline) {
  static constexpr string_view k_prefixes[] = {"by ",
                                               "von ",
                                               "par ",
                                               "por ",
                                               "di ",
                                               "door ",
                                               "av ",
                                               "\xD0\xBE\xD1\x82 ",
                                               "\xD0\x9E\xD1\x82 "};
  for (string_view p : k_prefixes) {
    if (byline.size() > p.size() + 1 && iequals(string_view(byline).substr(0, p.size()), p)) {
      return byline.substr(p.size());
    }
  }
  return byline;
}

}  // namespace

std::string primary_language(string_view tag) {
  std::string out;
  for (char c : tag) {
    if (c == '-' || c == '_' || c == ',' || c == ';' || is_space(c)) {
      if (!out.empty()) break;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return {};
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  }
  if (out.size() < 2 || out.size() > 3) return {};
  return out;
}

std::string title_from_title_element(const HtmlDocument& doc) {
  const NodeId t = find_first(doc, Tag::title);
  const std::string orig = t == k_no_node ? std::string() : squash(doc.text_content(t));
  std::string cur = orig;
  bool hierarchical = false;
  // " | ", " - ", " / ", " > ", " » " with spaces on both sides.
  std::size_t last_sep = std::string::npos;
  bool has_spaced_sep = false;
  for (std::size_t k = 1; k + 1 < orig.size(); ++k) {
    std::size_t len = 0;
    if (orig[k - 1] == ' ' && is_separator_char(orig, k, len) && k + len < orig.size() &&
        orig[k + len] == ' ') {
      has_spaced_sep = true;
      if (is_hierarchical_separator(orig, k)) hierarchical = true;
    }
  }
  if (has_spaced_sep) {
    // Everything before the last separator that is followed by a space.
    for (std::size_t k = 0; k + 1 < orig.size(); ++k) {
      std::size_t len = 0;
      if (is_separator_char(orig, k, len) && k + len < orig.size() && orig[k + len] == ' ') {
        last_sep = k;
      }
    }
    if (last_sep != std::string::npos) cur = orig.substr(0, last_sep);
    if (word_count(cur) < 3) {
      // Everything after the first separator.
      for (std::size_t k = 0; k < orig.size(); ++k) {
        std::size_t len = 0;
        if (is_separator_char(orig, k, len)) {
          cur = orig.substr(k + len);
          break;
        }
      }
    }
  } else if (orig.find(": ") != std::string::npos) {
    bool match = false;
    for (NodeId k = 0; k < doc.size() && !match; ++k) {
      if (doc.tag(k) == Tag::h1 || doc.tag(k) == Tag::h2)
        match = squash(doc.text_content(k)) == orig;
    }
    if (!match) {
      cur = orig.substr(orig.rfind(':') + 1);
      if (word_count(cur) < 3) {
        cur = orig.substr(orig.find(':') + 1);
      } else if (word_count(string_view(orig).substr(0, orig.find(':'))) > 5) {
        cur = orig;
      }
    }
  } else if (orig.size() > 150 || orig.size() < 15) {
    NodeId only = k_no_node;
    int count = 0;
    for (NodeId k = 0; k < doc.size(); ++k) {
      if (doc.tag(k) == Tag::h1) {
        ++count;
        only = k;
      }
    }
    if (count == 1) cur = doc.text_content(only);
  }
  cur = squash(cur);
  const std::size_t words = word_count(cur);
  if (words <= 4) {
    std::string without_seps;
    for (std::size_t k = 0; k < orig.size(); ++k) {
      std::size_t len = 0;
      if (is_separator_char(orig, k, len)) {
        k += len - 1;
        continue;
      }
      without_seps.push_back(orig[k]);
    }
    if (!hierarchical || words != word_count(without_seps) - 1) cur = orig;
  }
  return cur;
}

namespace {

// Letters and digits only, ASCII lower-cased: "Aerobuzz.de" -> "aerobuzzde".
std::string name_key_of(string_view s) {
  std::string out;
  for (std::size_t k = 0; k < s.size(); ++k) {
    const auto c = static_cast<unsigned char>(s[k]);
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c + 32));
    } else if (c == 0xC3 && k + 1 < s.size()) {
      // German letters as host names spell them: "Grünau" -> "gruenau".
      const auto d = static_cast<unsigned char>(s[++k]) | 0x20;
      if (d == 0xA4) {
        out += "ae";
      } else if (d == 0xB6) {
        out += "oe";
      } else if (d == 0xBC) {
        out += "ue";
      } else if (d == 0x9F || d == 0xBF) {
        out += "ss";
      } else {
        out.push_back(static_cast<char>(c));
        out.push_back(s[k]);
      }
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// The host of an absolute URL without "www." ("https://www.aerobuzz.de/x" -> "aerobuzz.de").
string_view host_of(string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == string_view::npos) return {};
  url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/:?#"));
  if (url.substr(0, 4) == "www.") url.remove_prefix(4);
  return url;
}

// True when a title segment names the site: its name ("Heavenlynn Healthy") or its host
// ("Aerobuzz.de", "Rezept von Backen.de").
bool names_site(string_view segment, string_view site_name, string_view host) {
  const std::string key = name_key_of(segment);
  if (key.size() < 2) return false;
  const std::string site = name_key_of(site_name);
  if (!site.empty() && (key == site || (site.size() >= 4 && key.find(site) != std::string::npos &&
                                        word_count(segment) <= word_count(site_name) + 2))) {
    return true;
  }
  if (host.empty()) return false;
  const std::string host_key = name_key_of(host);
  // The registrable label: "aerobuzz" of "aerobuzz.de", "thestkittsnevisobserver" of ".com".
  const std::size_t dot = host.rfind('.');
  const std::size_t before =
      dot == string_view::npos ? string_view::npos : host.rfind('.', dot - 1);
  const std::size_t from = before == string_view::npos ? 0 : before + 1;
  const std::string label =
      name_key_of(dot == string_view::npos ? host : host.substr(from, dot - from));
  if (key == host_key || key == label) return true;
  return label.size() >= 4 && key.find(label) != std::string::npos && word_count(segment) <= 4;
}

}  // namespace

std::string strip_site_name(string_view title, string_view site_name, string_view url) {
  const string_view host = host_of(url);
  // Segments between separators with a space on each side: "A | B - C".
  std::vector<std::pair<std::size_t, std::size_t>> cuts;  // separator begin, end
  for (std::size_t k = 1; k + 1 < title.size(); ++k) {
    std::size_t len = 0;
    if (title[k - 1] == ' ' && is_separator_char(title, k, len) && k + len < title.size() &&
        title[k + len] == ' ') {
      cuts.emplace_back(k - 1, k + len + 1);
      k += len;
    }
  }
  if (cuts.empty()) return std::string(title);
  string_view rest = title;
  const string_view last = title.substr(cuts.back().second);
  if (names_site(last, site_name, host)) {
    rest = title.substr(0, cuts.back().first);
  } else {
    // A leading site name goes only when more than one word follows.
    const string_view first = title.substr(0, cuts.front().first);
    const string_view after = title.substr(cuts.front().second);
    if (word_count(after) >= 2 && names_site(first, site_name, host)) rest = after;
  }
  // What is left must still read like a title.
  if (word_count(rest) < 2 && rest.size() < 12) return std::string(title);
  return squash(rest);
}

std::string byline_from_body(const HtmlDocument& doc) {
  const NodeId body = doc.body();
  const NodeId end = doc.node(body).subtree_end;
  for (NodeId k = body; k < end; ++k) {
    if (doc.is_text(k)) continue;
    const string_view rel = doc.attr(k, "rel");
    const string_view itemprop = doc.attr(k, "itemprop");
    bool candidate = rel == "author" || itemprop.find("author") != string_view::npos;
    if (!candidate) {
      std::string names = lower(doc.attr(k, "class"));
      names.push_back(' ');
      names += lower(doc.attr(k, "id"));
      for (string_view w : {"byline", "author", "dateline", "writtenby", "p-author"}) {
        if (names.find(w) != std::string::npos) candidate = true;
      }
    }
    if (!candidate) continue;
    // A nested itemprop=name holds the name alone.
    NodeId name_node = k;
    for (NodeId c = k + 1; c < doc.node(k).subtree_end; ++c) {
      if (!doc.is_text(c) && doc.attr(c, "itemprop").find("name") != string_view::npos) {
        name_node = c;
        break;
      }
    }
    // Readability measures the raw text (white space kept) against its limit of 100.
    std::size_t raw = 0;
    bool started = false;
    std::size_t trailing = 0;
    for (NodeId t = name_node; t < doc.node(name_node).subtree_end; ++t) {
      for (char c : doc.text(t)) {
        if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) continue;
        if (is_space(c)) {
          if (started) ++trailing;
          continue;
        }
        started = true;
        raw += trailing + 1;
        trailing = 0;
      }
    }
    const std::string text = squash(doc.text_content(name_node));
    if (!text.empty() && raw < 100) return text;
  }
  return {};
}

std::optional<TimePoint> find_date_in_text(string_view text) {
  // Find 4-digit years, then let the feed-date parser read the few words before them.
  for (std::size_t k = 0; k + 4 <= text.size(); ++k) {
    if (!(is_digit(text[k]) && is_digit(text[k + 1]) && is_digit(text[k + 2]) &&
          is_digit(text[k + 3]))) {
      continue;
    }
    if ((k > 0 && is_digit(text[k - 1])) || (k + 4 < text.size() && is_digit(text[k + 4]))) {
      continue;
    }
    const int year = (text[k] - '0') * 1000 + (text[k + 1] - '0') * 100 + (text[k + 2] - '0') * 10 +
                     (text[k + 3] - '0');
    if (year < 1990 || year > 2100) continue;
    std::size_t begin = k >= 24 ? k - 24 : 0;
    // ISO dates start at the year.
    std::size_t end = k + 4;
    if (end + 6 <= text.size() && (text[end] == '-' || text[end] == '/') &&
        is_digit(text[end + 1])) {
      begin = k;
      end = std::min(text.size(), k + 10);
    }
    while (begin > 0 && begin < k && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) {
      --begin;
    }
    // Try later and later starts so that stray numbers before the date do not confuse it.
    for (std::size_t s = begin; s <= k; ++s) {
      if (s > begin && !(text[s - 1] == ' ' || text[s - 1] == '\n' || text[s - 1] == ',' ||
                         text[s - 1] == '(' || text[s - 1] == ':')) {
        continue;
      }
      const string_view window = text.substr(s, end - s);
      bool has_day = false;
      for (char c : window.substr(0, window.size() - 4)) has_day = has_day || is_digit(c);
      if (!has_day && end == k + 4) break;
      if (auto t = parse_feed_date(window)) return t;
    }
  }
  return std::nullopt;
}

std::optional<TimePoint> date_from_url(string_view url) {
  for (std::size_t k = 0; k + 10 <= url.size(); ++k) {
    if (url[k] != '/' || !is_digit(url[k + 1])) continue;
    const string_view rest = url.substr(k + 1);
    if (rest.size() < 10 || !is_digit(rest[1]) || !is_digit(rest[2]) || !is_digit(rest[3]))
      continue;
    const char sep = rest[4];
    if (sep != '/' && sep != '-') continue;
    if (!is_digit(rest[5]) || !is_digit(rest[6]) || rest[7] != sep || !is_digit(rest[8]) ||
        !is_digit(rest[9])) {
      continue;
    }
    if (rest.size() > 10 && is_digit(rest[10])) continue;
    std::string iso(rest.substr(0, 10));
    iso[4] = '-';
    iso[7] = '-';
    if (auto t = parse_iso8601(iso)) return t;
  }
  return std::nullopt;
}

PageMetadata read_metadata(const HtmlDocument& doc, string_view page_url) {
  PageMetadata md;
  MetaValues meta;
  std::map<std::string, std::string, std::less<>> extra;  // lower-cased name/property/itemprop
  std::string canonical;
  std::string base(page_url);
  std::string lang(doc.attr(doc.root(), "lang"));
  if (lang.empty()) lang = std::string(doc.attr(doc.root(), "xml:lang"));
  std::string time_datetime;
  std::string itemprop_published;
  std::string itemprop_modified;

  for (NodeId k = 0; k < doc.size(); ++k) {
    const Tag t = doc.tag(k);
    if (t == Tag::meta) {
      const string_view content_attr = doc.attr(k, "content");
      const string_view name = doc.attr(k, "name");
      const string_view property = doc.attr(k, "property");
      const string_view itemprop = doc.attr(k, "itemprop");
      const string_view http_equiv = doc.attr(k, "http-equiv");
      if (content_attr.empty()) continue;
      const std::string content = squash(content_attr);
      bool matched = false;
      if (!property.empty()) {
        const std::string key = property_key(property);
        if (!key.empty()) {
          meta.values[key] = content;
          matched = true;
        }
      }
      if (!matched && !name.empty()) {
        const std::string key = name_key(name);
        if (!key.empty()) meta.values[key] = content;
      }
      for (string_view key : {name, property, itemprop}) {
        if (!key.empty()) extra.emplace(lower(key), content);
      }
      if (!http_equiv.empty() && iequals(http_equiv, "content-language") && lang.empty()) {
        lang = content;
      }
    } else if (t == Tag::link) {
      const std::string rel = lower(doc.attr(k, "rel"));
      if (canonical.empty() && rel == "canonical") canonical = std::string(doc.attr(k, "href"));
    } else if (t == Tag::base) {
      const string_view href = doc.attr(k, "href");
      if (!href.empty() && !page_url.empty()) base = resolve_url_string(page_url, href);
    } else if (t == Tag::time) {
      const string_view dt = doc.attr(k, "datetime");
      if (time_datetime.empty() && !dt.empty()) time_datetime = std::string(dt);
    } else if (t != Tag::text) {
      const string_view itemprop = doc.attr(k, "itemprop");
      if (itemprop == "datePublished" && itemprop_published.empty()) {
        string_view v = doc.attr(k, "datetime");
        if (v.empty()) v = doc.attr(k, "content");
        itemprop_published = v.empty() ? doc.text_content(k) : std::string(v);
      } else if (itemprop == "dateModified" && itemprop_modified.empty()) {
        string_view v = doc.attr(k, "datetime");
        if (v.empty()) v = doc.attr(k, "content");
        itemprop_modified = v.empty() ? doc.text_content(k) : std::string(v);
      }
    }
  }

  const LdArticle ld = read_json_ld(doc);
  md.has_article_ld = ld.found;
  auto first_of = [](std::initializer_list<string_view> options) {
    for (string_view o : options) {
      if (!o.empty()) return std::string(o);
    }
    return std::string();
  };
  auto get_extra = [&](string_view key) {
    const auto it = extra.find(key);
    return it == extra.end() ? string_view() : string_view(it->second);
  };

  std::string ld_title;
  if (!ld.name.empty() && !ld.headline.empty() && ld.name != ld.headline) {
    const std::string title = title_from_title_element(doc);
    const bool name_matches = text_similarity(ld.name, title) > 0.75;
    const bool headline_matches = text_similarity(ld.headline, title) > 0.75;
    ld_title = headline_matches && !name_matches ? ld.headline : ld.name;
  } else {
    ld_title = !ld.name.empty() ? ld.name : ld.headline;
  }
  md.title =
      first_of({ld_title, meta.get("dc:title"), meta.get("dcterm:title"), meta.get("og:title"),
                meta.get("weibo:article:title"), meta.get("weibo:webpage:title"), meta.get("title"),
                meta.get("twitter:title"), meta.get("parsely-title")});
  const bool from_title_element = md.title.empty();
  if (from_title_element) md.title = title_from_title_element(doc);
  md.title = squash(unescape_entities(md.title));

  string_view article_author = meta.get("article:author");
  if (is_url(article_author)) article_author = {};
  md.byline = first_of({ld.byline, meta.get("dc:creator"), meta.get("dcterm:creator"),
                        meta.get("author"), meta.get("parsely-author"), article_author});
  if (md.byline.empty()) md.byline = byline_from_body(doc);
  md.byline = clean_byline(squash(unescape_entities(md.byline)));

  md.site_name = squash(unescape_entities(first_of({ld.site_name, meta.get("og:site_name")})));
  if (from_title_element) {
    // "Title | Site" with a short title, which the separator rules keep whole: the site's
    // name is not part of the headline, unless the page's own <h1> says it is.
    bool is_headline = false;
    for (NodeId k = 0; k < doc.size() && !is_headline; ++k) {
      if (doc.tag(k) == Tag::h1) is_headline = squash(doc.text_content(k)) == md.title;
    }
    if (!is_headline) {
      std::string url = canonical.empty() ? std::string(get_extra("og:url")) : canonical;
      if (host_of(url).empty()) url = std::string(page_url);
      md.title = strip_site_name(md.title, md.site_name, url);
    }
  }
  md.description = squash(unescape_entities(first_of(
      {meta.get("dc:description"), meta.get("dcterm:description"), meta.get("og:description"),
       meta.get("description"), meta.get("twitter:description")})));

  for (string_view v :
       {string_view(ld.published), meta.get("article:published_time"), meta.get("parsely-pub-date"),
        get_extra("og:published_time"), get_extra("article:published"), get_extra("datepublished"),
        get_extra("dc.date.issued"), get_extra("dcterms.issued"), get_extra("dc.date"),
        get_extra("dcterms.date"), get_extra("date"), get_extra("pubdate"),
        get_extra("publishdate"), get_extra("publish-date"), get_extra("sailthru.date"),
        get_extra("article.published"), get_extra("published-date"),
        string_view(itemprop_published), string_view(time_datetime)}) {
    if (auto t = parse_date_value(v)) {
      md.published = t;
      break;
    }
  }
  for (string_view v :
       {string_view(ld.modified), get_extra("article:modified_time"), get_extra("og:updated_time"),
        get_extra("datemodified"), get_extra("dcterms.modified"), get_extra("last-modified"),
        string_view(itemprop_modified)}) {
    if (auto t = parse_date_value(v)) {
      md.modified = t;
      break;
    }
  }

  md.language = primary_language(lang);

  std::string canon = canonical;
  if (canon.empty()) canon = std::string(get_extra("og:url"));
  md.canonical_url = resolve(base, canon);
  if (md.canonical_url.empty() || !parse_url(md.canonical_url))
    md.canonical_url = std::string(page_url);

  md.image = resolve(base, first_of({get_extra("og:image"), get_extra("og:image:url"),
                                     get_extra("og:image:secure_url"), get_extra("twitter:image"),
                                     get_extra("twitter:image:src"), ld.image}));
  md.type = first_of({get_extra("og:type"), ld.type});
  return md;
}

}  // namespace newswatch::parsers
