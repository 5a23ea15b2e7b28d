#include "parsers/extract_boilerplate.h"

#include <array>

#include "parsers/dates.h"

namespace newswatch::parsers {

namespace {

using std::string_view;

// Section headings that start what comes after an article. Lower-case, matched as prefixes.
constexpr string_view k_tail_headings[] = {
    "related",
    "recommended",
    "you might also like",
    "you may also like",
    "more from",
    "more stories",
    "more on this",
    "read more",
    "read next",
    "most read",
    "most popular",
    "top stories",
    "comments",
    "leave a comment",
    "leave a reply",
    "join the discussion",
    "about the author",
    "more articles",
    "further reading",
    "auch interessant",
    "das k\xC3\xB6nnte sie auch interessieren",
    "das k\xC3\xB6nnte dich auch interessieren",
    "das k\xC3\xB6nnte dich",
    "das k\xC3\xB6nnte sie",
    "das thema k\xC3\xB6nnte",
    "lesen sie auch",
    "lesen sie mehr",
    "lies auch",
    "mehr zum thema",
    "mehr zu",
    "mehr aus",
    "mehr themen",
    "mehr artikel",
    "weitere artikel",
    "weitere beitr\xC3\xA4ge",
    "weitere themen",
    "weitere nachrichten",
    "weitere meldungen",
    "\xC3\xA4hnliche beitr\xC3\xA4ge",
    "\xC3\xA4hnliche artikel",
    "\xC3\xA4hnliche themen",
    "verwandte artikel",
    "verwandte beitr\xC3\xA4ge",
    "schon gelesen",
    "zum weiterlesen",
    "meistgelesen",
    "empfehlungen",
    "unsere empfehlung",
    "kommentare",
    "schreibe einen kommentar",
    "hinterlasse einen kommentar",
    "kommentar verfassen",
    "\u00fcber den autor",
    "\u00fcber die autorin",
    "zur person",
    "\xD1\x87\xD0\xB8\xD1\x82\xD0\xB0\xD0\xB9\xD1\x82\xD0\xB5 "
    "\xD1\x82\xD0\xB0\xD0\xBA\xD0\xB6\xD0\xB5",  // читайте также
    "\xD1\x81\xD0\xBC\xD0\xBE\xD1\x82\xD1\x80\xD0\xB8\xD1\x82\xD0\xB5 "
    "\xD1\x82\xD0\xB0\xD0\xBA\xD0\xB6\xD0\xB5",                  // смотрите также
    "\xD0\xBF\xD0\xBE\xD1\x85\xD0\xBE\xD0\xB6\xD0\xB8\xD0\xB5",  // похожие
    "\xD0\xBA\xD0\xBE\xD0\xBC\xD0\xBC\xD0\xB5\xD0\xBD\xD1\x82\xD0\xB0\xD1\x80\xD0\xB8\xD0"
    "\xB8",  // комментарии
    "\xD0\xB5\xD1\x89\xD1\x91 \xD0\xBF\xD0\xBE \xD1\x82\xD0\xB5\xD0\xBC\xD0\xB5",  // ещё по
                                                                                   // теме
    "\xD0\xB1\xD0\xBE\xD0\xBB\xD1\x8C\xD1\x88\xD0\xB5 "
    "\xD0\xBD\xD0\xBE\xD0\xB2\xD0\xBE\xD1\x81\xD1\x82\xD0\xB5\xD0\xB9",  // больше новостей
    "zobacz r\xC3\xB3wnie\xC5\xBC",
    "zobacz tak\xC5\xBC"
    "e",
    "czytaj te\xC5\xBC",
    "veja tamb\xC3\xA9m",
    "lee tambi\xC3\xA9n",
    "ver tambi\xC3\xA9n",
    "te puede interesar",
    "le puede interesar",
    "tambi\xC3\xA9n te puede",
    "lo \xC3\xBAltimo",
    "temas relacionados",
    "notas relacionadas",
    "articles les plus lus",
    "dowiedz si\xC4\x99 wi\xC4\x99"
    "cej",
    "top themen",
    "\xC3\xA4hnliche nachrichten",
    "weitere informationen",
    "pressekontakt",
    "kontakt:",
    "ansprechpartner",
    "originalpublikation",
    "\xC3\xA0 lire aussi",
    "lire aussi",
    "sur le m\xC3\xAAme sujet",
    "leggi anche",
    "ezek is \xC3\xA9rdekelhetnek",
    "m\xC3\xA1s sobre",
};

// Lines that open a longer block of post metadata or citation advice, whatever follows.
constexpr string_view k_long_label_prefixes[] = {
    "suggested citation",   "zitiervorschlag",      "empfohlene zitierweise",
    "cite this article",    "how to cite this",     "this entry was posted",
    "this entry was filed", "der beitrag wurde am", "dieser beitrag wurde am",
};
constexpr std::size_t k_long_label_max_chars = 400;

// Labels and UI strings that make up a whole short block. Matched as prefixes.
constexpr string_view k_label_prefixes[] = {
    "teilen",
    "share",
    "diesen artikel teilen",
    "artikel teilen",
    "beitrag teilen",
    "teile diesen",
    "teilen sie",
    "gef\xC3\xA4llt mir",
    "gef\xC3\xA4llt dir",
    "like this",
    "wird geladen",
    "loading",
    "drucken",
    "print",
    "e-mail",
    "tweet",
    "facebook",
    "whatsapp",
    "pinterest",
    "werbung",
    "anzeige",
    "- anzeige",
    "-anzeige",
    "advertisement",
    "advertising",
    "sponsored",
    "reklama",
    "\xD1\x80\xD0\xB5\xD0\xBA\xD0\xBB\xD0\xB0\xD0\xBC\xD0\xB0",  // реклама
    "publicidad",
    "publicit\xC3\xA9",
    "kommentieren",
    "kommentare",
    "keine kommentare",
    "comments are closed",
    "no comments",
    "subscribe",
    "abonnieren",
    "jetzt abonnieren",
    "newsletter",
    "sign up",
    "melden sie sich",
    "weiterlesen",
    "mehr lesen",
    "mehr erfahren",
    "learn more",
    "continue reading",
    "zum artikel",
    "\xD1\x87\xD0\xB8\xD1\x82\xD0\xB0\xD1\x82\xD1\x8C "
    "\xD0\xB4\xD0\xB0\xD0\xBB\xD0\xB5\xD0\xB5",  // читать далее
    "\xD0\xBF\xD0\xBE\xD0\xB4\xD1\x80\xD0\xBE\xD0\xB1\xD0\xBD\xD0\xB5\xD0\xB5",  // подробнее
    "zur\xC3\xBC"
    "ck",
    "back to",
    "nach oben",
    "to top",
    "foto:",
    "fotos:",
    "foto ",
    "bild:",
    "bilder:",
    "photo:",
    "photos:",
    "image:",
    "credit:",
    "credits:",
    "cr\xC3\xA9"
    "dits",
    "titelbild:",
    "beitragsbild",
    "quelle:",
    "quellen:",
    "quellenangaben",
    "\xC2\xA9",
    "(c) ",
    "copyright",
    "\xD1\x84\xD0\xBE\xD1\x82\xD0\xBE:",                                  // фото:
    "\xD0\xB8\xD1\x81\xD1\x82\xD0\xBE\xD1\x87\xD0\xBD\xD0\xB8\xD0\xBA:",  // источник:
    "tags:",
    "schlagw\xC3\xB6rter",
    "schlagworte",
    "themen:",
    "kategorie",
    "categories:",
    "category:",
    "posted in",
    "posted by",
    "dieser eintrag wurde",
    "written by",
    "geschrieben von",
    "verfasst von",
    "filed under",
    "ver\xC3\xB6"
    "ffentlicht in",
    "abgelegt unter",
    "aktualisiert",
    "updated",
    "ver\xC3\xB6"
    "ffentlicht am",
    "ver\xC3\xB6"
    "ffentlicht:",
    "published",
    "erstellt am",
    "stand:",
    "war der artikel",
    "war dieser artikel",
    "wie hat ihnen",
    "was this article",
    "(noch keine bewertung",
    "rate this",
    "lesezeit",
    "lesedauer",
    "reading time",
    "czas czytania",
    "tiempo de lectura",
    "temps de lecture",
    // время чтения
    "\xD0\xB2\xD1\x80\xD0\xB5\xD0\xBC\xD1\x8F "
    "\xD1\x87\xD1\x82\xD0\xB5\xD0\xBD\xD0\xB8\xD1\x8F",
    "inhaltsverzeichnis",
    "table of contents",
    "alle angaben ohne gew\xC3\xA4hr",
};

// Marks of a picture caption or credit anywhere in a short block.
constexpr string_view k_caption_marks[] = {
    "\xC2\xA9", "foto:",   "fotos:",   "photo:",  "photos:",  "credit:",   "credits:", "bild:",
    "image:",   "(foto ",  "(bild ",   "(photo ", "(credit ", "imagen:",   "kuva:",    "quelle:",
    "fuente:",  "fotolia", "(reuters", "(afp",    "(dpa",     "(ap photo",
};
// Caption labels that open a block.
constexpr string_view k_caption_prefixes[] = {
    "abbildung",
    "abb.",
    "vergr\xC3\xB6\xC3\x9F"
    "ern",
    "enlarge",
    "fig.",
    "figure ",
};

// Bytes of leading decoration: spaces, dashes, stars, brackets, bullets.
std::size_t decoration_length(string_view s) {
  std::size_t k = 0;
  while (k < s.size()) {
    const char c = s[k];
    if (c == ' ' || c == '-' || c == '*' || c == '(' || c == '[' || c == '|' || c == '>') {
      ++k;
    } else if (s.substr(k, 3) == "\xE2\x80\x93" || s.substr(k, 3) == "\xE2\x80\x94" ||
               s.substr(k, 3) == "\xE2\x80\xA2") {  // – — •
      k += 3;
    } else {
      break;
    }
  }
  return k;
}

// "bvinews.com", "www.example.de": letters, digits, dots and hyphens with a dot before a
// two-letter-or-longer alphabetic ending.
bool looks_like_host(string_view s) {
  const std::size_t dot = s.rfind('.');
  if (dot == string_view::npos || dot == 0 || s.size() - dot - 1 < 2) return false;
  for (std::size_t k = 0; k < s.size(); ++k) {
    const char c = s[k];
    const bool letter = c >= 'a' && c <= 'z';
    if (k > dot && !letter) return false;
    if (!(letter || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  return true;
}

bool starts_with(string_view s, string_view p) { return s.substr(0, p.size()) == p; }

std::size_t code_points(string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// Picture agency credits: "AFP / MARCO BERTORELLO", "Judy Eddy/WENN.com", "Getty Images".
bool looks_like_credit(string_view text, const std::string& folded) {
  if (code_points(text) > 60) return false;
  for (string_view agency :
       {"getty images", "dpa", "afp", "reuters", "imago", "shutterstock", "istock",
        "picture alliance", "picture-alliance", "wenn.com", "keystone", "epa", "ap photo",
        "unsplash", "pixabay",
        "\xD1\x80\xD0\xB8\xD0\xB0 \xD0\xBD\xD0\xBE\xD0\xB2\xD0\xBE\xD1\x81\xD1\x82\xD0\xB8",
        "\xD1\x82\xD0\xB0\xD1\x81\xD1\x81"}) {
    const std::size_t at = folded.find(agency);
    if (at == std::string::npos) continue;
    // Standing alone or after/before a slash, not inside prose.
    if (folded.find('/') != std::string::npos || folded.size() < agency.size() + 25) return true;
  }
  return false;
}

// Words of the calls to action that close many articles: follow us, get the app, subscribe to
// the newsletter, donate, comment, share. Matched anywhere in a short block.
constexpr string_view k_call_to_action[] = {
    "newsletter",
    "subscri",
    "abonn",
    "suscr",
    "follow us",
    "follow the",
    "folgen sie",
    "folge uns",
    "s\xC3\xADguenos",
    "twitter",
    "facebook",
    "instagram",
    "telegram",
    "youtube",
    "whatsapp",
    "download",
    "herunterladen",
    "sign up",
    "sign-up",
    "anmelden",
    "log in",
    "einloggen",
    "eingeloggt",
    "jetzt spenden",
    "donate now",
    "please donate",
    "make a donation",
    "support us",
    "unterst\xC3\xBCtzen sie",
    "unterst\xC3\xBCtze uns",
    "werden sie mitglied",
    "werde mitglied",
    "support our",
    "letter to the editor",
    "leserbrief",
    "all rights reserved",
    "alle rechte",
    "copyright",
    "lizenz",
    "licence",
    "license",
    "verpassen",
    "vers\xC3\xA4umen",
    "subskryp",
    "weitere infos unter",
    "never miss",
    "don't miss",
    "miss the",
    "enjoyed",
    "gef\xC3\xA4llt",
    "teilen sie",
    "share this",
    "artikel teilen",
    "beitrag teilen",
    "kommentar",
    "comment",
    "miembro",
    "e-mail",
    "email",
};
// Whole words only: "app" in "apps", not in "happy".
constexpr string_view k_call_to_action_words[] = {"app", "apps", "abo"};

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

bool contains_word(string_view text, string_view word) {
  for (std::size_t at = text.find(word); at != string_view::npos; at = text.find(word, at + 1)) {
    const bool left = at == 0 || !is_word_byte(static_cast<unsigned char>(text[at - 1]));
    const std::size_t end = at + word.size();
    const bool right = end == text.size() || !is_word_byte(static_cast<unsigned char>(text[end]));
    if (left && right) return true;
  }
  return false;
}

}  // namespace

bool is_call_to_action(string_view text) {
  const std::string f = fold_case(text);
  for (string_view w : k_call_to_action) {
    if (f.find(w) != std::string::npos) return true;
  }
  for (string_view w : k_call_to_action_words) {
    if (contains_word(f, w)) return true;
  }
  return false;
}

bool ends_sentence(string_view text) {
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return false;
  // A teaser cut short ("Lade weitere Inhalte ...") has not ended a sentence.
  if (text.size() >= 3 && text.substr(text.size() - 3) == "...") return false;
  if (text.size() >= 3 && text.substr(text.size() - 3) == "\xE2\x80\xA6") return false;
  const char last = text.back();
  if (last == '.' || last == '!' || last == '?' || last == '"' || last == ')' || last == ']') {
    return true;
  }
  // "“", "”", "»", "«" and the full stops of CJK scripts.
  for (string_view mark : {"\xE2\x80\x9C", "\xE2\x80\x9D", "\xC2\xBB", "\xC2\xAB", "\xE3\x80\x82",
                           "\xEF\xBC\x81", "\xEF\xBC\x9F"}) {
    if (text.size() >= mark.size() && text.substr(text.size() - mark.size()) == mark) return true;
  }
  return false;
}

std::size_t code_point_count(string_view text) { return code_points(text); }

std::string fold_case(string_view text) {
  std::string out;
  fold_case_into(text, out);
  return out;
}

void fold_case_into(string_view text, std::string& out) {
  out.clear();
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c + 32));
    } else if (c == 0xC3 && i + 1 < text.size()) {
      auto d = static_cast<unsigned char>(text[i + 1]);
      if (d >= 0x80 && d <= 0x9E && d != 0x97) d = static_cast<unsigned char>(d + 0x20);
      out.push_back('\xC3');
      out.push_back(static_cast<char>(d));
      ++i;
    } else if (c == 0xD0 && i + 1 < text.size()) {
      const auto d = static_cast<unsigned char>(text[i + 1]);
      if (d >= 0x90 && d <= 0x9F) {
        out.push_back('\xD0');
        out.push_back(static_cast<char>(d + 0x20));
      } else if (d >= 0xA0 && d <= 0xAF) {
        out.push_back('\xD1');
        out.push_back(static_cast<char>(d - 0x20));
      } else if (d == 0x81) {  // Ё
        out.push_back('\xD1');
        out.push_back('\x91');
      } else {
        out.push_back('\xD0');
        out.push_back(static_cast<char>(d));
      }
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

bool starts_tail_section(string_view heading) {
  if (code_points(heading) > 60) return false;
  const std::string f = fold_case(heading);
  for (string_view p : k_tail_headings) {
    if (starts_with(f, p)) return true;
  }
  return false;
}

bool is_boilerplate_block(string_view text) {
  const std::size_t n = code_points(text);
  if (n <= k_long_label_max_chars) {
    const std::string f = fold_case(text.substr(0, 64));
    for (string_view p : k_long_label_prefixes) {
      if (starts_with(f, p)) return true;
    }
  }
  if (n > 120) return false;
  // Labels are matched after the dashes, stars and brackets that decorate them
  // ("- Advertisement -", "*Werbung", "(Alle Angaben ohne Gewähr)").
  const std::string f = fold_case(text.substr(decoration_length(text)));
  for (string_view p : k_tail_headings) {
    if (!starts_with(f, p)) continue;
    if (n <= 60) return true;
    // "Lesen Sie auch: <a teaser's headline>", "LE PUEDE INTERESAR: ...".
    std::size_t k = p.size();
    while (k < f.size() && f[k] != ':' && f[k] != ' ' && k < p.size() + 3) ++k;
    while (k < f.size() && f[k] == ' ') ++k;
    if (k < f.size() && f[k] == ':' && n <= 120) return true;
  }
  if (n <= 80) {
    for (string_view p : k_label_prefixes) {
      if (starts_with(f, p)) return true;
    }
  }
  if (looks_like_credit(text, f)) return true;
  // A caption or its credit: "Lee Elder ... | © Augusta National", "(Foto: Getty)",
  // "Abbildung 4: ...".
  if (n < 200) {
    for (string_view mark : k_caption_marks) {
      if (f.find(mark) != std::string::npos) return true;
    }
    for (string_view p : k_caption_prefixes) {
      if (starts_with(f, p)) return true;
    }
  }
  // Author initials and agencies: "aja/PAP", "(dpa/lby)", "red/AFP".
  if (n <= 20 && text.find('/') != string_view::npos && text.find(' ') == string_view::npos) {
    return true;
  }
  // A source credit that is only a host name ("BVINEWS.COM", "www.example.de").
  if (n <= 40 && looks_like_host(f)) return true;
  // A reading time: "11 minut czytania", "4 min read", "21 minutes - 4312 words".
  if (n <= 40) {
    std::size_t k = 0;
    while (k < f.size() && f[k] >= '0' && f[k] <= '9') ++k;
    if (k > 0 && k < 3) {
      const string_view rest = string_view(f).substr(k);
      const string_view unit = rest.substr(rest.empty() || rest[0] != ' ' ? 0 : 1);
      const bool minutes =
          starts_with(unit, "min") || starts_with(unit, "\xD0\xBC\xD0\xB8\xD0\xBD");
      bool reading = unit.size() <= 3;  // "4 min"
      for (string_view w : {"read", "lese", "lectur", "czyt", "word", "w\xC3\xB6rter",
                            "\xD1\x87\xD1\x82\xD0\xB5\xD0\xBD"}) {
        reading = reading || unit.find(w) != string_view::npos;
      }
      if (minutes && reading) return true;
    }
  }
  // A date line on its own ("27.01.2022", "Mittwoch, 5. Januar 2022 - 10:15").
  if (n <= 40 && parse_feed_date(text)) return true;
  return false;
}

}  // namespace newswatch::parsers
