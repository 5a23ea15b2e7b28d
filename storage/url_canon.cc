#include "storage/url_canon.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <utility>

#include <utf8proc.h>

#include "core/url.h"

namespace newswatch::storage {
namespace {

constexpr char k_hex_upper[] = "0123456789ABCDEF";

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool ends_with_icase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool is_sub_delim(unsigned char c) {
  switch (c) {
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=': return true;
    default: return false;
  }
}

enum class Component { path, query_part };

// Characters that may stay literal in `component`; '&' and '=' never reach here inside a query
// part because the query is split on them first, and encoded ones must stay encoded.
bool is_literal_ok(unsigned char c, Component component) {
  if (is_unreserved(c) || c == ':' || c == '@' || c == '/') return true;
  if (component == Component::path) return is_sub_delim(c);
  if (c == '?') return true;
  return is_sub_delim(c) && c != '&' && c != '=';
}

void append_escaped(std::string& out, unsigned char c) {
  out += '%';
  out += k_hex_upper[c >> 4];
  out += k_hex_upper[c & 0xF];
}

// Decodes escapes of unreserved characters, upper-cases the others and escapes what may not
// appear literally (spaces, non-ASCII bytes, stray '%').
std::string normalize_escapes(std::string_view in, Component component) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == '%') {
      const int hi = i + 2 < in.size() ? hex_value(in[i + 1]) : -1;
      const int lo = hi >= 0 ? hex_value(in[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        const auto v = static_cast<unsigned char>(hi * 16 + lo);
        if (is_unreserved(v)) {
          out += static_cast<char>(v);
        } else {
          append_escaped(out, v);
        }
        i += 2;
      } else {
        append_escaped(out, c);
      }
    } else if (is_literal_ok(c, component)) {
      out += static_cast<char>(c);
    } else {
      append_escaped(out, c);
    }
  }
  return out;
}

std::string percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 &&
        hex_value(in[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

struct QueryParam {
  std::string name;  // escape-normalised
  std::optional<std::string> value;
};

std::vector<QueryParam> split_query(std::string_view query) {
  std::vector<QueryParam> params;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view part = query.substr(start, end - start);
    if (!part.empty()) {
      QueryParam p;
      const size_t eq = part.find('=');
      p.name = normalize_escapes(part.substr(0, eq), Component::query_part);
      if (eq != std::string_view::npos) {
        p.value = normalize_escapes(part.substr(eq + 1), Component::query_part);
      }
      if (!p.name.empty() || p.value) params.push_back(std::move(p));
    }
    start = end + 1;
  }
  return params;
}

std::optional<std::string> join_query(const std::vector<QueryParam>& params) {
  if (params.empty()) return std::nullopt;
  std::string out;
  for (const QueryParam& p : params) {
    if (!out.empty()) out += '&';
    out += p.name;
    if (p.value) out += '=' + *p.value;
  }
  return out;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::optional<std::u32string> utf8_to_u32(std::string_view s) {
  std::u32string out;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  auto left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0 || cp < 0) return std::nullopt;
    out += static_cast<char32_t>(cp);
    p += n;
    left -= n;
  }
  return out;
}

std::string u32_to_utf8(std::u32string_view s) {
  std::string out;
  utf8proc_uint8_t buf[4];
  for (char32_t cp : s) {
    const utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), buf);
    out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
  }
  return out;
}

// RFC 3492 section 5 parameters.
constexpr uint32_t k_base = 36;
constexpr uint32_t k_tmin = 1;
constexpr uint32_t k_tmax = 26;
constexpr uint32_t k_skew = 38;
constexpr uint32_t k_damp = 700;
constexpr uint32_t k_initial_bias = 72;
constexpr uint32_t k_initial_n = 128;
constexpr uint32_t k_max_u32 = std::numeric_limits<uint32_t>::max();

uint32_t adapt_bias(uint32_t delta, uint32_t num_points, bool first_time) {
  delta = first_time ? delta / k_damp : delta / 2;
  delta += delta / num_points;
  uint32_t k = 0;
  while (delta > ((k_base - k_tmin) * k_tmax) / 2) {
    delta /= k_base - k_tmin;
    k += k_base;
  }
  return k + (((k_base - k_tmin + 1) * delta) / (delta + k_skew));
}

char encode_digit(uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26)); }

int decode_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0' + 26;
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return c - 'A';
  return -1;
}

uint32_t threshold(uint32_t k, uint32_t bias) {
  if (k <= bias) return k_tmin;
  if (k >= bias + k_tmax) return k_tmax;
  return k - bias;
}

std::string strip_host_prefixes(std::string host, const CanonOptions& opts) {
  bool stripped = true;
  while (stripped) {
    stripped = false;
    for (const std::string& prefix : opts.key_host_prefixes) {
      if (starts_with_icase(host, prefix) && host.find('.', prefix.size()) != std::string::npos) {
        host.erase(0, prefix.size());
        stripped = true;
      }
    }
  }
  return host;
}

bool is_variant_param(const QueryParam& p, const CanonOptions& opts) {
  const std::string name = ascii_lower(percent_decode(p.name));
  for (const std::string& rule : opts.key_variant_params) {
    const size_t eq = rule.find('=');
    if (eq == std::string::npos) {
      if (iequals(name, rule)) return true;
    } else if (iequals(name, std::string_view(rule).substr(0, eq)) && p.value &&
               iequals(percent_decode(*p.value), std::string_view(rule).substr(eq + 1))) {
      return true;
    }
  }
  return false;
}

// Path for the dedup key: AMP and print segments, empty segments, index pages and the trailing
// slash go; "story.amp.html" becomes "story.html".
std::string key_path(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 1;  // path starts with '/'
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view seg = path.substr(start, end - start);
    if (!seg.empty() && !iequals(seg, "amp") && !iequals(seg, "print")) segments.push_back(seg);
    start = end + 1;
  }
  std::string last_rewritten;
  if (!segments.empty()) {
    std::string_view last = segments.back();
    if (iequals(last, "index.html") || iequals(last, "index.htm") || iequals(last, "index.php")) {
      segments.pop_back();
    } else if (ends_with_icase(last, ".amp.html") || ends_with_icase(last, ".amp.htm")) {
      const size_t dot = last.size() - (ends_with_icase(last, ".amp.html") ? 9 : 8);
      last_rewritten = std::string(last.substr(0, dot)) + std::string(last.substr(dot + 4));
      segments.back() = last_rewritten;
    } else if (ends_with_icase(last, ".amp") && last.size() > 4) {
      segments.back() = last.substr(0, last.size() - 4);
    }
  }
  std::string out;
  for (std::string_view seg : segments) {
    out += '/';
    out += seg;
  }
  return out.empty() ? "/" : out;
}

struct Canonical {
  Url url;
  bool ok = false;
};

Canonical canonicalize_parsed(std::string_view text, const CanonOptions& opts) {
  Canonical result;
  auto parsed = parse_url(text);
  if (!parsed || !is_http_url(*parsed)) return result;
  Url& url = *parsed;
  if (auto host = host_to_ascii(url.host)) {
    url.host = std::move(*host);
  } else {
    return result;
  }
  if (url.host.empty()) return result;
  if (!url.port.empty()) {
    const int port = std::stoi(url.port);
    const int default_port = url.scheme == "https" ? 443 : 80;
    url.port = port == default_port ? std::string() : std::to_string(port);
  }
  url.path = remove_dot_segments(normalize_escapes(url.path, Component::path));
  if (url.path.empty() || url.path[0] != '/') url.path.insert(0, "/");
  url.fragment.reset();
  if (url.query) {
    std::vector<QueryParam> params = split_query(*url.query);
    std::erase_if(params, [&](const QueryParam& p) { return is_tracking_param(p.name, opts); });
    std::stable_sort(params.begin(), params.end(),
                     [](const QueryParam& a, const QueryParam& b) { return a.name < b.name; });
    url.query = join_query(params);
  }
  result.url = std::move(url);
  result.ok = true;
  return result;
}

// "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/a" and
// "https://www.google.com/amp/s/www.example.com/a" wrap the publisher's URL; returns it.
std::optional<std::string> unwrap_amp_cache(const Url& url) {
  std::string_view path = url.path;
  if (ends_with_icase(url.host, ".cdn.ampproject.org") || iequals(url.host, "cdn.ampproject.org")) {
    for (std::string_view kind : {"/c/", "/v/", "/i/"}) {
      if (starts_with_icase(path, kind)) {
        path.remove_prefix(kind.size());
        break;
      }
    }
    if (path.size() == url.path.size()) return std::nullopt;
  } else if (starts_with_icase(url.host, "www.google.") && starts_with_icase(path, "/amp/")) {
    path.remove_prefix(5);
  } else {
    return std::nullopt;
  }
  std::string scheme = "http://";
  if (starts_with_icase(path, "s/")) {
    path.remove_prefix(2);
    scheme = "https://";
  }
  if (path.empty() || path.find('.') == std::string_view::npos) return std::nullopt;
  std::string inner = scheme + std::string(path);
  if (url.query) inner += "?" + *url.query;
  return inner;
}

}  // namespace

std::vector<std::string> CanonOptions::default_tracking_params() {
  return {"fbclid",   "gclid",      "gclsrc",     "dclid",         "msclkid",
          "yclid",    "twclid",     "ttclid",     "li_fat_id",     "igshid",
          "mc_cid",   "mc_eid",     "mkt_tok",    "ref",           "ref_src",
          "ref_url",  "referrer",   "icid",       "cmpid",         "cmp",
          "wt_mc",    "wt_zmc",     "xtor",       "xtref",         "_ga",
          "_gl",      "s_cid",      "ocid",       "smid",          "smtyp",
          "soc_src",  "soc_trk",    "ito",        "ftag",          "spm",
          "sr_share", "rb_clickid", "vero_id",    "oly_anon_id",   "oly_enc_id",
          "__s",      "wickedid",   "guccounter", "guce_referrer", "guce_referrer_sig"};
}

std::vector<std::string> CanonOptions::default_tracking_prefixes() {
  return {"utm_", "at_", "pk_", "mtm_", "hsa_", "_hs", "ns_", "oly_", "trk_", "__twitter_"};
}

std::vector<std::string> CanonOptions::default_key_host_prefixes() {
  return {"www.", "m.", "mobile.", "mobil.", "amp."};
}

std::vector<std::string> CanonOptions::default_key_variant_params() {
  return {"amp",          "_amp",   "amp_js_v",  "usqp",       "outputtype=amp", "output=amp",
          "format=amp",   "print",  "printable", "printview",  "view=print",     "output=print",
          "format=print", "mobile", "m=1",       "view=mobile"};
}

const CanonOptions& default_canon_options() {
  static const CanonOptions options;
  return options;
}

bool is_tracking_param(std::string_view name, const CanonOptions& opts) {
  const std::string key = ascii_lower(percent_decode(name));
  for (const std::string& p : opts.tracking_params) {
    if (iequals(key, p)) return true;
  }
  for (const std::string& prefix : opts.tracking_prefixes) {
    if (starts_with_icase(key, prefix)) return true;
  }
  return false;
}

std::string canonicalize_url(std::string_view url, const CanonOptions& opts) {
  Canonical c = canonicalize_parsed(url, opts);
  if (!c.ok) {
    while (!url.empty() && static_cast<unsigned char>(url.front()) <= ' ') url.remove_prefix(1);
    while (!url.empty() && static_cast<unsigned char>(url.back()) <= ' ') url.remove_suffix(1);
    return std::string(url);
  }
  return c.url.to_string();
}

std::string dedup_key(std::string_view url, const CanonOptions& opts) {
  Canonical c = canonicalize_parsed(url, opts);
  if (!c.ok) return canonicalize_url(url, opts);
  // One level only: a cache URL wrapping a cache URL is not worth a loop.
  if (auto inner = unwrap_amp_cache(c.url)) {
    Canonical unwrapped = canonicalize_parsed(*inner, opts);
    if (unwrapped.ok) c = std::move(unwrapped);
  }
  Url& u = c.url;
  std::string key = strip_host_prefixes(u.host, opts);
  if (!u.port.empty()) key += ":" + u.port;
  key += key_path(u.path);
  if (u.query) {
    std::vector<QueryParam> params = split_query(*u.query);
    std::erase_if(params, [&](const QueryParam& p) { return is_variant_param(p, opts); });
    if (auto q = join_query(params)) key += "?" + *q;
  }
  return key;
}

std::optional<std::string> host_to_ascii(std::string_view host) {
  if (!host.empty() && host.front() == '[') return ascii_lower(host);
  const std::string decoded = percent_decode(host);
  std::string lowered;
  if (is_ascii(decoded)) {
    lowered = ascii_lower(decoded);
  } else {
    auto cps = utf8_to_u32(decoded);
    if (!cps) return std::nullopt;
    for (char32_t& cp : *cps) {
      if (cp == U'\u3002' || cp == U'\uFF0E' || cp == U'\uFF61') {
        cp = U'.';
      } else {
        cp = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
      }
    }
    const std::string utf8 = u32_to_utf8(*cps);
    utf8proc_uint8_t* nfc = utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(utf8.c_str()));
    if (nfc == nullptr) return std::nullopt;
    lowered = reinterpret_cast<const char*>(nfc);
    std::free(nfc);
  }
  while (!lowered.empty() && lowered.back() == '.') lowered.pop_back();
  if (is_ascii(lowered)) return lowered;

  std::string out;
  size_t start = 0;
  while (start <= lowered.size()) {
    size_t end = lowered.find('.', start);
    if (end == std::string::npos) end = lowered.size();
    const std::string_view label = std::string_view(lowered).substr(start, end - start);
    if (start > 0) out += '.';
    if (is_ascii(label)) {
      out += label;
    } else {
      auto cps = utf8_to_u32(label);
      if (!cps) return std::nullopt;
      auto encoded = punycode_encode(*cps);
      if (!encoded) return std::nullopt;
      out += "xn--" + *encoded;
    }
    start = end + 1;
  }
  return out;
}

std::optional<std::string> punycode_encode(std::u32string_view label) {
  std::string out;
  for (char32_t cp : label) {
    if (cp < 0x80) out += static_cast<char>(cp);
  }
  const auto basic = static_cast<uint32_t>(out.size());
  uint32_t handled = basic;
  if (basic > 0) out += '-';
  uint32_t n = k_initial_n;
  uint32_t delta = 0;
  uint32_t bias = k_initial_bias;
  while (handled < label.size()) {
    uint32_t m = k_max_u32;
    for (char32_t cp : label) {
      if (cp >= n && cp < m) m = cp;
    }
    if (m - n > (k_max_u32 - delta) / (handled + 1)) return std::nullopt;
    delta += (m - n) * (handled + 1);
    n = m;
    for (char32_t cp : label) {
      if (cp < n && ++delta == 0) return std::nullopt;
      if (cp == n) {
        uint32_t q = delta;
        for (uint32_t k = k_base;; k += k_base) {
          const uint32_t t = threshold(k, bias);
          if (q < t) break;
          out += encode_digit(t + (q - t) % (k_base - t));
          q = (q - t) / (k_base - t);
        }
        out += encode_digit(q);
        bias = adapt_bias(delta, handled + 1, handled == basic);
        delta = 0;
        ++handled;
      }
    }
    ++delta;
    ++n;
  }
  return out;
}

std::optional<std::u32string> punycode_decode(std::string_view encoded) {
  std::u32string out;
  size_t pos = 0;
  const size_t delim = encoded.rfind('-');
  if (delim != std::string_view::npos) {
    for (size_t i = 0; i < delim; ++i) {
      if (static_cast<unsigned char>(encoded[i]) >= 0x80) return std::nullopt;
      out += static_cast<char32_t>(encoded[i]);
    }
    pos = delim + 1;
  }
  uint32_t n = k_initial_n;
  uint32_t i = 0;
  uint32_t bias = k_initial_bias;
  while (pos < encoded.size()) {
    const uint32_t old_i = i;
    uint32_t w = 1;
    for (uint32_t k = k_base;; k += k_base) {
      if (pos >= encoded.size()) return std::nullopt;
      const int d = decode_digit(encoded[pos++]);
      if (d < 0) return std::nullopt;
      const auto digit = static_cast<uint32_t>(d);
      if (digit > (k_max_u32 - i) / w) return std::nullopt;
      i += digit * w;
      const uint32_t t = threshold(k, bias);
      if (digit < t) break;
      if (w > k_max_u32 / (k_base - t)) return std::nullopt;
      w *= k_base - t;
    }
    const auto count = static_cast<uint32_t>(out.size() + 1);
    bias = adapt_bias(i - old_i, count, old_i == 0);
    if (i / count > k_max_u32 - n) return std::nullopt;
    n += i / count;
    i %= count;
    if (n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF)) return std::nullopt;
    out.insert(out.begin() + i, static_cast<char32_t>(n));
    ++i;
  }
  return out;
}

}  // namespace newswatch::storage
