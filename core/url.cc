#include "core/url.h"

#include <algorithm>
#include <cctype>

namespace newswatch {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

// Returns the scheme's length when `s` starts with "scheme:", else 0.
size_t scheme_length(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return 0;
  for (size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ':') return i;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return 0;
  }
  return 0;
}

bool parse_authority(std::string_view auth, Url& url) {
  const size_t at = auth.rfind('@');
  if (at != std::string_view::npos) {
    url.userinfo = std::string(auth.substr(0, at));
    auth.remove_prefix(at + 1);
  }
  std::string_view host = auth;
  std::string_view port;
  if (!auth.empty() && auth[0] == '[') {
    const size_t close = auth.find(']');
    if (close == std::string_view::npos) return false;
    host = auth.substr(0, close + 1);
    std::string_view rest = auth.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port = rest.substr(1);
    }
  } else {
    const size_t colon = auth.rfind(':');
    if (colon != std::string_view::npos) {
      host = auth.substr(0, colon);
      port = auth.substr(colon + 1);
    }
  }
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  if (port.size() > 5) return false;
  url.host = lower(host);
  url.port = std::string(port);
  return true;
}

// Splits "path?query#fragment" into `url`.
void split_path(std::string_view rest, Url& url) {
  const size_t hash = rest.find('#');
  if (hash != std::string_view::npos) {
    url.fragment = std::string(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  const size_t q = rest.find('?');
  if (q != std::string_view::npos) {
    url.query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  url.path = std::string(rest);
}

std::string merge_paths(const Url& base, std::string_view ref_path) {
  if (base.has_authority && base.path.empty()) return "/" + std::string(ref_path);
  const size_t slash = base.path.rfind('/');
  if (slash == std::string::npos) return std::string(ref_path);
  return base.path.substr(0, slash + 1) + std::string(ref_path);
}

}  // namespace

std::string Url::authority() const {
  std::string out = host;
  if (!port.empty()) out += ":" + port;
  return out;
}

int Url::effective_port() const {
  if (!port.empty()) return std::stoi(port);
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return 0;
}

std::string Url::to_string() const {
  std::string out = scheme + ":";
  if (has_authority) {
    out += "//";
    if (!userinfo.empty()) out += userinfo + "@";
    out += authority();
  }
  out += path;
  if (query) out += "?" + *query;
  if (fragment) out += "#" + *fragment;
  return out;
}

std::optional<Url> parse_url(std::string_view text) {
  text = trim(text);
  const size_t slen = scheme_length(text);
  if (slen == 0) return std::nullopt;
  Url url;
  url.scheme = lower(text.substr(0, slen));
  std::string_view rest = text.substr(slen + 1);
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    const size_t end = rest.find_first_of("/?#");
    const std::string_view auth = rest.substr(0, end);
    if (!parse_authority(auth, url)) return std::nullopt;
    url.has_authority = true;
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  split_path(rest, url);
  if ((url.scheme == "http" || url.scheme == "https") && url.host.empty()) return std::nullopt;
  return url;
}

std::string remove_dot_segments(std::string_view in) {
  std::string input(in);
  std::string output;
  while (!input.empty()) {
    if (input.rfind("../", 0) == 0) {
      input.erase(0, 3);
    } else if (input.rfind("./", 0) == 0) {
      input.erase(0, 2);
    } else if (input.rfind("/./", 0) == 0) {
      input.replace(0, 3, "/");
    } else if (input == "/.") {
      input = "/";
    } else if (input.rfind("/../", 0) == 0 || input == "/..") {
      input = input.size() == 3 ? std::string("/") : input.replace(0, 4, "/");
      const size_t slash = output.rfind('/');
      output.erase(slash == std::string::npos ? 0 : slash);
    } else if (input == "." || input == "..") {
      input.clear();
    } else {
      const size_t start = input[0] == '/' ? 1 : 0;
      const size_t next = input.find('/', start);
      output += input.substr(0, next);
      input.erase(0, next == std::string::npos ? input.size() : next);
    }
  }
  return output;
}

std::optional<Url> resolve_url(const Url& base, std::string_view reference) {
  reference = trim(reference);
  if (scheme_length(reference) > 0) {
    auto url = parse_url(reference);
    if (url) url->path = remove_dot_segments(url->path);
    return url;
  }
  Url target;
  target.scheme = base.scheme;
  if (reference.substr(0, 2) == "//") {
    auto url = parse_url(base.scheme + ":" + std::string(reference));
    if (url) url->path = remove_dot_segments(url->path);
    return url;
  }
  target.has_authority = base.has_authority;
  target.userinfo = base.userinfo;
  target.host = base.host;
  target.port = base.port;
  Url ref;
  split_path(reference, ref);
  if (ref.path.empty()) {
    target.path = base.path;
    target.query = ref.query ? ref.query : base.query;
  } else {
    if (ref.path[0] == '/') {
      target.path = remove_dot_segments(ref.path);
    } else {
      target.path = remove_dot_segments(merge_paths(base, ref.path));
    }
    target.query = ref.query;
  }
  target.fragment = ref.fragment;
  if (target.has_authority && target.path.empty()) target.path = "/";
  return target;
}

std::string resolve_url_string(std::string_view base, std::string_view reference) {
  const auto b = parse_url(base);
  if (!b) {
    if (auto abs = parse_url(reference)) return abs->to_string();
    return std::string(trim(reference));
  }
  const auto r = resolve_url(*b, reference);
  return r ? r->to_string() : std::string(trim(reference));
}

bool is_http_url(const Url& url) {
  return (url.scheme == "http" || url.scheme == "https") && !url.host.empty();
}

}  // namespace newswatch
