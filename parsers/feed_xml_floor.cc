#include "parsers/feed_xml_floor.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

namespace newswatch::parsers {

int libxml2_bare_parse(std::string_view bytes) {
  xmlDoc* doc =
      xmlReadMemory(bytes.data(), static_cast<int>(bytes.size()), nullptr, nullptr,
                    XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == nullptr) return 0;
  int elements = 0;
  const xmlNode* root = xmlDocGetRootElement(doc);
  if (root != nullptr)
    elements = static_cast<int>(xmlChildElementCount(const_cast<xmlNode*>(root)));
  xmlFreeDoc(doc);
  return elements;
}

}  // namespace newswatch::parsers
