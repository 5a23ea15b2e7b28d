// Minimal first pass: RSS 2.0 and Atom items through libxml2's recovering parser.
#include "parsers/feed_parser.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstring>

#include "core/url.h"

namespace newswatch::parsers {
namespace {

std::string text_of(xmlNode* node) {
  xmlChar* content = xmlNodeGetContent(node);
  std::string out = content ? reinterpret_cast<const char*>(content) : "";
  xmlFree(content);
  size_t b = out.find_first_not_of(" \t\r\n");
  size_t e = out.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : out.substr(b, e - b + 1);
}

bool is(xmlNode* n, const char* name) {
  return n->type == XML_ELEMENT_NODE &&
         std::strcmp(reinterpret_cast<const char*>(n->name), name) == 0;
}

}  // namespace

Result<Feed> parse_feed(std::string_view bytes, const FeedParseOptions& options) {
  xmlDocPtr doc =
      xmlReadMemory(bytes.data(), static_cast<int>(bytes.size()), options.url.c_str(), nullptr,
                    XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) return make_error(ErrorCode::parse_error, "not an XML document");
  xmlNode* root = xmlDocGetRootElement(doc);
  Feed feed;
  if (!root) {
    xmlFreeDoc(doc);
    return make_error(ErrorCode::parse_error, "empty document");
  }
  std::vector<xmlNode*> items;
  xmlNode* channel = root;
  if (is(root, "rss")) {
    for (xmlNode* c = root->children; c; c = c->next) {
      if (is(c, "channel")) channel = c;
    }
    feed.kind = FeedKind::rss;
    for (xmlNode* c = channel->children; c; c = c->next) {
      if (is(c, "item")) items.push_back(c);
      if (is(c, "title")) feed.title = text_of(c);
      if (is(c, "link")) feed.link = text_of(c);
    }
  } else if (is(root, "feed")) {
    feed.kind = FeedKind::atom;
    for (xmlNode* c = root->children; c; c = c->next) {
      if (is(c, "entry")) items.push_back(c);
      if (is(c, "title")) feed.title = text_of(c);
    }
  } else {
    xmlFreeDoc(doc);
    return make_error(ErrorCode::parse_error, "not an RSS or Atom feed");
  }
  for (xmlNode* item : items) {
    FeedEntry e;
    for (xmlNode* c = item->children; c; c = c->next) {
      if (is(c, "title")) e.title = text_of(c);
      if (is(c, "link")) {
        xmlChar* href = xmlGetProp(c, reinterpret_cast<const xmlChar*>("href"));
        e.link = href ? reinterpret_cast<const char*>(href) : text_of(c);
        xmlFree(href);
      }
      if (is(c, "guid") || is(c, "id")) e.id = text_of(c);
      if (is(c, "description") || is(c, "summary")) e.summary = text_of(c);
      if (is(c, "pubDate") || is(c, "published") || is(c, "updated")) {
        e.published = parse_iso8601(text_of(c));
      }
    }
    e.link = resolve_url_string(options.url, e.link);
    if (e.id.empty()) e.id = e.link;
    feed.entries.push_back(std::move(e));
  }
  xmlFreeDoc(doc);
  return feed;
}

}  // namespace newswatch::parsers
