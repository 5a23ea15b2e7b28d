// Alert email building from hostile article fields: header lines never carry a bare CR or LF
// (no header injection) and every line ends in CRLF.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/email.h"

namespace a = newswatch::alerts;

namespace {

std::string take(std::string_view& text) {
  const auto end = text.find('\0');
  std::string field(text.substr(0, end));
  text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  return field;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  newswatch::storage::OutboxRecord alert;
  alert.topic = take(text);
  alert.article_id = take(text);
  alert.channel = "mail";
  newswatch::Article article;
  article.title = take(text);
  article.url = take(text);
  article.source = take(text);
  article.text = take(text);
  const std::string snippet = take(text);
  const std::string from = take(text);
  const std::vector<std::string> to = {take(text), "ops@example.org"};
  const auto now = newswatch::TimePoint{std::chrono::seconds{1718614800}};

  const auto email = a::build_alert_email(alert, article, snippet, from, to, now);
  const std::string mime = a::build_mime(email);
  const auto header_end = mime.find("\r\n\r\n");
  if (header_end == std::string::npos) std::abort();
  for (std::size_t i = 0; i < header_end; ++i) {
    if (mime[i] == '\n' && (i == 0 || mime[i - 1] != '\r')) std::abort();
    if (mime[i] == '\r' && mime[i + 1] != '\n') std::abort();
    // A header line break must be followed by a new header name or folding whitespace only.
  }
  (void)a::encode_header_words(article.title);
  (void)a::bare_address(from);
  return 0;
}
