// URL canonicalisation for storage and dedup: a faithful *display* form of an article URL and an
// aggressive *dedup key* under which all doors to one story (tracking parameters, http/https, www,
// mobile, AMP and print variants) collapse. Built on core/url.h; see docs/dedup.md for the rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newswatch::storage {

struct CanonOptions {
  // Query parameter names removed from both forms, compared case-insensitively after
  // percent-decoding. Default: click ids and campaign tags (fbclid, gclid, mc_cid, ref, ...).
  std::vector<std::string> tracking_params = default_tracking_params();
  // Name prefixes removed from both forms, e.g. "utm_" drops utm_source and utm_medium.
  std::vector<std::string> tracking_prefixes = default_tracking_prefixes();
  // Host prefixes stripped (repeatedly) for the dedup key only, as long as a dotted host remains:
  // www.example.com, m.example.com and amp.example.com share one key. Default www., m., mobile.,
  // mobil. (German sites), amp..
  std::vector<std::string> key_host_prefixes = default_key_host_prefixes();
  // Parameters that only select an AMP, print or mobile rendering, removed for the dedup key only.
  // "name" drops the parameter whatever its value; "name=value" only with that value (both
  // case-insensitive). Default amp, _amp, print, printable, outputtype=amp, view=print, ...
  std::vector<std::string> key_variant_params = default_key_variant_params();

  static std::vector<std::string> default_tracking_params();
  static std::vector<std::string> default_tracking_prefixes();
  static std::vector<std::string> default_key_host_prefixes();
  static std::vector<std::string> default_key_variant_params();
};

// Built once; cheap to pass where no configuration is at hand.
const CanonOptions& default_canon_options();

// Display form, faithful to what the server serves: lower-case scheme and host, IDN host to
// punycode, default port and fragment dropped, percent-encoding normalised (unreserved characters
// decoded, hex upper-case, unsafe bytes encoded), dot segments removed, empty path -> "/", tracking
// parameters dropped and the rest stably sorted by name. Trailing slashes are kept: servers may
// answer "/a" and "/a/" differently. Input that is not an absolute http(s) URL comes back
// trimmed but otherwise unchanged. Any thread.
std::string canonicalize_url(std::string_view url,
                             const CanonOptions& opts = default_canon_options());

// Dedup key: the display form, then without scheme (http == https), userinfo, www./m./amp. host
// prefixes, AMP, print and mobile path and query variants, Google AMP-cache wrappers, trailing
// slash (except the root) and trailing index.html/index.php; e.g.
// "http://www.example.com/a/amp/?utm_source=x" -> "example.com/a". Not a URL; only compare
// keys with keys. Non-http input: the trimmed input. Any thread.
std::string dedup_key(std::string_view url, const CanonOptions& opts = default_canon_options());

// True when the query parameter `name` is removed as tracking under `opts`.
bool is_tracking_param(std::string_view name, const CanonOptions& opts = default_canon_options());

// Host in ASCII form: percent-decoded, lower-cased (Unicode-aware, NFC), IDNA full stops mapped
// to '.', a trailing dot dropped and each non-ASCII label written as "xn--" + punycode, e.g.
// "MÜNCHEN.de" -> "xn--mnchen-3ya.de". nullopt for invalid UTF-8 or a label punycode cannot
// encode. IPv6 literals pass unchanged.
std::optional<std::string> host_to_ascii(std::string_view host);

// RFC 3492 punycode of one label given as Unicode code points (without "xn--").
// nullopt on overflow.
std::optional<std::string> punycode_encode(std::u32string_view label);
// Inverse of punycode_encode; nullopt for malformed input.
std::optional<std::u32string> punycode_decode(std::string_view encoded);

}  // namespace newswatch::storage
