// Charset detection and conversion: the output must always be valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "parsers/charset.h"

namespace p = newswatch::parsers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // First byte: which Content-Type and document kind to claim.
  const std::uint8_t selector = data[0];
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const char* const k_types[] = {"",
                                        "text/html; charset=ISO-8859-1",
                                        "text/xml; charset=\"koi8-r\"",
                                        "text/html;charset=utf-8",
                                        "application/rss+xml; charset=x-unknown-thing",
                                        "text/html; charset=shift_jis",
                                        "charset=utf-16",
                                        "text/plain; charset=gb18030"};
  std::string_view content_type = k_types[selector % 8];
  const auto kind = static_cast<p::DocumentKind>((selector >> 3) % 3);

  const std::string decoded = p::decode_to_utf8(bytes, content_type, kind);
  if (!p::is_valid_utf8(decoded)) std::abort();
  const std::string sanitized = p::sanitize_utf8(bytes);
  if (!p::is_valid_utf8(sanitized)) std::abort();
  if (p::is_valid_utf8(bytes) && sanitized != bytes) std::abort();
  (void)p::charset_from_content_type(bytes.substr(0, 256));
  return 0;
}
