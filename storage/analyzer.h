// Text analysis shared by the alert matcher and the search index: UTF-8 text becomes words with
// positions and byte offsets, normalised (Unicode case folding, NFKC, diacritics stripped), then
// reduced to index keys: Snowball stems per language plus configured synonym groups.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace newswatch::storage {

// One word of an analysed text.
struct Token {
  std::string norm;        // folded, NFKC, marks stripped: "Pjöngjang" -> "pjongjang"
  std::uint32_t position;  // word index within the text, from 0
  std::uint32_t begin;     // byte range of the word in the original text
  std::uint32_t end;
};

// Splits `text` into words: maximal runs of letters, digits and combining marks (format characters
// such as the soft hyphen continue a word). Everything else, including invalid UTF-8, separates.
// Words that normalise to nothing are dropped without using a position.
std::vector<Token> tokenize(std::string_view text);

// Calls `fn` with the normalised form of each word of `text`, in order, exactly the `norm`s of
// tokenize(text) but without building tokens. The view is valid only during the call.
void for_each_norm(std::string_view text, const std::function<void(std::string_view)>& fn);

// The normalised words of a text: word i is bytes[begins[i], ends[i]). Reused between texts, it
// allocates only while it grows.
struct NormalizedWords {
  // Past the end of every word at least k_padding bytes of `bytes` are readable.
  static constexpr std::size_t k_padding = 24;
  std::string bytes;  // the text with ASCII letters lower-cased, then other words' normal forms
  std::vector<std::uint32_t> begins;
  std::vector<std::uint32_t> ends;
  std::vector<std::uint64_t> maybe_word, high;  // scratch bitmaps of the text's bytes

  std::size_t size() const { return ends.size(); }
  std::string_view operator[](std::size_t i) const {
    return std::string_view(bytes).substr(begins[i], ends[i] - begins[i]);
  }
};

// Replaces `out` with the `norm`s of tokenize(text), in order: for_each_norm() for hot loops.
// REQUIRES: text.size() < 2^31.
void normalize_words(std::string_view text, NormalizedWords& out);

// Normalises `text` as tokenize() normalises one word (no splitting): case folding, NFKC,
// combining marks and default-ignorable characters removed. "Straße" -> "strasse".
std::string normalize(std::string_view text);

// Whether German words are also matched by their compound components (see compound_parts()):
// not at all, by their first or last component (Sanktion ~ Sanktionspaket,
// Wirtschaftssanktionen), or also by one in the middle (~ Wirtschaftssanktionspaket), which finds
// more and costs more: about length^2 / 2 probes per long word instead of 2 * length.
enum class CompoundMode { off, german, german_infix };

struct AnalyzerOptions {
  // Snowball languages (ISO 639-1 codes such as "de" or libstemmer names such as "german") used
  // for texts whose language is empty or not listed here, and for query terms, whose language is
  // unknown. Each language costs one stem call per distinct word of such texts. Unknown names are
  // ignored. Default: German, English, Russian, French.
  std::vector<std::string> languages = {"de", "en", "ru", "fr"};
  // Groups of single words that match each other, e.g. {"Pjöngjang", "Pyongyang"}: every member
  // (and its stems) maps to one group key. Multi-word members are ignored.
  std::vector<std::vector<std::string>> synonyms;
  // German compounds: `Sanktion` also matches `Wirtschaftssanktionen` and `Sanktionspaket`.
  // Heads and tails only by default: a middle component is more often a false friend.
  CompoundMode compounds = CompoundMode::german;
  // Shortest compound component, in code points, and shortest rest of the word besides it.
  // Smaller values find more compounds and more false ones ("Rest" in "Restaurant").
  std::size_t min_compound_part = 4;
  std::size_t min_compound_rest = 3;
};

// Tokens of one text and, per distinct normalised word, its index keys.
struct AnalyzedText {
  std::vector<Token> tokens;
  std::unordered_map<std::string, std::vector<std::string>> keys;  // norm -> keys
};

// Whether `language` (an ISO 639-1 code or a libstemmer name, any case) has a Snowball stemmer.
bool has_stemmer(std::string_view language);

// Reduces words to keys. Immutable after construction; const methods may be called from any
// number of threads at once (Snowball stemmers, which are not thread-safe, are kept per thread).
class Analyzer {
 public:
  explicit Analyzer(AnalyzerOptions options = {});

  // Tokenizes `text` and computes the keys of each distinct word in language `lang` (BCP 47; the
  // primary subtag picks the stemmer, empty or unconfigured means all configured languages).
  AnalyzedText analyze(std::string_view text, std::string_view lang) const;

  // Appends to `out` the distinct keys of the normalised word `norm` in `lang`: its stems, then
  // "\x01<group>" when it belongs to a synonym group. Two words match when their keys intersect.
  // When `german` is given and `lang` is stemmed as German, it receives the German stem.
  void word_keys(std::string_view norm, std::string_view lang, std::vector<std::string>& out,
                 std::string* german = nullptr) const;

  // The keys of a query term, whose language is unknown: word_keys() over every configured
  // language.
  std::vector<std::string> query_keys(std::string_view norm) const;

  // The German stem of `norm`, or an empty string when German is not configured.
  std::string german_stem(std::string_view norm) const;

  // Whether compound components of words in `lang` should be matched (German or unknown language,
  // and compounds not off).
  bool decompounds(std::string_view lang) const;

  // Candidate components of a (German-stemmed) compound `stem`: every tail and every head, split
  // at code point boundaries, of at least min_compound_part code points whose rest has at least
  // min_compound_rest; with german_infix also every middle part with at least min_compound_rest
  // code points on each side. The views point into `stem`. Callers keep only the parts they know,
  // e.g. query terms: "wirtschaftssanktion" yields ..., "sanktion", ..., "wirtschaft", ...
  std::vector<std::string_view> compound_parts(std::string_view stem) const;

  const AnalyzerOptions& options() const { return m_options; }

  // Distinct for every constructed analyzer (copies share it: they give the same keys), so
  // per-thread caches of keys can tell analyzers apart.
  std::uint64_t instance_id() const { return m_instance_id; }

 private:
  // libstemmer algorithm names to use for `lang`.
  const std::vector<std::string>& stemmers_for(std::string_view lang) const;

  AnalyzerOptions m_options;
  std::vector<std::string> m_all;                                       // configured algorithms
  std::unordered_map<std::string, std::vector<std::string>> m_by_lang;  // "de" -> {"german"}
  std::unordered_map<std::string, std::string> m_synonyms;              // norm or stem -> key
  bool m_has_german = false;
  std::uint64_t m_instance_id = 0;
};

}  // namespace newswatch::storage
