// Bytes to UTF-8 text: charset detection (BOM, HTTP header, XML declaration, <meta charset>) and
// conversion with iconv. Invalid sequences become U+FFFD; nothing here throws or crashes.
#pragma once

#include <string>
#include <string_view>

namespace newswatch::parsers {

enum class DocumentKind { xml, html, other };

// The charset named by a Content-Type header value ("text/html; charset=ISO-8859-1"), lower-case,
// or "" when none.
std::string charset_from_content_type(std::string_view content_type);

// Determines the document's charset: BOM first, then the Content-Type charset, then the XML
// declaration (xml) or <meta charset>/http-equiv in the first 4 KiB (html); then UTF-8 when the
// bytes are valid UTF-8, else windows-1252. Returns a lower-case iconv name.
std::string detect_charset(std::string_view bytes, std::string_view content_type,
                           DocumentKind kind);

// Converts `bytes` from `charset` to UTF-8, dropping a BOM. Unknown charsets are treated as
// windows-1252 when the bytes are not valid UTF-8. Invalid input sequences become U+FFFD.
std::string convert_to_utf8(std::string_view bytes, std::string_view charset);

// detect_charset + convert_to_utf8.
std::string decode_to_utf8(std::string_view bytes, std::string_view content_type,
                           DocumentKind kind);

// True when `bytes` is well-formed UTF-8.
bool is_valid_utf8(std::string_view bytes);

// Replaces invalid UTF-8 sequences with U+FFFD.
std::string sanitize_utf8(std::string_view bytes);

}  // namespace newswatch::parsers
