#include "parsers/extract_language.h"

#include <array>
#include <string_view>

#include "parsers/extract_boilerplate.h"

namespace newswatch::parsers {

namespace {

struct Language {
  const char* code;
  std::array<std::string_view, 16> words;
};

// The most frequent words of each language that are rare in the others.
const std::array<Language, 14> k_languages = {{
    {"de",
     {"der", "die", "und", "das", "nicht", "ist", "ein", "eine", "mit", "sich", "auch", "auf",
      "dem", "den", "wird", "von"}},
    {"en",
     {"the", "and", "of", "to", "is", "that", "for", "with", "was", "are", "this", "have", "from",
      "which", "be", "by"}},
    {"ru",
     {"\xD0\xB8", "\xD0\xB2", "\xD0\xBD\xD0\xB5", "\xD0\xBD\xD0\xB0", "\xD1\x87\xD1\x82\xD0\xBE",
      "\xD1\x81", "\xD0\xBF\xD0\xBE", "\xD0\xBA\xD0\xB0\xD0\xBA", "\xD1\x8D\xD1\x82\xD0\xBE",
      "\xD0\xBE\xD0\xBD", "\xD0\xB4\xD0\xBB\xD1\x8F", "\xD0\xB8\xD0\xB7",
      "\xD0\xB5\xD0\xB3\xD0\xBE", "\xD0\xBA", "\xD1\x83", "\xD0\xB6\xD0\xB5"}},
    {"fr",
     {"le", "la", "les", "et", "des", "est", "une", "du", "dans", "pour", "que", "qui", "pas",
      "sur", "au", "sont"}},
    {"es",
     {"el", "los", "las", "del", "que", "por", "una", "con", "para", "es", "se", "como", "pero",
      "sus", "fue", "y"}},
    {"it",
     {"il", "di", "che", "della", "per", "non", "sono", "gli", "del", "una", "con", "nel", "alla",
      "anche", "come", "questo"}},
    {"nl",
     {"de", "het", "een", "van", "en", "niet", "zijn", "dat", "met", "voor", "ook", "op", "wordt",
      "maar", "bij", "naar"}},
    {"pl",
     {"i", "w", "nie", "na", "z", "jest", "do", "to", "się", "że", "jak", "po", "od", "przez",
      "dla", "oraz"}},
    {"pt",
     {"o", "os", "que", "do", "da", "em", "um", "uma", "para", "com", "não", "por", "mais", "dos",
      "como", "são"}},
    {"uk",
     {"\xD1\x96", "\xD0\xB2", "\xD0\xBD\xD0\xB0", "\xD0\xBD\xD0\xB5", "\xD1\x89\xD0\xBE",
      "\xD0\xB7", "\xD0\xB4\xD0\xBE", "\xD1\x8F\xD0\xBA", "\xD1\x86\xD0\xB5", "\xD0\xB7\xD0\xB0",
      "\xD0\xB2\xD1\x96\xD0\xB4", "\xD0\xB4\xD0\xBB\xD1\x8F", "\xD0\xB9\xD0\xBE\xD0\xB3\xD0\xBE",
      "\xD1\x82\xD0\xB0", "\xD1\x94", "\xD0\xB0\xD0\xB1\xD0\xBE"}},
    {"sv",
     {"och", "att", "det", "som", "en", "på", "är", "av", "för", "med", "till", "den", "har",
      "inte", "om", "ett"}},
    {"da",
     {"og", "at", "det", "som", "en", "på", "er", "af", "for", "med", "til", "den", "har", "ikke",
      "om", "et"}},
    {"cs",
     {"a", "je", "se", "na", "v", "že", "to", "s", "z", "do", "jsou", "pro", "jako", "by", "ale",
      "také"}},
    {"tr",
     {"ve", "bir", "bu", "da", "de", "için", "ile", "olarak", "çok", "daha", "gibi", "ama", "olan",
      "kadar", "sonra", "en"}},
}};

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

}  // namespace

std::string detect_language(std::string_view text) {
  std::array<int, k_languages.size()> hits{};
  std::string word;
  int words = 0;
  std::size_t k = 0;
  while (k < text.size() && words < 3000) {
    while (k < text.size() && !is_word_byte(static_cast<unsigned char>(text[k]))) ++k;
    const std::size_t start = k;
    while (k < text.size() && is_word_byte(static_cast<unsigned char>(text[k]))) ++k;
    if (k == start) break;
    // Punctuation bytes above 0x7F (quotes, dashes) stay attached; harmless for counting.
    fold_case_into(text.substr(start, k - start), word);
    ++words;
    for (std::size_t l = 0; l < k_languages.size(); ++l) {
      for (std::string_view w : k_languages[l].words) {
        if (w == word) {
          ++hits[l];
          break;
        }
      }
    }
  }
  std::size_t best = 0;
  std::size_t second = 1;
  if (hits[second] > hits[best]) std::swap(best, second);
  for (std::size_t l = 2; l < hits.size(); ++l) {
    if (hits[l] > hits[best]) {
      second = best;
      best = l;
    } else if (hits[l] > hits[second]) {
      second = l;
    }
  }
  if (hits[best] < 5 || hits[best] * 20 < words || hits[best] * 2 < hits[second] * 3) {
    return {};
  }
  return k_languages[best].code;
}

}  // namespace newswatch::parsers
