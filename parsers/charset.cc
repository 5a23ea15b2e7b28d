#include "parsers/charset.h"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

namespace newswatch::parsers {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Maps labels that browsers treat as aliases onto the name iconv knows; WHATWG's Encoding
// standard treats latin1/ascii as windows-1252, which is what servers mean in practice.
std::string normalize_label(std::string_view label) {
  std::string l = lower(label);
  while (!l.empty() &&
         (l.back() == ' ' || l.back() == '"' || l.back() == '\'' || l.back() == ';')) {
    l.pop_back();
  }
  size_t start = 0;
  while (start < l.size() && (l[start] == ' ' || l[start] == '"' || l[start] == '\'')) ++start;
  l = l.substr(start);
  if (l == "utf8" || l == "unicode-1-1-utf-8") return "utf-8";
  if (l == "iso-8859-1" || l == "iso8859-1" || l == "latin1" || l == "latin-1" || l == "us-ascii" ||
      l == "ascii" || l == "l1" || l == "cp1252" || l == "x-cp1252") {
    return "windows-1252";
  }
  if (l == "koi8r") return "koi8-r";
  if (l == "cp1251" || l == "win-1251" || l == "x-cp1251") return "windows-1251";
  if (l == "utf-16") return "utf-16le";
  return l;
}

// Finds `charset=` in a fragment of markup or a header value.
std::string charset_after(std::string_view text) {
  const std::string l = lower(text);
  const size_t pos = l.find("charset");
  if (pos == std::string::npos) return "";
  size_t i = pos + 7;
  while (i < l.size() && std::isspace(static_cast<unsigned char>(l[i]))) ++i;
  if (i >= l.size() || l[i] != '=') return "";
  ++i;
  while (i < l.size() &&
         (std::isspace(static_cast<unsigned char>(l[i])) || l[i] == '"' || l[i] == '\'')) {
    ++i;
  }
  size_t end = i;
  while (end < l.size() && (std::isalnum(static_cast<unsigned char>(l[end])) || l[end] == '-' ||
                            l[end] == '_' || l[end] == ':' || l[end] == '.')) {
    ++end;
  }
  return l.substr(i, end - i);
}

std::string charset_from_bom(std::string_view b) {
  if (b.size() >= 3 && b.substr(0, 3) == "\xEF\xBB\xBF") return "utf-8";
  if (b.size() >= 2 && b.substr(0, 2) == "\xFF\xFE") return "utf-16le";
  if (b.size() >= 2 && b.substr(0, 2) == "\xFE\xFF") return "utf-16be";
  return "";
}

std::string charset_from_xml_declaration(std::string_view b) {
  size_t start = 0;
  while (start < b.size() && std::isspace(static_cast<unsigned char>(b[start]))) ++start;
  if (b.substr(start, 5) != "<?xml") return "";
  const size_t end = b.find("?>", start);
  if (end == std::string_view::npos || end > start + 512) return "";
  const std::string decl = lower(b.substr(start, end - start));
  const size_t pos = decl.find("encoding");
  if (pos == std::string::npos) return "";
  size_t i = decl.find_first_of("\"'", pos);
  if (i == std::string::npos) return "";
  const char quote = decl[i];
  const size_t close = decl.find(quote, i + 1);
  if (close == std::string::npos) return "";
  return decl.substr(i + 1, close - i - 1);
}

std::string charset_from_meta(std::string_view b) {
  const std::string head = lower(b.substr(0, 4096));
  size_t pos = 0;
  while ((pos = head.find("<meta", pos)) != std::string::npos) {
    const size_t end = head.find('>', pos);
    if (end == std::string::npos) break;
    const std::string tag = head.substr(pos, end - pos);
    std::string cs = charset_after(tag);
    if (!cs.empty()) return cs;
    pos = end;
  }
  return "";
}

bool is_utf8_label(const std::string& l) { return l == "utf-8"; }

}  // namespace

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len = 0;
    unsigned min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      min = 0x10000;
    } else {
      return false;
    }
    if (i + static_cast<size_t>(len) > n) return false;
    unsigned cp = c & (0xFF >> (len + 1));
    for (int k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<size_t>(len);
  }
  return true;
}

std::string sanitize_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 16);
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80             ? 1
                 : (c & 0xE0) == 0xC0 ? 2
                 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4
                                      : 0;
    if (len > 0 && i + len <= s.size() && is_valid_utf8(s.substr(i, len))) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string charset_from_content_type(std::string_view content_type) {
  const std::string cs = charset_after(content_type);
  return cs.empty() ? "" : normalize_label(cs);
}

std::string detect_charset(std::string_view bytes, std::string_view content_type,
                           DocumentKind kind) {
  if (std::string bom = charset_from_bom(bytes); !bom.empty()) return bom;
  if (std::string header = charset_from_content_type(content_type); !header.empty()) {
    return header;
  }
  std::string declared;
  if (kind != DocumentKind::html) declared = charset_from_xml_declaration(bytes);
  if (declared.empty() && kind != DocumentKind::xml) declared = charset_from_meta(bytes);
  if (!declared.empty()) {
    declared = normalize_label(declared);
    // A page that claims UTF-16 in ASCII-compatible markup is lying (HTML standard).
    if (declared.rfind("utf-16", 0) == 0) declared = "utf-8";
    // A declared UTF-8 that is not valid is far more often windows-1252 mislabelled; but only
    // switch when the bytes are clearly not UTF-8 at all.
    return declared;
  }
  return is_valid_utf8(bytes) ? "utf-8" : "windows-1252";
}

std::string convert_to_utf8(std::string_view bytes, std::string_view charset_in) {
  std::string charset = normalize_label(charset_in);
  if (const std::string bom = charset_from_bom(bytes); !bom.empty()) {
    bytes.remove_prefix(bom == "utf-8" ? 3 : 2);
    charset = bom;
  }
  if (charset.empty() || is_utf8_label(charset)) return sanitize_utf8(bytes);
  iconv_t cd = iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    if (is_valid_utf8(bytes)) return std::string(bytes);
    cd = iconv_open("UTF-8", "WINDOWS-1252");
    if (cd == reinterpret_cast<iconv_t>(-1)) return sanitize_utf8(bytes);
  }
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 2 + 16);
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char buf[8192];
  while (in_left > 0) {
    char* outp = buf;
    size_t out_left = sizeof buf;
    const size_t rc = iconv(cd, &in, &in_left, &outp, &out_left);
    out.append(buf, sizeof buf - out_left);
    if (rc == static_cast<size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ or EINVAL (truncated sequence): replace one byte and go on.
      out += "\xEF\xBF\xBD";
      ++in;
      --in_left;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);
    }
  }
  char* outp = buf;
  size_t out_left = sizeof buf;
  iconv(cd, nullptr, nullptr, &outp, &out_left);
  out.append(buf, sizeof buf - out_left);
  iconv_close(cd);
  return sanitize_utf8(out);
}

std::string decode_to_utf8(std::string_view bytes, std::string_view content_type,
                           DocumentKind kind) {
  return convert_to_utf8(bytes, detect_charset(bytes, content_type, kind));
}

}  // namespace newswatch::parsers
