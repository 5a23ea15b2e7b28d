// parse_feed on arbitrary bytes: RSS/Atom/JSON/sitemaps/text, gzip, any charset.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parsers/feed_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  newswatch::parsers::FeedParseOptions options;
  options.url = "https://example.org/feed/";
  // The first byte picks a Content-Type so the header charset path is exercised too.
  if (!bytes.empty() && (bytes.front() & 1) != 0) {
    options.content_type = "application/xml; charset=windows-1251";
  }
  auto feed = newswatch::parsers::parse_feed(bytes, options);
  if (feed) {
    std::size_t total = 0;
    for (const auto& entry : feed->entries) total += entry.title.size() + entry.link.size();
    if (total == static_cast<std::size_t>(-1)) return 1;  // keeps the reads alive
  }
  return 0;
}
