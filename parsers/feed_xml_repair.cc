#include "parsers/feed_xml_repair.h"

#include <cstring>

#include "parsers/feed_text.h"

namespace newswatch::parsers {

namespace {

constexpr std::string_view k_cdata_open = "<![CDATA[";
constexpr std::string_view k_cdata_close = "]]>";
constexpr size_t npos = std::string_view::npos;

bool is_name_start(unsigned char c) {
  return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' || c >= 0x80;
}
bool is_name_char(unsigned char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':';
}
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Characters XML 1.0 allows in content.
bool is_xml_char(char32_t cp) {
  if (cp < 0x20) return cp == 0x9 || cp == 0xA || cp == 0xD;
  return !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0xFFFE && cp != 0xFFFF && cp <= 0x10FFFF;
}

// Index just past the '>' ending the markup that starts at s[i] == '<'. Quotes count only when
// they open an attribute value; if a quote never closes, the first '>' wins.
size_t xml_tag_end(std::string_view s, size_t i) {
  char quote = 0;
  bool after_eq = false;
  for (size_t j = i + 1; j < s.size(); ++j) {
    const char c = s[j];
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '>') return j + 1;
    if (c == '=') {
      after_eq = true;
    } else if ((c == '"' || c == '\'') && after_eq) {
      quote = c;
      after_eq = false;
    } else if (!is_space(c)) {
      after_eq = false;
    }
  }
  const size_t gt = s.find('>', i);
  return gt == npos ? s.size() : gt + 1;
}

// The qualified name starting at s[i] (empty when none).
std::string_view name_at(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && is_name_char(static_cast<unsigned char>(s[j]))) ++j;
  return s.substr(i, j - i);
}

// End of a prolog construct at s[i] == '<' ("<?...?>", "<!--...-->", "<!DOCTYPE ...[...]>").
size_t prolog_end(std::string_view s, size_t i, bool* saw_subset) {
  if (s.substr(i, 2) == "<?") {
    const size_t e = s.find("?>", i + 2);
    return e == npos ? s.size() : e + 2;
  }
  if (s.substr(i, 4) == "<!--") {
    const size_t e = s.find("-->", i + 4);
    return e == npos ? s.size() : e + 3;
  }
  int depth = 0;
  for (size_t j = i + 2; j < s.size(); ++j) {
    if (s[j] == '[') {
      ++depth;
      if (saw_subset != nullptr) *saw_subset = true;
    } else if (s[j] == ']') {
      --depth;
    } else if (s[j] == '>' && depth <= 0) {
      return j + 1;
    }
  }
  return s.size();
}

std::string_view find_root(std::string_view s) {
  size_t i = 0;
  while ((i = s.find('<', i)) != npos) {
    if (i + 1 < s.size() && (s[i + 1] == '?' || s[i + 1] == '!')) {
      i = prolog_end(s, i, nullptr);
      continue;
    }
    const std::string_view name = name_at(s, i + 1);
    if (!name.empty()) return name;
    ++i;
  }
  return {};
}

std::string_view local_part(std::string_view qname) {
  const size_t colon = qname.find(':');
  return colon == npos ? qname : qname.substr(colon + 1);
}

bool is_text_element(std::string_view qname) {
  const size_t colon = qname.find(':');
  if (colon != npos && qname.substr(0, colon) == "media") return false;
  const std::string_view local = colon == npos ? qname : qname.substr(colon + 1);
  return local == "title" || local == "description" || local == "summary" || local == "content" ||
         local == "encoded" || local == "subtitle" || local == "tagline";
}

// First "<![CDATA[" in s[from, to), or npos. Checks the two bytes after each '<' before comparing,
// since HTML inside CDATA has a '<' every few words.
size_t find_cdata_open(std::string_view s, size_t from, size_t to) {
  const char* base = s.data();
  size_t i = from;
  while (i < to) {
    const void* hit = std::memchr(base + i, '<', to - i);
    if (hit == nullptr) return npos;
    const size_t k = static_cast<size_t>(static_cast<const char*>(hit) - base);
    if (k + 9 <= to && base[k + 1] == '!' && base[k + 2] == '[' &&
        s.substr(k, k_cdata_open.size()) == k_cdata_open) {
      return k;
    }
    i = k + 1;
  }
  return npos;
}

// True when s[k..] is the closing tag `close` ("</name") followed by '>' or whitespace.
bool closing_tag_at(std::string_view s, size_t k, std::string_view close) {
  if (s.substr(k, close.size()) != close) return false;
  const size_t after = k + close.size();
  return after >= s.size() || s[after] == '>' || is_space(s[after]);
}

class Repairer {
 public:
  Repairer(std::string_view s, std::string& out, std::vector<RepairedXml::OutOfLine>& out_of_line)
      : m_s(s), m_out(out), m_out_of_line(out_of_line) {}

  void run() {
    const size_t n = m_s.size();
    size_t i = 0;
    while (i < n) {
      size_t j = i;
      while (j < n && m_s[j] != '<' && m_s[j] != '&') ++j;
      m_out.append(m_s.data() + i, j - i);
      i = j;
      if (i >= n) break;
      if (m_s[i] == '&') {
        i = fix_amp(i, false);
        continue;
      }
      i = markup(i);
    }
  }

 private:
  // Handles markup at m_s[i] == '<'; returns the index after it.
  size_t markup(size_t i) {
    const std::string_view s = m_s;
    const unsigned char next = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (next == '!') {
      if (s.substr(i, k_cdata_open.size()) == k_cdata_open) {
        const size_t e = s.find(k_cdata_close, i + k_cdata_open.size());
        if (e == npos) {
          m_out.append(s.substr(i));
          m_out.append(k_cdata_close);
          return s.size();
        }
        m_out.append(s.substr(i, e + 3 - i));
        return e + 3;
      }
      bool subset = false;
      const size_t e = prolog_end(s, i, &subset);
      if (subset) m_has_subset = true;
      m_out.append(s.substr(i, e - i));
      return e;
    }
    if (next == '?') {
      const size_t e = prolog_end(s, i, nullptr);
      m_out.append(s.substr(i, e - i));
      return e;
    }
    if (next == '/') {
      const size_t e = xml_tag_end(s, i);
      m_out.append(s.substr(i, e - i));
      return e;
    }
    if (!is_name_start(next)) {
      m_out.append("&lt;");
      return i + 1;
    }
    const std::string_view qname = name_at(s, i + 1);
    const size_t e = xml_tag_end(s, i);
    copy_tag(i, e);
    const bool self_closing = e >= 2 && s[e - 2] == '/';
    if (self_closing || !is_text_element(qname)) return e;
    return text_span(qname, e);
  }

  // Copies a start tag, fixing '&' and '<' inside attribute values.
  void copy_tag(size_t from, size_t to) {
    char quote = 0;
    size_t i = from;
    m_out += '<';
    ++i;
    while (i < to) {
      const char c = m_s[i];
      if (quote != 0 && c == quote) {
        quote = 0;
      } else if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else if (c == '&') {
        i = fix_amp(i, true);
        continue;
      } else if (c == '<' && quote != 0) {
        m_out.append("&lt;");
        ++i;
        continue;
      }
      m_out += c;
      ++i;
    }
  }

  // Rewrites '&' at m_s[i] so libxml2 keeps what a browser would show. Returns the next index.
  size_t fix_amp(size_t i, bool in_attribute) {
    const std::string_view s = m_s;
    size_t j = i + 1;
    if (j < s.size() && s[j] == '#') {
      size_t k = j + 1;
      const bool hex = k < s.size() && (s[k] == 'x' || s[k] == 'X');
      if (hex) ++k;
      const size_t digits = k;
      uint32_t v = 0;
      while (k < s.size() && k - digits < 8 &&
             (std::isxdigit(static_cast<unsigned char>(s[k])) != 0)) {
        const char c = s[k];
        if (!hex && !(c >= '0' && c <= '9')) break;
        v = v * (hex ? 16 : 10) + static_cast<uint32_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        ++k;
      }
      if (k > digits && k < s.size() && s[k] == ';' && is_xml_char(v) && !(v >= 0x80 && v < 0xA0)) {
        m_out.append(s.substr(i, k + 1 - i));
        return k + 1;
      }
    } else {
      while (j < s.size() && j - i <= 32 && is_name_char(static_cast<unsigned char>(s[j])) &&
             s[j] != ':') {
        ++j;
      }
      if (j > i + 1 && j < s.size() && s[j] == ';') {
        const std::string_view name = s.substr(i + 1, j - i - 1);
        if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos" ||
            (m_has_subset && html_entity_code_point(name) == 0)) {
          m_out.append(s.substr(i, j + 1 - i));
          return j + 1;
        }
      }
    }
    size_t len = 0;
    const char32_t cp = decode_html_reference(s, i, len);
    if (cp != 0 && (!in_attribute || s[i + len - 1] == ';')) {
      if (cp == '<')
        m_out.append("&lt;");
      else if (cp == '&')
        m_out.append("&amp;");
      else if (cp == '"' && in_attribute)
        m_out.append("&quot;");
      else if (cp == '\'' && in_attribute)
        m_out.append("&apos;");
      else
        append_utf8(m_out, is_xml_char(cp) ? cp : 0xFFFD);
      return i + len;
    }
    m_out.append("&amp;");
    return i + 1;
  }

  // U+E000 <index> U+E001: private-use characters no feed puts alone in an element.
  void placeholder(std::string_view raw, bool escaped) {
    m_out.append("\xEE\x80\x80");
    m_out.append(std::to_string(m_out_of_line.size()));
    m_out.append("\xEE\x80\x81");
    m_out_of_line.push_back({raw, escaped});
  }

  // What span_end saw of the CDATA sections inside an element.
  struct SpanInfo {
    int sections = 0;              // top-level CDATA sections
    bool nested = false;           // a CDATA section opened inside another
    bool fallback = false;         // nesting never balanced; the end is the first closing tag
    size_t first_open = npos;      // index of the first "<![CDATA["
    size_t last_close_end = npos;  // index just past the last top-level "]]>"
  };

  // The element `qname` just opened; its content starts at `from`. Content that is plain text or
  // one clean CDATA section is copied (the section out of line); anything else becomes escaped
  // text.
  size_t text_span(std::string_view qname, size_t from) {
    const std::string_view s = m_s;
    char close_buf[80];
    if (qname.size() + 2 > sizeof close_buf) return from;
    close_buf[0] = '<';
    close_buf[1] = '/';
    std::memcpy(close_buf + 2, qname.data(), qname.size());
    const std::string_view close(close_buf, qname.size() + 2);
    SpanInfo info;
    const size_t end = span_end(from, close, info);
    if (info.sections == 0 && !info.fallback && s.substr(from, end - from).find('<') == npos) {
      // Entities an internal subset declares need libxml2; everything else we decode later.
      if (m_has_subset)
        copy_text(from, end);
      else
        placeholder(s.substr(from, end - from), true);
    } else if (std::string_view body; single_cdata(from, end, info, body)) {
      placeholder(body, false);
    } else {
      escape_span(from, end);
    }
    return end;
  }

  size_t span_end(size_t from, std::string_view close, SpanInfo& info) const {
    const std::string_view s = m_s;
    int depth = 0;
    size_t j = from;
    while (j < s.size()) {
      if (depth == 0) {
        const size_t k = s.find('<', j);
        if (k == npos) break;
        if (s.substr(k, k_cdata_open.size()) == k_cdata_open) {
          depth = 1;
          if (info.sections++ == 0) info.first_open = k;
          j = k + k_cdata_open.size();
        } else if (closing_tag_at(s, k, close)) {
          return k;
        } else {
          j = k + 1;
        }
      } else {
        const size_t k1 = s.find(k_cdata_close, j);
        if (k1 == npos) break;
        const size_t k2 = find_cdata_open(s, j, k1);
        if (k2 != npos) {
          ++depth;
          info.nested = true;
          j = k2 + k_cdata_open.size();
        } else {
          --depth;
          j = k1 + k_cdata_close.size();
          if (depth == 0) info.last_close_end = j;
        }
      }
    }
    // Unbalanced CDATA: fall back to the first closing tag, else the end of the document.
    info.fallback = true;
    for (size_t k = s.find(close, from); k != npos; k = s.find(close, k + 1)) {
      if (closing_tag_at(s, k, close)) return k;
    }
    return s.size();
  }

  // True when m_s[from, end) is whitespace, one CDATA section without nesting, whitespace.
  bool single_cdata(size_t from, size_t end, const SpanInfo& info, std::string_view& body) const {
    if (info.fallback || info.nested || info.sections != 1 || info.last_close_end > end) {
      return false;
    }
    for (size_t k = from; k < info.first_open; ++k) {
      if (!is_space(m_s[k])) return false;
    }
    for (size_t k = info.last_close_end; k < end; ++k) {
      if (!is_space(m_s[k])) return false;
    }
    const size_t body_start = info.first_open + k_cdata_open.size();
    body = m_s.substr(body_start, info.last_close_end - k_cdata_close.size() - body_start);
    return true;
  }

  void copy_text(size_t from, size_t to) {
    size_t i = from;
    while (i < to) {
      size_t j = i;
      while (j < to && m_s[j] != '&') ++j;
      m_out.append(m_s.data() + i, j - i);
      i = j;
      if (i < to) i = fix_amp(i, false);
    }
  }

  void escape_span(size_t from, size_t to) {
    const std::string_view s = m_s;
    int depth = 0;
    size_t i = from;
    while (i < to) {
      if (s.substr(i, k_cdata_open.size()) == k_cdata_open) {
        ++depth;
        i += k_cdata_open.size();
        continue;
      }
      if (depth > 0 && s.substr(i, k_cdata_close.size()) == k_cdata_close) {
        --depth;
        i += k_cdata_close.size();
        continue;
      }
      const char c = s[i];
      if (c == '<') {
        m_out.append("&lt;");
      } else if (c == '>') {
        m_out.append("&gt;");
      } else if (c == '&') {
        if (depth > 0) {
          m_out.append("&amp;");
        } else {
          i = fix_amp(i, false);
          continue;
        }
      } else {
        m_out += c;
      }
      ++i;
    }
  }

  std::string_view m_s;
  std::string& m_out;
  std::vector<RepairedXml::OutOfLine>& m_out_of_line;
  bool m_has_subset = false;
};

}  // namespace

void append_xml_text(std::string_view s, std::string& out) {
  size_t i = 0;
  while (i < s.size()) {
    const void* amp = std::memchr(s.data() + i, '&', s.size() - i);
    const size_t j =
        amp == nullptr ? s.size() : static_cast<size_t>(static_cast<const char*>(amp) - s.data());
    out.append(s.data() + i, j - i);
    if (j >= s.size()) break;
    size_t len = 0;
    const char32_t cp = decode_html_reference(s, j, len);
    if (cp == 0) {
      out += '&';
      i = j + 1;
    } else {
      append_utf8(out, is_xml_char(cp) ? cp : 0xFFFD);
      i = j + len;
    }
  }
}

long cdata_placeholder_index(std::string_view t) {
  if (t.size() < 7 || t.substr(0, 3) != "\xEE\x80\x80" ||
      t.substr(t.size() - 3) != "\xEE\x80\x81") {
    return -1;
  }
  long v = 0;
  for (size_t i = 3; i + 3 < t.size(); ++i) {
    if (t[i] < '0' || t[i] > '9' || i > 12) return -1;
    v = v * 10 + (t[i] - '0');
  }
  return v;
}

bool is_feed_root(std::string_view qname) {
  const std::string_view l = local_part(qname);
  return l == "rss" || l == "feed" || l == "RDF" || l == "urlset" || l == "sitemapindex" ||
         l == "channel";
}

// Where the document proper starts: after junk such as the PHP warnings ("<br />\n<b>Warning</b>:
// ...") that broken CMS installs print before the feed, and after the XML declaration.
size_t document_start(std::string_view s) {
  size_t start = s.find('<');
  if (start == npos) return npos;
  if (!is_feed_root(find_root(s.substr(start)))) {
    size_t best = npos;
    for (const std::string_view tag :
         {"<?xml ", "<rss", "<feed", "<rdf:RDF", "<urlset", "<sitemapindex"}) {
      const size_t k = s.find(tag, start);
      if (k != npos && k < best && (tag.back() == ' ' || is_feed_root(name_at(s, k + 1)))) {
        best = k;
      }
    }
    if (best != npos) start = best;
  }
  if (s.substr(start, 5) == "<?xml" && start + 5 < s.size() &&
      (is_space(s[start + 5]) || s[start + 5] == '?')) {
    const size_t e = s.find("?>", start);
    if (e != npos) start = e + 2;
  }
  return start;
}

RepairedXml repair_feed_xml(std::string_view s) {
  RepairedXml result;
  const size_t start = document_start(s);
  if (start == npos) return result;
  std::string_view doc = s.substr(start);
  const std::string_view root = find_root(doc);
  result.root = std::string(root);
  if (!root.empty()) {
    std::string close = "</" + result.root;
    const size_t root_tag = static_cast<size_t>(root.data() - doc.data()) - 1;
    const size_t root_end = xml_tag_end(doc, root_tag);
    const bool self_closing = root_end >= 2 && doc[root_end - 2] == '/';
    if (!self_closing && doc.rfind(close) == npos) {
      result.truncated = true;
      const std::string_view local = local_part(root);
      std::string item = "</";
      if (local == "feed")
        item += "entry";
      else if (local == "urlset")
        item += "url";
      else if (local == "sitemapindex")
        item += "sitemap";
      else
        item += "item";
      // The item tag may carry the root's prefix (rdf:RDF holds plain items, but rss:item exists).
      size_t cut = npos;
      for (size_t k = doc.rfind(item); k != npos; k = k == 0 ? npos : doc.rfind(item, k - 1)) {
        if (closing_tag_at(doc, k, item)) {
          cut = k;
          break;
        }
      }
      if (cut != npos) {
        const size_t gt = doc.find('>', cut);
        doc = doc.substr(0, gt == npos ? doc.size() : gt + 1);
      }
    }
  }
  result.has_xml_base = doc.find("xml:base") != npos;
  // Clean CDATA, the bulk of most feeds, stays out of `text`: reserve for the markup only.
  result.text.reserve(doc.size() / 4 + 256);
  Repairer(doc, result.text, result.out_of_line).run();
  return result;
}

}  // namespace newswatch::parsers
