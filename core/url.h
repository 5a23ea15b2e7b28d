// URLs as RFC 3986 components: parsing, reference resolution and serialisation. Canonicalisation
// for dedup (tracking parameters, AMP variants, ...) builds on this in storage/. Standard library
// only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace newswatch {

struct Url {
  std::string scheme;  // lower-case, without ':'
  std::string userinfo;
  std::string host;  // lower-case for http(s); IPv6 literals keep their brackets
  std::string port;  // digits, empty when absent
  std::string path;
  std::optional<std::string> query;     // without '?'; empty-but-present differs from absent
  std::optional<std::string> fragment;  // without '#'
  bool has_authority = false;

  std::string to_string() const;
  // host[:port] as in a Host header.
  std::string authority() const;
  // Port number, or the scheme's default (80/443), or 0 when unknown.
  int effective_port() const;
};

// Parses an absolute URL ("https://example.org/a?b#c"). Leading/trailing spaces are ignored.
// nullopt when there is no scheme or the authority is malformed.
std::optional<Url> parse_url(std::string_view text);

// Resolves `reference` (absolute, or relative like "../a", "//host/x", "?q") against `base`
// per RFC 3986 section 5.2, removing dot segments. nullopt when neither yields an absolute URL.
std::optional<Url> resolve_url(const Url& base, std::string_view reference);

// String convenience: resolve_url(parse_url(base), reference).to_string(), or `reference`
// unchanged when it cannot be resolved.
std::string resolve_url_string(std::string_view base, std::string_view reference);

// RFC 3986 5.2.4.
std::string remove_dot_segments(std::string_view path);

// True for "http" and "https" URLs with a host.
bool is_http_url(const Url& url);

}  // namespace newswatch
