#include "parsers/feed_parser.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstdint>
#include <cstring>
#include <mutex>

#include "core/url.h"
#include "parsers/charset.h"
#include "parsers/dates.h"
#include "parsers/feed_gzip.h"
#include "parsers/feed_json.h"
#include "parsers/feed_text.h"
#include "parsers/feed_xml_repair.h"

namespace newswatch::parsers {

namespace {

constexpr size_t npos = std::string_view::npos;

enum class Ns {
  none,
  core,  // RSS 1.0 / 0.90 namespaces, or an unknown default namespace on RSS elements
  atom,
  atom03,
  rdf,
  content,
  dc,
  dcterms,
  media,
  feedburner,
  sitemap,
  news,
  xhtml,
  other,
};

Ns ns_from_href(std::string_view href) {
  if (href == "http://www.w3.org/2005/Atom") return Ns::atom;
  if (href == "http://purl.org/atom/ns#") return Ns::atom03;
  if (href == "http://purl.org/rss/1.0/" || href == "http://my.netscape.com/rdf/simple/0.9/" ||
      href == "http://channel.netscape.com/rdf/simple/0.9/") {
    return Ns::core;
  }
  if (href == "http://www.w3.org/1999/02/22-rdf-syntax-ns#") return Ns::rdf;
  if (href == "http://purl.org/rss/1.0/modules/content/") return Ns::content;
  if (href == "http://purl.org/dc/elements/1.1/") return Ns::dc;
  if (href == "http://purl.org/dc/terms/") return Ns::dcterms;
  if (href.substr(0, 27) == "http://search.yahoo.com/mrs") return Ns::media;
  if (href == "http://rssnamespace.org/feedburner/ext/1.0") return Ns::feedburner;
  if (href.find("sitemaps.org/schemas/sitemap") != npos ||
      href.find("google.com/schemas/sitemap/0.") != npos) {
    return Ns::sitemap;
  }
  if (href.find("google.com/schemas/sitemap-news") != npos) return Ns::news;
  if (href == "http://www.w3.org/1999/xhtml") return Ns::xhtml;
  return Ns::other;
}

// For prefixes a feed used without declaring them; libxml2 keeps the whole "dc:creator" as name.
Ns ns_from_prefix(std::string_view prefix) {
  if (prefix == "atom") return Ns::atom;
  if (prefix == "content") return Ns::content;
  if (prefix == "dc") return Ns::dc;
  if (prefix == "dcterms") return Ns::dcterms;
  if (prefix == "media") return Ns::media;
  if (prefix == "feedburner") return Ns::feedburner;
  if (prefix == "news") return Ns::news;
  if (prefix == "rdf") return Ns::rdf;
  if (prefix == "rss") return Ns::core;
  return Ns::other;
}

struct Name {
  Ns ns = Ns::none;
  std::string_view local;
  bool is(Ns n, std::string_view l) const { return ns == n && local == l; }
  // Plain RSS element: no namespace, RSS 1.0's, or a stray default namespace.
  bool core(std::string_view l) const { return (ns == Ns::none || ns == Ns::core) && local == l; }
};

Name name_of(const xmlNode* n) {
  const std::string_view name(reinterpret_cast<const char*>(n->name));
  if (n->ns != nullptr && n->ns->href != nullptr) {
    Ns ns = ns_from_href(reinterpret_cast<const char*>(n->ns->href));
    if (ns == Ns::other && n->ns->prefix == nullptr) ns = Ns::core;
    return {ns, name};
  }
  const size_t colon = name.find(':');
  if (colon != npos) return {ns_from_prefix(name.substr(0, colon)), name.substr(colon + 1)};
  return {Ns::none, name};
}

bool is_element(const xmlNode* n) { return n->type == XML_ELEMENT_NODE; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

// The value of attribute `local` (any namespace), or "" when absent.
std::string_view attr(const xmlNode* n, std::string_view local) {
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    if (local == reinterpret_cast<const char*>(a->name)) {
      if (a->children != nullptr && a->children->content != nullptr) {
        return reinterpret_cast<const char*>(a->children->content);
      }
      return {};
    }
  }
  return {};
}

bool has_attr(const xmlNode* n, std::string_view local) {
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    if (local == reinterpret_cast<const char*>(a->name)) return true;
  }
  return false;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

// Atom text constructs: type="html"/"xhtml" (and Atom 0.3's escaped mode or text/html) carry
// markup; "text" or no type is plain text.
bool atom_is_markup(const xmlNode* n) {
  const std::string type = lower_ascii(trim(attr(n, "type")));
  if (type == "html" || type == "xhtml" || type == "text/html" || type == "application/xhtml+xml") {
    return true;
  }
  return trim(attr(n, "mode")) == "escaped" && type != "text/plain" && type != "text";
}

uint64_t fnv1a(std::string_view s, uint64_t h = 1469598103934665603ULL) {
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

std::string hash_id(std::string_view title, std::string_view date) {
  const uint64_t h = fnv1a(date, fnv1a("\x1f", fnv1a(title)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "hash:%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// "jo@example.org (Jo Doe)" -> "Jo Doe"; "Jo Doe <jo@example.org>" -> "Jo Doe".
std::string clean_author(std::string_view raw) {
  std::string line = normalize_line(raw);
  std::string_view a = line;
  const size_t open = a.find('(');
  const size_t close = a.rfind(')');
  if (a.find('@') != npos && open != npos && close != npos && close > open + 1) {
    return std::string(trim(a.substr(open + 1, close - open - 1)));
  }
  const size_t lt = a.find('<');
  if (lt != npos && lt > 0 && a.find('@', lt) != npos) return std::string(trim(a.substr(0, lt)));
  return line;
}

void add_author(std::string& authors, std::string_view name) {
  const std::string clean = clean_author(name);
  if (clean.empty()) return;
  if (authors.find(clean) != npos) return;
  if (!authors.empty()) authors += ", ";
  authors += clean;
}

struct RawEntry {
  std::string title;
  bool title_markup = true;
  std::string link;
  const xmlNode* link_node = nullptr;
  std::string guid;
  bool guid_permalink = true;
  std::string atom_id;
  std::string about;
  std::string orig_link;
  std::string published;
  std::string updated;
  std::string summary;
  bool summary_markup = true;
  std::string content;
  bool content_markup = true;
  std::string author;
  std::string media_title;
  std::string media_description;
};

class XmlFeedReader {
 public:
  XmlFeedReader(xmlDoc* doc, const FeedParseOptions& options, const RepairedXml& repaired)
      : m_doc(doc),
        m_options(options),
        m_has_xml_base(repaired.has_xml_base),
        m_cdata(repaired.cdata) {}

  Result<Feed> read(const xmlNode* root) {
    const Name rn = name_of(root);
    if (rn.local == "rss" || rn.local == "channel") {
      m_feed.kind = FeedKind::rss;
      read_rss(root);
    } else if (rn.local == "RDF") {
      m_feed.kind = FeedKind::rss;
      read_rss(root);
    } else if (rn.local == "feed") {
      m_feed.kind = FeedKind::atom;
      read_atom(root);
    } else if (rn.local == "urlset" || rn.local == "sitemapindex") {
      m_feed.kind = FeedKind::sitemap;
      read_sitemap(root);
    } else {
      return make_error(ErrorCode::parse_error,
                        "not a feed: unexpected root element <" +
                            std::string(reinterpret_cast<const char*>(root->name)) + ">");
    }
    return std::move(m_feed);
  }

 private:
  // Appends the text below `n`; CDATA placeholders expand to the text they stand for.
  void append_text(const xmlNode* n, std::string& out) const {
    for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
      switch (c->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
          if (c->content != nullptr) out.append(expand(reinterpret_cast<const char*>(c->content)));
          break;
        case XML_ELEMENT_NODE: append_text(c, out); break;
        case XML_ENTITY_REF_NODE: {
          // Entities declared in an internal subset: substitute their text, never load anything.
          const auto* ent = reinterpret_cast<const xmlEntity*>(c->children);
          if (ent != nullptr && ent->type == XML_ENTITY_DECL &&
              ent->etype == XML_INTERNAL_GENERAL_ENTITY && ent->content != nullptr) {
            out.append(reinterpret_cast<const char*>(ent->content));
          }
          break;
        }
        default: break;
      }
    }
  }

  std::string_view expand(std::string_view text) const {
    const long index = cdata_placeholder_index(text);
    if (index < 0 || static_cast<size_t>(index) >= m_cdata.size()) return text;
    return m_cdata[static_cast<size_t>(index)];
  }

  std::string text_of(const xmlNode* n) const {
    // Most elements hold one text node: return it without the append machinery.
    const xmlNode* c = n->children;
    if (c != nullptr && c->next == nullptr &&
        (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content != nullptr) {
      return std::string(expand(reinterpret_cast<const char*>(c->content)));
    }
    std::string out;
    append_text(n, out);
    return out;
  }

  std::string trimmed_text(const xmlNode* n) const { return std::string(trim(text_of(n))); }

  // The base URL in effect at `n`: xml:base chain (when the document uses it), else the
  // document URL, else the feed's own home link.
  std::string base_at(const xmlNode* n) const {
    std::string fallback = m_options.url.empty() ? m_feed.link : m_options.url;
    if (!m_has_xml_base || n == nullptr) return fallback;
    xmlChar* b = xmlNodeGetBase(m_doc, n);
    if (b == nullptr) return fallback;
    std::string base(reinterpret_cast<const char*>(b));
    xmlFree(b);
    if (!fallback.empty()) return resolve_url_string(fallback, base);
    return base;
  }

  static std::string resolve(const std::string& base, std::string_view ref) {
    ref = trim(ref);
    if (ref.empty()) return {};
    if (base.empty()) return std::string(ref);
    return resolve_url_string(base, ref);
  }

  // rss, channel or rdf:RDF: the channel's metadata and every item in document order.
  void read_rss(const xmlNode* root) {
    const xmlNode* channel = nullptr;
    if (name_of(root).local == "channel") {
      channel = root;
    } else {
      for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
        if (is_element(c) && name_of(c).local == "channel") {
          channel = c;
          break;
        }
      }
    }
    if (channel != nullptr) read_channel_meta(channel);
    // Items live in the channel (RSS 2.0) or beside it (RSS 1.0, 0.90); broken feeds do both.
    if (channel != nullptr) read_items(channel);
    if (channel != root) read_items(root);
  }

  void read_channel_meta(const xmlNode* channel) {
    std::string atom_link;
    for (const xmlNode* c = channel->children; c != nullptr; c = c->next) {
      if (!is_element(c)) continue;
      const Name n = name_of(c);
      if (n.core("title") && m_feed.title.empty()) {
        m_feed.title = html_to_line(text_of(c));
      } else if (n.core("link") && m_feed.link.empty()) {
        m_feed.link = trimmed_text(c);
      } else if (n.is(Ns::atom, "link") && atom_link.empty()) {
        const std::string rel(trim(attr(c, "rel")));
        if (rel.empty() || rel == "alternate") atom_link = trim(attr(c, "href"));
      }
    }
    if (m_feed.link.empty()) m_feed.link = atom_link;
    const std::string base = m_options.url;
    if (!base.empty() && !m_feed.link.empty()) m_feed.link = resolve(base, m_feed.link);
  }

  void read_items(const xmlNode* parent) {
    for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
      if (is_element(c) && name_of(c).local == "item") read_rss_item(c);
    }
  }

  void read_rss_item(const xmlNode* item) {
    RawEntry e;
    e.about = std::string(trim(attr(item, "about")));
    for (const xmlNode* c = item->children; c != nullptr; c = c->next) {
      if (!is_element(c)) continue;
      const Name n = name_of(c);
      switch (n.ns) {
        case Ns::none:
        case Ns::core:
          if (n.local == "title") {
            if (e.title.empty()) e.title = text_of(c);
          } else if (n.local == "link") {
            if (e.link.empty()) {
              e.link = trimmed_text(c);
              e.link_node = c;
            }
          } else if (n.local == "description") {
            if (e.summary.empty()) e.summary = text_of(c);
          } else if (n.local == "guid") {
            e.guid = trimmed_text(c);
            e.guid_permalink = lower_ascii(trim(attr(c, "isPermaLink"))) != "false";
          } else if (n.local == "pubDate") {
            if (e.published.empty()) e.published = text_of(c);
          } else if (n.local == "author") {
            add_author(e.author, text_of(c));
          }
          break;
        case Ns::content:
          if (n.local == "encoded" && e.content.empty()) e.content = text_of(c);
          break;
        case Ns::dc:
          if (n.local == "creator" || n.local == "author") {
            add_author(e.author, text_of(c));
          } else if (n.local == "date") {
            if (e.published.empty()) e.published = text_of(c);
          } else if (n.local == "title") {
            if (e.title.empty()) e.title = text_of(c);
          } else if (n.local == "description") {
            if (e.summary.empty()) e.summary = text_of(c);
          } else if (n.local == "identifier") {
            if (e.atom_id.empty()) e.atom_id = trimmed_text(c);
          }
          break;
        case Ns::dcterms:
          if (n.local == "modified") {
            if (e.updated.empty()) e.updated = text_of(c);
          } else if (n.local == "issued" || n.local == "created" || n.local == "date") {
            if (e.published.empty()) e.published = text_of(c);
          }
          break;
        case Ns::atom: read_atom_child(c, n, e); break;
        case Ns::feedburner:
          if (n.local == "origLink") e.orig_link = trimmed_text(c);
          break;
        case Ns::media: read_media_child(c, n, e); break;
        default: break;
      }
    }
    finish(e);
  }

  void read_media_child(const xmlNode* c, const Name& n, RawEntry& e) {
    if (n.local == "title" && e.media_title.empty()) {
      e.media_title = text_of(c);
    } else if (n.local == "description" && e.media_description.empty()) {
      e.media_description = text_of(c);
    } else if (n.local == "group" || n.local == "content") {
      for (const xmlNode* g = c->children; g != nullptr; g = g->next) {
        if (is_element(g)) {
          const Name gn = name_of(g);
          if (gn.ns == Ns::media) read_media_child(g, gn, e);
        }
      }
    } else if (n.local == "credit" && e.author.empty()) {
      const std::string_view role = attr(c, "role");
      if (role.empty() || role == "author") add_author(e.author, text_of(c));
    }
  }

  // Atom elements, in an Atom entry or mixed into an RSS item.
  void read_atom_child(const xmlNode* c, const Name& n, RawEntry& e) {
    const std::string_view l = n.local;
    if (l == "title") {
      if (e.title.empty()) {
        e.title = text_of(c);
        e.title_markup = atom_is_markup(c);
      }
    } else if (l == "link") {
      const std::string rel = lower_ascii(trim(attr(c, "rel")));
      if ((rel.empty() || rel == "alternate") && e.link.empty()) {
        e.link = trim(attr(c, "href"));
        // Atom 0.3 producers sometimes put the URL in the text.
        if (e.link.empty()) e.link = trimmed_text(c);
        e.link_node = c;
      }
    } else if (l == "id") {
      if (e.atom_id.empty()) e.atom_id = trimmed_text(c);
    } else if (l == "published" || l == "issued" || l == "created") {
      if (e.published.empty()) e.published = text_of(c);
    } else if (l == "updated" || l == "modified") {
      if (e.updated.empty()) e.updated = text_of(c);
    } else if (l == "summary") {
      if (e.summary.empty()) {
        e.summary = text_of(c);
        e.summary_markup = atom_is_markup(c);
      }
    } else if (l == "content") {
      if (e.content.empty() && !has_attr(c, "src")) {
        e.content = text_of(c);
        e.content_markup = atom_is_markup(c);
      }
    } else if (l == "author") {
      std::string name;
      for (const xmlNode* a = c->children; a != nullptr; a = a->next) {
        if (is_element(a) && name_of(a).local == "name") name = text_of(a);
      }
      if (name.empty()) name = text_of(c);
      add_author(e.author, name);
    }
  }

  void read_atom(const xmlNode* feed) {
    std::string feed_author;
    for (const xmlNode* c = feed->children; c != nullptr; c = c->next) {
      if (!is_element(c)) continue;
      const Name n = name_of(c);
      if (n.ns != Ns::atom && n.ns != Ns::atom03 && n.ns != Ns::none && n.ns != Ns::core) continue;
      if (n.local == "title" && m_feed.title.empty()) {
        const std::string t = text_of(c);
        m_feed.title = atom_is_markup(c) ? html_to_line(t) : normalize_line(t);
      } else if (n.local == "link" && m_feed.link.empty()) {
        const std::string rel = lower_ascii(trim(attr(c, "rel")));
        if (rel.empty() || rel == "alternate") {
          const std::string base = base_at(c);
          m_feed.link = resolve(base, attr(c, "href"));
        }
      } else if (n.local == "author") {
        for (const xmlNode* a = c->children; a != nullptr; a = a->next) {
          if (is_element(a) && name_of(a).local == "name") add_author(feed_author, text_of(a));
        }
      }
    }
    for (const xmlNode* c = feed->children; c != nullptr; c = c->next) {
      if (!is_element(c) || name_of(c).local != "entry") continue;
      RawEntry e;
      for (const xmlNode* f = c->children; f != nullptr; f = f->next) {
        if (!is_element(f)) continue;
        const Name n = name_of(f);
        switch (n.ns) {
          case Ns::atom:
          case Ns::atom03:
          case Ns::none:
          case Ns::core: read_atom_child(f, n, e); break;
          case Ns::dc:
            if (n.local == "creator")
              add_author(e.author, text_of(f));
            else if (n.local == "date" && e.published.empty())
              e.published = text_of(f);
            break;
          case Ns::media: read_media_child(f, n, e); break;
          case Ns::feedburner:
            if (n.local == "origLink") e.orig_link = trimmed_text(f);
            break;
          default: break;
        }
      }
      if (e.author.empty()) e.author = feed_author;
      m_entry_base_node = c;
      finish(e);
      m_entry_base_node = nullptr;
    }
  }

  void read_sitemap(const xmlNode* root) {
    const bool index = name_of(root).local == "sitemapindex";
    for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
      if (!is_element(c)) continue;
      const Name cn = name_of(c);
      if (cn.local != "url" && cn.local != "sitemap") continue;
      FeedEntry e;
      std::string published, news_title;
      for (const xmlNode* f = c->children; f != nullptr; f = f->next) {
        if (!is_element(f)) continue;
        const Name n = name_of(f);
        if (n.ns == Ns::news && n.local == "news") {
          for (const xmlNode* g = f->children; g != nullptr; g = g->next) {
            if (!is_element(g)) continue;
            const std::string_view gl = name_of(g).local;
            if (gl == "publication_date")
              published = text_of(g);
            else if (gl == "title")
              news_title = text_of(g);
          }
        } else if (n.ns == Ns::news || n.ns == Ns::media || n.ns == Ns::other) {
          continue;
        } else if (n.local == "loc" && e.link.empty()) {
          e.link = resolve(base_at(f), text_of(f));
        } else if (n.local == "lastmod") {
          e.updated = parse_feed_date(text_of(f));
        }
      }
      if (e.link.empty()) continue;
      if (index || cn.local == "sitemap") {
        m_feed.child_sitemaps.push_back(std::move(e.link));
        continue;
      }
      e.title = html_to_line(news_title);
      e.published = parse_feed_date(published);
      e.id = e.link;
      m_feed.entries.push_back(std::move(e));
    }
  }

  void finish(RawEntry& e) {
    FeedEntry out;
    const std::string& title_raw = e.title.empty() ? e.media_title : e.title;
    out.title = e.title_markup ? html_to_line(title_raw) : normalize_line(title_raw);
    const xmlNode* base_node = e.link_node != nullptr ? e.link_node : m_entry_base_node;
    const std::string base = base_at(base_node);
    std::string link = !e.orig_link.empty() ? e.orig_link : e.link;
    if (link.empty() && !e.guid.empty() && e.guid_permalink &&
        (e.guid.rfind("http://", 0) == 0 || e.guid.rfind("https://", 0) == 0)) {
      link = e.guid;
    }
    if (link.empty() && !e.about.empty()) link = e.about;
    out.link = resolve(base, link);
    const std::string& summary_raw = e.summary.empty() ? e.media_description : e.summary;
    out.summary = e.summary_markup ? html_to_text(summary_raw) : normalize_text(summary_raw);
    out.content = e.content_markup ? html_to_text(e.content) : normalize_text(e.content);
    out.author = std::move(e.author);
    out.published = parse_feed_date(e.published);
    out.updated = parse_feed_date(e.updated);
    if (!e.guid.empty())
      out.id = e.guid;
    else if (!e.atom_id.empty())
      out.id = e.atom_id;
    else if (!out.link.empty())
      out.id = out.link;
    else if (!out.title.empty() || !trim(e.published).empty()) {
      out.id = hash_id(out.title, trim(e.published));
    }
    if (out.id.empty() && out.summary.empty() && out.content.empty()) return;  // empty <item/>
    if (out.id.empty()) out.id = hash_id(out.summary.substr(0, 200), "");
    m_feed.entries.push_back(std::move(out));
  }

  xmlDoc* m_doc;
  const FeedParseOptions& m_options;
  bool m_has_xml_base;
  const std::vector<std::string_view>& m_cdata;
  const xmlNode* m_entry_base_node = nullptr;
  Feed m_feed;
};

bool has_utf8_bom(std::string_view b) { return b.substr(0, 3) == "\xEF\xBB\xBF"; }
bool has_utf16_bom(std::string_view b) {
  return b.substr(0, 2) == "\xFF\xFE" || b.substr(0, 2) == "\xFE\xFF";
}

bool declares_encoding(std::string_view b) {
  size_t i = 0;
  while (i < b.size() && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) ++i;
  if (b.substr(i, 5) != "<?xml") return false;
  const size_t end = b.find("?>", i);
  if (end == npos || end > i + 512) return false;
  return b.substr(i, end - i).find("encoding") != npos;
}

// Validates UTF-8 and counts multi-byte sequences: a declared UTF-8 document without a single
// valid one but with invalid bytes is windows-1252 mislabelled.
struct Utf8Scan {
  bool valid = true;
  size_t multibyte = 0;
};

Utf8Scan scan_utf8(std::string_view s) {
  Utf8Scan r;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len != 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80)
        ok = false;
      else
        cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (ok) {
      static constexpr uint32_t k_min[5] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= k_min[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (!ok) {
      r.valid = false;
      ++i;
      continue;
    }
    ++r.multibyte;
    i += len;
  }
  return r;
}

// The document as UTF-8. `storage` receives converted text when a conversion is needed.
std::string_view xml_to_utf8(std::string_view bytes, std::string_view content_type,
                             std::string& storage) {
  const bool bom = has_utf8_bom(bytes) || has_utf16_bom(bytes);
  std::string cs;
  if (bom || declares_encoding(bytes)) {
    cs = detect_charset(bytes, "", DocumentKind::xml);
  } else {
    cs = detect_charset(bytes, content_type, DocumentKind::xml);
  }
  if (cs == "utf-8" || cs == "us-ascii" || cs == "ascii") {
    std::string_view body = has_utf8_bom(bytes) ? bytes.substr(3) : bytes;
    const Utf8Scan scan = scan_utf8(body);
    if (scan.valid) return body;
    if (scan.multibyte == 0) cs = "windows-1252";
  }
  storage = convert_to_utf8(bytes, cs);
  return storage;
}

void init_libxml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

// Silences libxml2's per-thread error reporting; recover mode makes errors non-fatal.
void ignore_xml_error(void*, xmlError*) {}

constexpr int k_parse_options = XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR |
                                XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_COMPACT |
                                XML_PARSE_IGNORE_ENC;

std::string_view skip_space(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  return s;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if ((s[i] | 0x20) != (prefix[i] | 0x20)) return false;
  }
  return true;
}

// A plain-text sitemap: one absolute URL per line.
Result<Feed> parse_text_sitemap(std::string_view text) {
  Feed feed;
  feed.kind = FeedKind::sitemap;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == npos) eol = text.size();
    const std::string_view line = trim(text.substr(pos, eol - pos));
    pos = eol + 1;
    if (line.empty()) continue;
    if (!starts_with_ci(line, "http://") && !starts_with_ci(line, "https://")) continue;
    if (line.find(' ') != npos) continue;
    FeedEntry e;
    e.link = std::string(line);
    e.id = e.link;
    feed.entries.push_back(std::move(e));
  }
  if (feed.entries.empty()) {
    return make_error(ErrorCode::parse_error, "not a feed: no XML, JSON or URL list found");
  }
  return feed;
}

Result<Feed> parse_xml_feed(std::string_view bytes, const FeedParseOptions& options) {
  std::string storage;
  const std::string_view utf8 = xml_to_utf8(bytes, options.content_type, storage);
  const RepairedXml repaired = repair_feed_xml(utf8);
  if (repaired.root.empty()) {
    return make_error(ErrorCode::parse_error, "not a feed: no root element");
  }
  const std::string root_lower = lower_ascii(repaired.root);
  if (root_lower == "html" || starts_with_ci(skip_space(repaired.text), "<!doctype html")) {
    return make_error(ErrorCode::parse_error, "not a feed: the document is an HTML page");
  }
  init_libxml();
  xmlParserCtxt* ctxt = xmlNewParserCtxt();
  if (ctxt == nullptr) return make_error(ErrorCode::internal, "libxml2: out of memory");
  xmlSetStructuredErrorFunc(nullptr, ignore_xml_error);
  xmlDoc* doc = xmlCtxtReadMemory(
      ctxt, repaired.text.data(), static_cast<int>(repaired.text.size()),
      options.url.empty() ? nullptr : options.url.c_str(), "UTF-8", k_parse_options);
  xmlFreeParserCtxt(ctxt);
  if (doc == nullptr) return make_error(ErrorCode::parse_error, "not a feed: unreadable XML");
  const xmlNode* root = xmlDocGetRootElement(doc);
  Result<Feed> result =
      root == nullptr ? Result<Feed>(make_error(ErrorCode::parse_error, "not a feed: empty XML"))
                      : XmlFeedReader(doc, options, repaired).read(root);
  xmlFreeDoc(doc);
  return result;
}

}  // namespace

Result<Feed> parse_feed(std::string_view bytes, const FeedParseOptions& options) {
  std::string inflated;
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1F &&
      static_cast<unsigned char>(bytes[1]) == 0x8B) {
    Result<std::string> out = gunzip(bytes, k_max_inflated_size);
    if (!out) return out.error();
    inflated = std::move(out).value();
    bytes = inflated;
  }
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    return make_error(ErrorCode::too_large, "document larger than 2 GiB");
  }
  std::string_view body = bytes;
  if (has_utf8_bom(body)) body.remove_prefix(3);
  body = skip_space(body);
  if (body.empty()) return make_error(ErrorCode::parse_error, "not a feed: empty document");
  if (body.front() == '{') return parse_json_feed(body, options.url);
  if (body.front() != '<' && !has_utf16_bom(bytes) &&
      (starts_with_ci(body, "http://") || starts_with_ci(body, "https://"))) {
    return parse_text_sitemap(body);
  }
  return parse_xml_feed(bytes, options);
}

}  // namespace newswatch::parsers
