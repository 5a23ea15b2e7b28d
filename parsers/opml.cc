#include "parsers/opml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <set>

namespace newswatch::parsers {
namespace {

std::string attr(const xmlNode* n, const char* name) {
  // OPML producers disagree on case: xmlUrl, xmlurl, XMLURL.
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    if (xmlStrcasecmp(a->name, reinterpret_cast<const xmlChar*>(name)) != 0) continue;
    xmlChar* v = xmlNodeListGetString(n->doc, a->children, 1);
    std::string out = v ? reinterpret_cast<const char*>(v) : "";
    xmlFree(v);
    return out;
  }
  return "";
}

bool is_element(const xmlNode* n, const char* name) {
  return n->type == XML_ELEMENT_NODE &&
         xmlStrcasecmp(n->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool http_url(const std::string& u) {
  auto starts = [&](const char* p) {
    const std::string_view sp(p);
    if (u.size() <= sp.size()) return false;
    for (std::size_t i = 0; i < sp.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(u[i])) != sp[i]) return false;
    }
    return true;
  };
  return starts("http://") || starts("https://");
}

class Reader {
 public:
  explicit Reader(OpmlList& out) : m_out(out) {}

  void outlines(const xmlNode* parent, const std::string& category) {
    for (const xmlNode* n = parent->children; n != nullptr; n = n->next) {
      if (!is_element(n, "outline")) continue;
      std::string title = trim(attr(n, "title"));
      if (title.empty()) title = trim(attr(n, "text"));
      const std::string xml_url = trim(attr(n, "xmlUrl"));
      if (!xml_url.empty()) {
        if (!http_url(xml_url)) {
          m_out.skipped.push_back("line " + std::to_string(xmlGetLineNo(n)) + ": xmlUrl \"" +
                                  xml_url + "\" is not an http(s) URL");
        } else if (m_seen.insert(xml_url).second) {
          m_out.feeds.push_back({title, xml_url, trim(attr(n, "htmlUrl")), category});
        }
      }
      // A folder (or, rarely, a feed with children): its title names the category below it.
      if (n->children != nullptr) {
        const std::string sub =
            xml_url.empty() ? (category.empty() ? title : category + " / " + title) : category;
        outlines(n, sub);
      }
    }
  }

 private:
  OpmlList& m_out;
  std::set<std::string> m_seen;
};

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\n': out += "&#10;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

Result<OpmlList> parse_opml(std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return make_error(ErrorCode::too_large, "document larger than 2 GiB");
  }
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (ctxt == nullptr) return make_error(ErrorCode::io_error, "out of memory");
  // No network, no entity expansion (an OPML file is a list of links, not a place for XXE).
  std::unique_ptr<xmlDoc, DocFree> doc(
      xmlCtxtReadMemory(ctxt, bytes.data(), static_cast<int>(bytes.size()), nullptr, nullptr,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  std::string error;
  if (!doc) {
    const xmlError* e = xmlCtxtGetLastError(ctxt);
    error = e != nullptr
                ? "line " + std::to_string(e->line) + ": " + trim(e->message ? e->message : "")
                : "not well-formed XML";
  }
  xmlFreeParserCtxt(ctxt);
  if (!doc) return make_error(ErrorCode::parse_error, error);

  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr || !is_element(root, "opml")) {
    return make_error(ErrorCode::parse_error,
                      std::string("not an OPML document: the root element is <") +
                          (root ? reinterpret_cast<const char*>(root->name) : "") +
                          ">, not <opml>");
  }
  OpmlList list;
  Reader reader(list);
  bool has_body = false;
  for (const xmlNode* n = root->children; n != nullptr; n = n->next) {
    if (is_element(n, "head")) {
      for (const xmlNode* h = n->children; h != nullptr; h = h->next) {
        if (!is_element(h, "title")) continue;
        xmlChar* t = xmlNodeGetContent(h);
        list.title = trim(t ? reinterpret_cast<const char*>(t) : "");
        xmlFree(t);
      }
    } else if (is_element(n, "body")) {
      has_body = true;
      reader.outlines(n, "");
    }
  }
  if (!has_body) return make_error(ErrorCode::parse_error, "not an OPML document: no <body>");
  return list;
}

std::string write_opml(const std::string& title, const std::vector<OpmlFeed>& feeds) {
  std::map<std::string, std::vector<const OpmlFeed*>> by_category;
  for (const auto& f : feeds) by_category[f.category].push_back(&f);
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head><title>" +
      xml_escape(title) + "</title></head>\n  <body>\n";
  for (const auto& [category, list] : by_category) {
    const std::string indent = category.empty() ? "    " : "      ";
    if (!category.empty()) {
      out += "    <outline text=\"" + xml_escape(category) + "\" title=\"" + xml_escape(category) +
             "\">\n";
    }
    for (const OpmlFeed* f : list) {
      out += indent + "<outline type=\"rss\" text=\"" + xml_escape(f->title) + "\" title=\"" +
             xml_escape(f->title) + "\" xmlUrl=\"" + xml_escape(f->xml_url) + "\"";
      if (!f->html_url.empty()) out += " htmlUrl=\"" + xml_escape(f->html_url) + "\"";
      out += "/>\n";
    }
    if (!category.empty()) out += "    </outline>\n";
  }
  out += "  </body>\n</opml>\n";
  return out;
}

}  // namespace newswatch::parsers
