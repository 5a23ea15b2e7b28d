#include "parsers/feed_text.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>

namespace newswatch::parsers {

namespace {

struct Entity {
  std::string_view name;
  char32_t code_point;
};

// Sorted by name (byte order) for binary search.
constexpr Entity k_entities[] = {
    {"AElig", 198},   {"Aacute", 193},   {"Acirc", 194},
    {"Agrave", 192},  {"Alpha", 913},    {"Aring", 197},
    {"Atilde", 195},  {"Auml", 196},     {"Beta", 914},
    {"Ccedil", 199},  {"Chi", 935},      {"Dagger", 8225},
    {"Delta", 916},   {"ETH", 208},      {"Eacute", 201},
    {"Ecirc", 202},   {"Egrave", 200},   {"Epsilon", 917},
    {"Eta", 919},     {"Euml", 203},     {"Gamma", 915},
    {"Iacute", 205},  {"Icirc", 206},    {"Igrave", 204},
    {"Iota", 921},    {"Iuml", 207},     {"Kappa", 922},
    {"Lambda", 923},  {"Mu", 924},       {"NonBreakingSpace", 160},
    {"Ntilde", 209},  {"Nu", 925},       {"OElig", 338},
    {"Oacute", 211},  {"Ocirc", 212},    {"Ograve", 210},
    {"Omega", 937},   {"Omicron", 927},  {"Oslash", 216},
    {"Otilde", 213},  {"Ouml", 214},     {"Phi", 934},
    {"Pi", 928},      {"Prime", 8243},   {"Psi", 936},
    {"Rho", 929},     {"Scaron", 352},   {"Sigma", 931},
    {"THORN", 222},   {"Tau", 932},      {"Theta", 920},
    {"Uacute", 218},  {"Ucirc", 219},    {"Ugrave", 217},
    {"Upsilon", 933}, {"Uuml", 220},     {"Xi", 926},
    {"Yacute", 221},  {"Yuml", 376},     {"Zeta", 918},
    {"aacute", 225},  {"acirc", 226},    {"acute", 180},
    {"aelig", 230},   {"agrave", 224},   {"alefsym", 8501},
    {"alpha", 945},   {"amp", 38},       {"and", 8743},
    {"ang", 8736},    {"apos", 39},      {"aring", 229},
    {"asymp", 8776},  {"atilde", 227},   {"auml", 228},
    {"bdquo", 8222},  {"beta", 946},     {"brvbar", 166},
    {"bull", 8226},   {"cap", 8745},     {"ccedil", 231},
    {"cedil", 184},   {"cent", 162},     {"chi", 967},
    {"circ", 710},    {"clubs", 9827},   {"cong", 8773},
    {"copy", 169},    {"crarr", 8629},   {"cup", 8746},
    {"curren", 164},  {"dArr", 8659},    {"dagger", 8224},
    {"darr", 8595},   {"dash", 8208},    {"deg", 176},
    {"delta", 948},   {"diams", 9830},   {"divide", 247},
    {"eacute", 233},  {"ecirc", 234},    {"egrave", 232},
    {"empty", 8709},  {"emsp", 8195},    {"ensp", 8194},
    {"epsilon", 949}, {"equiv", 8801},   {"eta", 951},
    {"eth", 240},     {"euml", 235},     {"euro", 8364},
    {"exist", 8707},  {"fnof", 402},     {"forall", 8704},
    {"frac12", 189},  {"frac14", 188},   {"frac34", 190},
    {"frasl", 8260},  {"gamma", 947},    {"ge", 8805},
    {"gt", 62},       {"hArr", 8660},    {"harr", 8596},
    {"hearts", 9829}, {"hellip", 8230},  {"horbar", 8213},
    {"hyphen", 8208}, {"iacute", 237},   {"icirc", 238},
    {"iexcl", 161},   {"igrave", 236},   {"image", 8465},
    {"infin", 8734},  {"int", 8747},     {"iota", 953},
    {"iquest", 191},  {"isin", 8712},    {"iuml", 239},
    {"kappa", 954},   {"lArr", 8656},    {"lambda", 955},
    {"lang", 9001},   {"laquo", 171},    {"larr", 8592},
    {"lceil", 8968},  {"ldquo", 8220},   {"le", 8804},
    {"lfloor", 8970}, {"lowast", 8727},  {"loz", 9674},
    {"lrm", 8206},    {"lsaquo", 8249},  {"lsquo", 8216},
    {"lt", 60},       {"macr", 175},     {"mdash", 8212},
    {"micro", 181},   {"middot", 183},   {"minus", 8722},
    {"mu", 956},      {"nabla", 8711},   {"nbhy", 8209},
    {"nbsp", 160},    {"ndash", 8211},   {"ne", 8800},
    {"ni", 8715},     {"not", 172},      {"notin", 8713},
    {"nsub", 8836},   {"ntilde", 241},   {"nu", 957},
    {"oacute", 243},  {"ocirc", 244},    {"oelig", 339},
    {"ograve", 242},  {"oline", 8254},   {"omega", 969},
    {"omicron", 959}, {"oplus", 8853},   {"or", 8744},
    {"ordf", 170},    {"ordm", 186},     {"oslash", 248},
    {"otilde", 245},  {"otimes", 8855},  {"ouml", 246},
    {"para", 182},    {"part", 8706},    {"permil", 8240},
    {"perp", 8869},   {"phi", 966},      {"pi", 960},
    {"piv", 982},     {"plusmn", 177},   {"pound", 163},
    {"prime", 8242},  {"prod", 8719},    {"prop", 8733},
    {"psi", 968},     {"quot", 34},      {"rArr", 8658},
    {"radic", 8730},  {"rang", 9002},    {"raquo", 187},
    {"rarr", 8594},   {"rceil", 8969},   {"rdquo", 8221},
    {"real", 8476},   {"reg", 174},      {"rfloor", 8971},
    {"rho", 961},     {"rlm", 8207},     {"rsaquo", 8250},
    {"rsquo", 8217},  {"sbquo", 8218},   {"scaron", 353},
    {"sdot", 8901},   {"sect", 167},     {"shy", 173},
    {"sigma", 963},   {"sigmaf", 962},   {"sim", 8764},
    {"spades", 9824}, {"sub", 8834},     {"sube", 8838},
    {"sum", 8721},    {"sup", 8835},     {"sup1", 185},
    {"sup2", 178},    {"sup3", 179},     {"supe", 8839},
    {"szlig", 223},   {"tau", 964},      {"there4", 8756},
    {"theta", 952},   {"thetasym", 977}, {"thinsp", 8201},
    {"thorn", 254},   {"tilde", 732},    {"times", 215},
    {"trade", 8482},  {"uArr", 8657},    {"uacute", 250},
    {"uarr", 8593},   {"ucirc", 251},    {"ugrave", 249},
    {"uml", 168},     {"upsih", 978},    {"upsilon", 965},
    {"uuml", 252},    {"weierp", 8472},  {"xi", 958},
    {"yacute", 253},  {"yen", 165},      {"yuml", 255},
    {"zeta", 950},    {"zwj", 8205},     {"zwnj", 8204},
};

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
constexpr auto k_plain = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<size_t>(c)] = c != '<' && c != '&' && c != 0xC2 && c != ' ' && c != '\t' &&
                                c != '\n' && c != '\r' && c != '\f';
  }
  return t;
}();
bool is_plain(unsigned char c) { return k_plain[c]; }
bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool is_alnum(unsigned char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }

// HTML maps these numeric references to windows-1252 (feeds written on Windows use them).
constexpr char32_t k_cp1252[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

}  // namespace

char32_t decode_html_reference(std::string_view s, size_t i, size_t& len) {
  size_t j = i + 1;
  if (j < s.size() && s[j] == '#') {
    ++j;
    const bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
    if (hex) ++j;
    const size_t digits_start = j;
    uint32_t v = 0;
    while (j < s.size() && j - digits_start < 8) {
      const auto c = static_cast<unsigned char>(s[j]);
      int d = -1;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        d = (c | 0x20) - 'a' + 10;
      if (d < 0) break;
      v = v * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      ++j;
    }
    if (j == digits_start) return 0;
    if (j < s.size() && s[j] == ';') ++j;
    len = j - i;
    if (v >= 0x80 && v < 0xA0) return k_cp1252[v - 0x80];
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0xFFFD;
    return v;
  }
  while (j < s.size() && j - i <= 32 && is_alnum(static_cast<unsigned char>(s[j]))) ++j;
  if (j == i + 1) return 0;
  const char32_t cp = html_entity_code_point(s.substr(i + 1, j - i - 1));
  if (cp == 0) return 0;
  if (j < s.size() && s[j] == ';') ++j;
  len = j - i;
  return cp;
}

namespace {

bool is_unicode_space(char32_t cp) {
  return cp == 0xA0 || cp == 0x2002 || cp == 0x2003 || cp == 0x2009 || cp == 0x200B;
}

// Accumulates text with collapsed whitespace and pending breaks.
class TextSink {
 public:
  explicit TextSink(bool single_line, size_t reserve) : m_single_line(single_line) {
    m_out.reserve(reserve);
  }
  void space() { m_pending = std::max(m_pending, 1); }
  void line_break() { m_pending = std::max(m_pending, 2); }
  void paragraph_break() { m_pending = 3; }
  void text(std::string_view t) {
    flush();
    m_out.append(t);
  }
  void ch(char c) {
    flush();
    m_out += c;
  }
  void code_point(char32_t cp) {
    if (is_unicode_space(cp)) return space();
    flush();
    append_utf8(m_out, cp);
  }
  std::string take() { return std::move(m_out); }

 private:
  void flush() {
    if (m_pending != 0 && !m_out.empty()) {
      if (m_single_line || m_pending == 1)
        m_out += ' ';
      else if (m_pending == 2)
        m_out += '\n';
      else
        m_out += "\n\n";
    }
    m_pending = 0;
  }
  std::string m_out;
  int m_pending = 0;  // 0 none, 1 space, 2 line break, 3 paragraph
  bool m_single_line;
};

enum class TagClass { inline_tag, line, paragraph, cell, skip_content };

TagClass classify_tag(std::string_view name) {
  char buf[12];
  if (name.empty() || name.size() >= sizeof buf) return TagClass::inline_tag;
  for (size_t i = 0; i < name.size(); ++i) buf[i] = static_cast<char>(name[i] | 0x20);
  const std::string_view n(buf, name.size());
  if (n == "br" || n == "li" || n == "tr" || n == "dt" || n == "dd") return TagClass::line;
  if (n == "td" || n == "th") return TagClass::cell;
  if (n == "script" || n == "style" || n == "noscript" || n == "template" || n == "iframe" ||
      n == "svg" || n == "math" || n == "object") {
    return TagClass::skip_content;
  }
  static constexpr std::string_view k_blocks[] = {
      "p",          "div",        "h1",      "h2",     "h3",     "h4",     "h5",
      "h6",         "ul",         "ol",      "dl",     "table",  "pre",    "hr",
      "blockquote", "section",    "article", "header", "footer", "aside",  "nav",
      "figure",     "figcaption", "address", "main",   "form",   "center", "fieldset",
      "details",    "summary",    "caption", "thead",  "tbody",  "tfoot",
  };
  for (const auto b : k_blocks) {
    if (b[0] == n[0] && n == b) return TagClass::paragraph;
  }
  return TagClass::inline_tag;
}

// Index just past the '>' closing the tag that starts at s[i] == '<', honouring quotes.
size_t tag_end(std::string_view s, size_t i) {
  char quote = 0;
  for (size_t j = i + 1; j < s.size(); ++j) {
    const char c = s[j];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      // Only quotes that open an attribute value count; a stray apostrophe must not swallow
      // the rest of the fragment.
      if (s[j - 1] == '=' || s[j - 1] == ' ') quote = c;
    } else if (c == '>') {
      return j + 1;
    }
  }
  return s.size();
}

size_t find_ci(std::string_view s, std::string_view needle, size_t from) {
  for (size_t i = from; i + needle.size() <= s.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() && (s[i + k] | 0x20) == needle[k]) ++k;
    if (k == needle.size()) return i;
  }
  return std::string_view::npos;
}

std::string html_to_text_impl(std::string_view s, bool single_line) {
  TextSink sink(single_line, s.size());
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // Copy a run of ordinary bytes at once.
    size_t j = i;
    while (j < n) {
      const auto c = static_cast<unsigned char>(s[j]);
      // A single space between two words stays inside the run.
      if (c == ' ' && j > i && j + 1 < n && is_plain(static_cast<unsigned char>(s[j + 1]))) {
        j += 2;
        continue;
      }
      if (!is_plain(c)) break;
      ++j;
    }
    if (j > i) {
      sink.text(s.substr(i, j - i));
      i = j;
      if (i >= n) break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (is_space(c)) {
      sink.space();
      ++i;
    } else if (c == 0xC2) {
      // U+00A0 no-break space counts as whitespace.
      if (i + 1 < n && static_cast<unsigned char>(s[i + 1]) == 0xA0) {
        sink.space();
        i += 2;
      } else {
        sink.ch(s[i]);
        ++i;
      }
    } else if (c == '&') {
      size_t len = 0;
      const char32_t cp = decode_html_reference(s, i, len);
      if (cp == 0) {
        sink.ch('&');
        ++i;
      } else {
        sink.code_point(cp);
        i += len;
      }
    } else {  // '<'
      const unsigned char next = i + 1 < n ? static_cast<unsigned char>(s[i + 1]) : 0;
      if (next == '!') {
        if (s.substr(i, 4) == "<!--") {
          const size_t e = s.find("-->", i + 4);
          i = e == std::string_view::npos ? n : e + 3;
        } else if (s.substr(i, 9) == "<![CDATA[") {
          const size_t e = s.find("]]>", i + 9);
          const size_t stop = e == std::string_view::npos ? n : e;
          // CDATA inside HTML is literal text; collapse its whitespace like the rest.
          for (size_t k = i + 9; k < stop; ++k) {
            if (is_space(static_cast<unsigned char>(s[k])))
              sink.space();
            else
              sink.ch(s[k]);
          }
          i = e == std::string_view::npos ? n : e + 3;
        } else {
          i = tag_end(s, i);
        }
      } else if (next == '?') {
        i = tag_end(s, i);
      } else if (next == '/' || is_alpha(next)) {
        const size_t name_start = i + (next == '/' ? 2 : 1);
        size_t e = name_start;
        while (e < n && is_alnum(static_cast<unsigned char>(s[e]))) ++e;
        const std::string_view name = s.substr(name_start, e - name_start);
        const size_t end = tag_end(s, i);
        const TagClass cls = classify_tag(name);
        i = end;
        switch (cls) {
          case TagClass::inline_tag: break;
          case TagClass::line: sink.line_break(); break;
          case TagClass::cell: sink.space(); break;
          case TagClass::paragraph: sink.paragraph_break(); break;
          case TagClass::skip_content:
            if (next != '/' && !(end >= 2 && s[end - 2] == '/')) {
              char close[16] = "</";
              for (size_t k = 0; k < name.size(); ++k)
                close[2 + k] = static_cast<char>(name[k] | 0x20);
              const size_t c2 = find_ci(s, std::string_view(close, 2 + name.size()), i);
              i = c2 == std::string_view::npos ? n : tag_end(s, c2);
            }
            break;
        }
      } else {
        sink.ch('<');
        ++i;
      }
    }
  }
  return sink.take();
}

std::string normalize_impl(std::string_view s, bool single_line) {
  TextSink sink(single_line, s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!is_space(c)) {
      size_t j = i;
      while (j < s.size() && !is_space(static_cast<unsigned char>(s[j]))) ++j;
      sink.text(s.substr(i, j - i));
      i = j;
      continue;
    }
    int newlines = 0;
    while (i < s.size() && is_space(static_cast<unsigned char>(s[i]))) {
      if (s[i] == '\n') ++newlines;
      ++i;
    }
    if (newlines >= 2)
      sink.paragraph_break();
    else if (newlines == 1)
      sink.line_break();
    else
      sink.space();
  }
  return sink.take();
}

}  // namespace

char32_t html_entity_code_point(std::string_view name) {
  // Hand-rolled comparison: names are short, and a memcmp call per probe dominated.
  const auto less = [](const Entity& e, std::string_view n) {
    const size_t m = std::min(e.name.size(), n.size());
    for (size_t i = 0; i < m; ++i) {
      if (e.name[i] != n[i])
        return static_cast<unsigned char>(e.name[i]) < static_cast<unsigned char>(n[i]);
    }
    return e.name.size() < n.size();
  };
  const auto it = std::lower_bound(std::begin(k_entities), std::end(k_entities), name, less);
  if (it == std::end(k_entities) || it->name != name) return 0;
  return it->code_point;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string html_to_text(std::string_view html) { return html_to_text_impl(html, false); }

std::string html_to_line(std::string_view html) { return html_to_text_impl(html, true); }

std::string normalize_text(std::string_view text) { return normalize_impl(text, false); }

std::string normalize_line(std::string_view text) { return normalize_impl(text, true); }

}  // namespace newswatch::parsers
