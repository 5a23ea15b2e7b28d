// parse_feed on arbitrary bytes: RSS/Atom/JSON/sitemaps/text, gzip, any charset; and the same
// bytes as an OPML subscription list (both are XML documents a user or a server hands us).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parsers/feed_parser.h"
#include "parsers/opml.h"

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
  auto opml = newswatch::parsers::parse_opml(bytes);
  if (opml && !opml->feeds.empty()) {
    // Whatever was read must survive writing and reading back.
    auto again =
        newswatch::parsers::parse_opml(newswatch::parsers::write_opml(opml->title, opml->feeds));
    if (!again || again->feeds.size() != opml->feeds.size()) __builtin_trap();
  }
  return 0;
}
