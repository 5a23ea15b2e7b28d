// URL parsing, reference resolution and canonicalisation. Input: "base\nreference".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/url.h"
#include "storage/url_canon.h"

namespace {

bool plausible_host(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto newline = text.find('\n');
  std::string_view base = text.substr(0, newline);
  std::string_view reference =
      newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);

  if (auto url = newswatch::parse_url(base)) {
    (void)url->to_string();
    (void)url->authority();
    (void)url->effective_port();
    if (auto resolved = newswatch::resolve_url(*url, reference)) (void)resolved->to_string();
  }
  (void)newswatch::resolve_url_string(base, reference);
  (void)newswatch::remove_dot_segments(reference);

  const std::string canonical = newswatch::storage::canonicalize_url(base);
  // For URLs with a plausible host, canonicalisation is idempotent: the display form of a display
  // form is itself (stored canonical URLs keep their dedup keys). Garbage authorities (spaces,
  // brackets, control bytes) are only required not to crash.
  if (auto url = newswatch::parse_url(base); url && plausible_host(url->host)) {
    if (newswatch::storage::canonicalize_url(canonical) != canonical) std::abort();
  }
  (void)newswatch::storage::dedup_key(base);
  (void)newswatch::storage::host_to_ascii(reference);
  if (auto decoded = newswatch::storage::punycode_decode(reference)) {
    (void)newswatch::storage::punycode_encode(*decoded);
  }
  return 0;
}
