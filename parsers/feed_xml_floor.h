// The floor for feed parsing benchmarks: libxml2 parsing the same bytes with no repair, no
// tree walk and no text cleanup. Any thread.
#pragma once

#include <string_view>

namespace newswatch::parsers {

// Parses `bytes` with xmlReadMemory (recover mode, no network) and frees the tree. Returns the
// number of child elements of the root, so callers can check the parse did real work.
int libxml2_bare_parse(std::string_view bytes);

}  // namespace newswatch::parsers
