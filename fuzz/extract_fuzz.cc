// extract_article on arbitrary HTML, with the article judgement on and off.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parsers/extractor.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view html(reinterpret_cast<const char*>(data), size);
  newswatch::parsers::ExtractOptions options;
  options.url = "https://example.org/news/2024/story.html";
  options.min_chars = (size % 2 == 0) ? 0 : 100;
  auto article = newswatch::parsers::extract_article(html, options);
  if (article && article->text.size() > 2 * size + 4096) return 1;  // unreachable; keeps it used
  return 0;
}
