#include "storage/analyzer.h"

#include <libstemmer.h>
#include <utf8proc.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <utility>

#include "storage/word_chars.h"

namespace newswatch::storage {
namespace {

bool is_ascii_word(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

std::string normalize_word(std::string_view word) {
  // Most German, English and French words are ASCII: lower-casing is all NFKC + folding does there.
  if (is_ascii_word(word)) {
    std::string out(word);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }
  // The breve of Russian "й" is not a diacritic but a letter of its own, and the Russian stemmer
  // needs it ("новый" -> "нов", "новыи" -> "новы"): normalise around it, keep it lower case.
  for (std::string_view letter : {std::string_view("\xD0\xB9"), std::string_view("\xD0\x99")}) {
    if (const std::size_t at = word.find(letter); at != std::string_view::npos) {
      return normalize_word(word.substr(0, at)) + "\xD0\xB9" + normalize_word(word.substr(at + 2));
    }
  }
  utf8proc_uint8_t* mapped = nullptr;
  const auto options =
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                                     UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(word.data()),
                   static_cast<utf8proc_ssize_t>(word.size()), &mapped, options);
  if (n < 0) return {};
  std::string out(reinterpret_cast<const char*>(mapped), static_cast<std::size_t>(n));
  std::free(mapped);
  return out;
}

// Snowball stemmers are not thread-safe, so each thread owns its own, created on first use.
class ThreadStemmers {
 public:
  ThreadStemmers() = default;
  ThreadStemmers(const ThreadStemmers&) = delete;
  ThreadStemmers& operator=(const ThreadStemmers&) = delete;
  ~ThreadStemmers() {
    for (auto& [name, stemmer] : m_items) sb_stemmer_delete(stemmer);
  }

  sb_stemmer* get(const std::string& algorithm) {
    for (auto& [name, stemmer] : m_items) {
      if (name == algorithm) return stemmer;
    }
    sb_stemmer* stemmer = sb_stemmer_new(algorithm.c_str(), "UTF_8");
    if (stemmer != nullptr) m_items.emplace_back(algorithm, stemmer);
    return stemmer;
  }

 private:
  std::vector<std::pair<std::string, sb_stemmer*>> m_items;
};

thread_local ThreadStemmers t_stemmers;

std::string stem(const std::string& algorithm, std::string_view word) {
  sb_stemmer* stemmer = t_stemmers.get(algorithm);
  if (stemmer == nullptr) return std::string(word);
  const sb_symbol* out = sb_stemmer_stem(stemmer, reinterpret_cast<const sb_symbol*>(word.data()),
                                         static_cast<int>(word.size()));
  if (out == nullptr) return std::string(word);  // out of memory inside libstemmer
  return std::string(reinterpret_cast<const char*>(out),
                     static_cast<std::size_t>(sb_stemmer_length(stemmer)));
}

struct LanguageName {
  const char* code;
  const char* algorithm;
};

constexpr LanguageName k_languages[] = {
    {"ar", "arabic"},     {"ca", "catalan"},    {"da", "danish"},     {"de", "german"},
    {"el", "greek"},      {"en", "english"},    {"es", "spanish"},    {"eu", "basque"},
    {"fi", "finnish"},    {"fr", "french"},     {"ga", "irish"},      {"hi", "hindi"},
    {"hu", "hungarian"},  {"hy", "armenian"},   {"id", "indonesian"}, {"it", "italian"},
    {"lt", "lithuanian"}, {"ne", "nepali"},     {"nl", "dutch"},      {"no", "norwegian"},
    {"nb", "norwegian"},  {"pt", "portuguese"}, {"ro", "romanian"},   {"ru", "russian"},
    {"sr", "serbian"},    {"sv", "swedish"},    {"ta", "tamil"},      {"tr", "turkish"},
    {"yi", "yiddish"},
};

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// "de-DE" -> "de".
std::string primary_subtag(std::string_view lang) {
  const std::size_t cut = lang.find_first_of("-_");
  return lower_ascii(lang.substr(0, cut));
}

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

enum class Script { latin, cyrillic, other };

// The script of a normalised word, judged by its bytes: ASCII is Latin, U+0400..U+04FF Cyrillic.
Script word_script(std::string_view norm) {
  if (is_ascii_word(norm)) return Script::latin;
  const auto lead = static_cast<unsigned char>(norm[0]);
  if (lead >= 0xD0 && lead <= 0xD3) return Script::cyrillic;
  return Script::other;
}

// The script an algorithm stems; Script::other for those that take several.
Script algorithm_script(std::string_view algorithm) {
  if (algorithm == "russian") return Script::cyrillic;
  for (std::string_view other :
       {"serbian", "greek", "arabic", "hindi", "nepali", "tamil", "armenian", "yiddish"}) {
    if (algorithm == other) return Script::other;
  }
  return Script::latin;
}

}  // namespace

namespace {

// Calls `on_word(begin, end)` for the byte range of every word of `text` (see tokenize()).
template <typename Fn>
void for_each_word_range(std::string_view text, Fn&& on_word) {
  const auto* data = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  const auto size = static_cast<utf8proc_ssize_t>(text.size());
  utf8proc_ssize_t i = 0;
  utf8proc_ssize_t word_begin = -1;
  utf8proc_ssize_t word_end = -1;  // end of the last word character, so trailing Cf is dropped
  auto flush = [&] {
    if (word_begin < 0) return;
    on_word(static_cast<std::size_t>(word_begin), static_cast<std::size_t>(word_end));
    word_begin = -1;
  };
  while (i < size) {
    const utf8proc_uint8_t c = data[i];
    if (c < 0x80) {
      // ASCII: letters and digits are the only word characters (no Cf, no marks).
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        if (word_begin < 0) word_begin = i;
        word_end = i + 1;
      } else {
        flush();
      }
      ++i;
      continue;
    }
    utf8proc_int32_t cp = -1;
    utf8proc_ssize_t n = utf8proc_iterate(data + i, size - i, &cp);
    if (n <= 0) {  // invalid byte: a separator
      flush();
      ++i;
      continue;
    }
    const utf8proc_category_t category = utf8proc_category(cp);
    if (is_word_category(category)) {
      if (word_begin < 0) word_begin = i;
      word_end = i + n;
    } else if (category == UTF8PROC_CATEGORY_CF && word_begin >= 0) {
      // soft hyphen, zero-width joiners: inside a word they do not split it
    } else {
      flush();
    }
    i += n;
  }
  flush();
}

}  // namespace

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::uint32_t position = 0;
  for_each_word_range(text, [&](std::size_t begin, std::size_t end) {
    std::string norm = normalize_word(text.substr(begin, end - begin));
    if (!norm.empty()) {
      tokens.push_back(Token{std::move(norm), position++, static_cast<std::uint32_t>(begin),
                             static_cast<std::uint32_t>(end)});
    }
  });
  return tokens;
}

void for_each_norm(std::string_view text, const std::function<void(std::string_view)>& fn) {
  NormalizedWords words;
  normalize_words(text, words);
  for (std::size_t i = 0; i < words.size(); ++i) fn(words[i]);
}

namespace {

// Per byte: the byte with ASCII letters lower-cased.
constexpr std::array<unsigned char, 256> k_lower_byte = [] {
  std::array<unsigned char, 256> t{};
  for (std::size_t c = 0; c < 256; ++c) t[c] = static_cast<unsigned char>(c);
  for (std::size_t c = 'A'; c <= 'Z'; ++c) t[c] = static_cast<unsigned char>(c - 'A' + 'a');
  return t;
}();

// Whether the byte may belong to a word: an ASCII letter or digit, or any byte >= 0x80.
constexpr std::array<bool, 256> k_maybe_word = [] {
  std::array<bool, 256> t{};
  for (std::size_t c = '0'; c <= '9'; ++c) t[c] = true;
  for (std::size_t c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (std::size_t c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (std::size_t c = 0x80; c < 256; ++c) t[c] = true;
  return t;
}();

// Appends `norm` as the next word of `out`, after its `tail` bytes, keeping the padding.
void append_norm(NormalizedWords& out, std::size_t& tail, std::string_view norm) {
  if (out.bytes.size() < tail + norm.size() + NormalizedWords::k_padding) {
    out.bytes.resize(2 * (tail + norm.size() + NormalizedWords::k_padding));
  }
  std::memcpy(out.bytes.data() + tail, norm.data(), norm.size());
  out.begins.push_back(static_cast<std::uint32_t>(tail));
  tail += norm.size();
  out.ends.push_back(static_cast<std::uint32_t>(tail));
}

// The words of text[begin, end), a run of bytes that may belong to words with at least one byte
// >= 0x80, where ASCII separators (or the text's ends) lie on both sides: the state machine of
// for_each_word_range(), whose words cannot cross those separators.
void normalize_segment(std::string_view text, std::size_t begin, std::size_t end,
                       NormalizedWords& out, std::size_t& tail) {
  const auto* data = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  std::size_t i = begin;
  std::size_t word_begin = 0;
  std::size_t word_end = 0;  // end of the last word character, so trailing Cf is dropped
  bool in_word = false;
  auto flush = [&] {
    if (!in_word) return;
    in_word = false;
    const std::string norm = normalize_word(text.substr(word_begin, word_end - word_begin));
    if (!norm.empty()) append_norm(out, tail, norm);
  };
  while (i < end) {
    const utf8proc_uint8_t c = data[i];
    if (c < 0x80) {  // a letter or digit: the segment holds no other ASCII
      if (!in_word) word_begin = i;
      in_word = true;
      word_end = ++i;
      continue;
    }
    utf8proc_int32_t cp = -1;
    // Decoding stops at the segment's end: the byte there is ASCII, never a continuation byte.
    const utf8proc_ssize_t n =
        utf8proc_iterate(data + i, static_cast<utf8proc_ssize_t>(end - i), &cp);
    if (n <= 0) {  // invalid byte: a separator
      flush();
      ++i;
      continue;
    }
    const utf8proc_category_t category = utf8proc_category(cp);
    if (is_word_category(category)) {
      if (!in_word) word_begin = i;
      in_word = true;
      word_end = i + static_cast<std::size_t>(n);
    } else if (category != UTF8PROC_CATEGORY_CF || !in_word) {
      flush();  // a separator; format characters such as the soft hyphen continue a word
    }
    i += static_cast<std::size_t>(n);
  }
  flush();
}

}  // namespace

void normalize_words(std::string_view text, NormalizedWords& out) {
  // The same words as for_each_word_range(), found 64 bytes at a time. The text is copied
  // lower-cased (ASCII letters only) to out.bytes, with a bitmap of the bytes that may belong to a
  // word (ASCII letters and digits, any byte >= 0x80) and one of the bytes >= 0x80. ASCII
  // separators split words always, so every run of maybe-word bytes is its own segment: without
  // a byte >= 0x80 it is exactly one word, which is its lower-cased copy; otherwise
  // normalize_segment() appends its words' normalised forms after the copy.
  out.begins.clear();
  out.ends.clear();
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  const std::size_t chunks = (size + 63) / 64;
  if (out.bytes.size() < size + NormalizedWords::k_padding) {
    out.bytes.resize(size + NormalizedWords::k_padding);
  }
  out.maybe_word.resize(chunks);
  out.high.resize(chunks);
  auto* lower = reinterpret_cast<unsigned char*>(out.bytes.data());
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t base = c * 64;
    std::uint64_t maybe_word = 0;
    std::uint64_t high = 0;
#if defined(__SSE2__)
    if (size - base >= 64) {
      for (std::size_t k = 0; k < 4; ++k) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + base + 16 * k));
        // Signed compares: bytes >= 0x80 are negative and fall outside every range.
        const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                                            _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
        const __m128i small = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('a' - 1)),
                                            _mm_cmplt_epi8(v, _mm_set1_epi8('z' + 1)));
        const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                            _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(lower + base + 16 * k),
                         _mm_or_si128(v, _mm_and_si128(upper, _mm_set1_epi8(0x20))));
        const __m128i word = _mm_or_si128(_mm_or_si128(upper, small), digit);
        const auto hi = static_cast<std::uint64_t>(_mm_movemask_epi8(v));
        const auto wo = static_cast<std::uint64_t>(_mm_movemask_epi8(word));
        maybe_word |= (wo | hi) << (16 * k);
        high |= hi << (16 * k);
      }
      out.maybe_word[c] = maybe_word;
      out.high[c] = high;
      continue;
    }
#endif
    for (std::size_t j = 0; j < 64 && base + j < size; ++j) {
      const unsigned char b = data[base + j];
      lower[base + j] = k_lower_byte[b];
      maybe_word |= static_cast<std::uint64_t>(k_maybe_word[b]) << j;
      high |= static_cast<std::uint64_t>(b >> 7) << j;
    }
    out.maybe_word[c] = maybe_word;
    out.high[c] = high;
  }
  std::size_t tail = size + NormalizedWords::k_padding;  // where normalised forms go
  // Whether [begin, end) holds a byte >= 0x80.
  const auto has_high = [&](std::size_t begin, std::size_t end) {
    for (std::size_t c = begin / 64; c * 64 < end; ++c) {
      std::uint64_t bits = out.high[c];
      if (c == begin / 64) bits &= ~std::uint64_t{0} << (begin % 64);
      if ((c + 1) * 64 > end) bits &= ~(~std::uint64_t{0} << (end % 64));
      if (bits != 0) return true;
    }
    return false;
  };
  const auto segment = [&](std::size_t begin, std::size_t end) {
    if (!has_high(begin, end)) {
      out.begins.push_back(static_cast<std::uint32_t>(begin));
      out.ends.push_back(static_cast<std::uint32_t>(end));
    } else {
      normalize_segment(text, begin, end, out, tail);
    }
  };
  std::uint64_t carry = 0;  // the last bit of the previous chunk
  std::size_t run_begin = 0;
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::uint64_t bits = out.maybe_word[c];
    // Bit i: a run starts or ends at byte 64 c + i.
    std::uint64_t edges = bits ^ ((bits << 1) | carry);
    carry = bits >> 63;
    while (edges != 0) {
      const std::size_t at = c * 64 + static_cast<std::size_t>(std::countr_zero(edges));
      edges &= edges - 1;
      if ((bits >> (at % 64)) & 1) {
        run_begin = at;
      } else {
        segment(run_begin, at);
      }
    }
  }
  if (carry != 0) segment(run_begin, size);
  // Bits past the text's end are 0: a run reaching the end closes only here (carry) or, for a
  // text that ends inside its last chunk, at the first bit past it, which is at most `size`.
}

std::string normalize(std::string_view text) { return normalize_word(text); }

Analyzer::Analyzer(AnalyzerOptions options) : m_options(std::move(options)) {
  static std::atomic<std::uint64_t> s_instances{0};
  m_instance_id = ++s_instances;
  for (const std::string& language : m_options.languages) {
    const std::string lower = lower_ascii(language);
    std::string algorithm;
    std::string code;
    for (const LanguageName& l : k_languages) {
      if (lower == l.code || lower == l.algorithm) {
        algorithm = l.algorithm;
        code = l.code;
      }
    }
    if (algorithm.empty()) {
      sb_stemmer* probe = sb_stemmer_new(lower.c_str(), "UTF_8");
      if (probe == nullptr) continue;
      sb_stemmer_delete(probe);
      algorithm = lower;
    }
    if (std::find(m_all.begin(), m_all.end(), algorithm) != m_all.end()) continue;
    m_all.push_back(algorithm);
    m_by_lang[algorithm] = {algorithm};
    if (!code.empty()) m_by_lang[code] = {algorithm};
    if (algorithm == "german") m_has_german = true;
  }
  for (std::size_t g = 0; g < m_options.synonyms.size(); ++g) {
    std::string key;
    for (const std::string& member : m_options.synonyms[g]) {
      std::vector<Token> words = tokenize(member);
      if (words.size() != 1) continue;
      if (key.empty()) key = "\x01" + words[0].norm;
      m_synonyms.emplace(words[0].norm, key);
      for (const std::string& algorithm : m_all)
        m_synonyms.emplace(stem(algorithm, words[0].norm), key);
    }
  }
}

const std::vector<std::string>& Analyzer::stemmers_for(std::string_view lang) const {
  if (!lang.empty()) {
    auto it = m_by_lang.find(primary_subtag(lang));
    if (it != m_by_lang.end()) return it->second;
  }
  return m_all;
}

void Analyzer::word_keys(std::string_view norm, std::string_view lang,
                         std::vector<std::string>& out, std::string* german) const {
  const std::size_t first = out.size();
  auto add = [&](std::string key) {
    if (std::find(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), key) == out.end()) {
      out.push_back(std::move(key));
    }
  };
  const std::vector<std::string>& algorithms = stemmers_for(lang);
  if (algorithms.empty()) add(std::string(norm));
  const Script script = algorithms.size() > 1 ? word_script(norm) : Script::other;
  for (const std::string& algorithm : algorithms) {
    // A Snowball stemmer leaves words of another script unchanged, so skip the call.
    const Script stems = algorithm_script(algorithm);
    if (script != Script::other && stems != Script::other && stems != script) {
      add(std::string(norm));
      continue;
    }
    std::string stemmed = stem(algorithm, norm);
    if (german != nullptr && algorithm == "german") *german = stemmed;
    add(std::move(stemmed));
  }
  if (m_synonyms.empty()) return;
  const std::size_t stems_end = out.size();
  if (auto it = m_synonyms.find(std::string(norm)); it != m_synonyms.end()) add(it->second);
  for (std::size_t i = first; i < stems_end; ++i) {
    if (auto it = m_synonyms.find(out[i]); it != m_synonyms.end()) add(it->second);
  }
}

std::vector<std::string> Analyzer::query_keys(std::string_view norm) const {
  std::vector<std::string> keys;
  word_keys(norm, {}, keys);
  return keys;
}

std::string Analyzer::german_stem(std::string_view norm) const {
  if (!m_has_german) return {};
  return stem("german", norm);
}

bool Analyzer::decompounds(std::string_view lang) const {
  if (m_options.compounds == CompoundMode::off || !m_has_german) return false;
  const std::vector<std::string>& algorithms = stemmers_for(lang);
  return std::find(algorithms.begin(), algorithms.end(), "german") != algorithms.end();
}

std::vector<std::string_view> Analyzer::compound_parts(std::string_view stem_text) const {
  std::vector<std::string_view> parts;
  const std::size_t part = std::max<std::size_t>(m_options.min_compound_part, 1);
  const std::size_t rest = std::max<std::size_t>(m_options.min_compound_rest, 1);
  // Byte offsets of the code point starts, plus the end.
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < stem_text.size(); ++i) {
    if (!is_continuation(static_cast<unsigned char>(stem_text[i]))) starts.push_back(i);
  }
  const std::size_t total = starts.size();
  starts.push_back(stem_text.size());
  if (total < part + rest) return parts;
  for (std::size_t cut = rest; cut + part <= total; ++cut) {  // tails
    parts.push_back(stem_text.substr(starts[cut]));
  }
  for (std::size_t cut = part; cut + rest <= total; ++cut) {  // heads
    parts.push_back(stem_text.substr(0, starts[cut]));
  }
  if (m_options.compounds == CompoundMode::german_infix) {
    for (std::size_t begin = rest; begin + part + rest <= total; ++begin) {
      for (std::size_t end = begin + part; end + rest <= total; ++end) {
        parts.push_back(stem_text.substr(starts[begin], starts[end] - starts[begin]));
      }
    }
  }
  return parts;
}

AnalyzedText Analyzer::analyze(std::string_view text, std::string_view lang) const {
  AnalyzedText result;
  result.tokens = tokenize(text);
  for (const Token& token : result.tokens) {
    auto [it, inserted] = result.keys.try_emplace(token.norm);
    if (inserted) word_keys(token.norm, lang, it->second);
  }
  return result;
}

bool has_stemmer(std::string_view language) {
  const std::string lower = lower_ascii(language);
  for (const LanguageName& l : k_languages) {
    if (lower == l.code || lower == l.algorithm) return true;
  }
  sb_stemmer* probe = sb_stemmer_new(lower.c_str(), "UTF_8");
  if (probe == nullptr) return false;
  sb_stemmer_delete(probe);
  return true;
}

}  // namespace newswatch::storage
