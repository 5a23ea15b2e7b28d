// Dedup evaluation and timing (issue 6). Part 1 builds a labelled set with a seeded RNG: base
// articles, syndicated copies (other boilerplate, small edits, typo fixes, truncation, re-wrapped
// whitespace) and distinct articles on the same topic, then reports precision/recall of SimHash
// variants for each Hamming threshold k next to exact shingle Jaccard (the ideal MinHash).
// Part 2 times the dedup decision (fingerprint + NearDupIndex lookup) with 1,000,000 stored
// fingerprints. Real article text comes from ../shared/corpora/trafilatura-eval when present.
//
//   build/bench/dedup_bench [--seed=N] [--stored=N] [--queries=N] [--corpus=DIR]
//                           [--eval-only] [--timing-only]

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "bench/bench_args.h"
#include "parsers/feed_text.h"
#include "storage/fingerprint.h"

namespace {

using newswatch::storage::estimate_jaccard;
using newswatch::storage::fingerprint_text;
using newswatch::storage::hamming_distance;
using newswatch::storage::k_lsh_bands;
using newswatch::storage::k_minhash_values;
using newswatch::storage::MinHash;
using newswatch::storage::NearDupIndex;
using newswatch::storage::NearDupOptions;
using newswatch::storage::SimHashOptions;
using newswatch::storage::TextFingerprints;
using newswatch::storage::word_hashes;
using Rng = std::mt19937_64;
using Paragraphs = std::vector<std::string>;

size_t uniform(Rng& rng, size_t lo, size_t hi) {  // inclusive
  return std::uniform_int_distribution<size_t>(lo, hi)(rng);
}
double uniform01(Rng& rng) { return std::uniform_real_distribution<double>(0, 1)(rng); }
bool chance(Rng& rng, double p) { return uniform01(rng) < p; }

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\n' && s[j] != '\t') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string join(const std::vector<std::string>& words, const char* sep = " ") {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += sep;
    out += w;
  }
  return out;
}

size_t word_count(const Paragraphs& ps) {
  size_t n = 0;
  for (const auto& p : ps) n += split_words(p).size();
  return n;
}

// Sentences of a paragraph, split after '.', '!' or '?' followed by a space.
std::vector<std::string> split_sentences(const std::string& p) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i + 1 < p.size(); ++i) {
    if ((p[i] == '.' || p[i] == '!' || p[i] == '?') && p[i + 1] == ' ') {
      out.push_back(p.substr(start, i + 1 - start));
      start = i + 2;
    }
  }
  if (start < p.size()) out.push_back(p.substr(start));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Generated text: Zipf-distributed vocabulary with real English function words at the top,
// topic words and named entities boosted per topic.

class TextGenerator {
 public:
  explicit TextGenerator(uint64_t seed) : m_rng(seed) {
    const char* function_words[] = {
        "the",       "of",       "and",   "to",        "a",          "in",     "that",
        "is",        "for",      "on",    "was",       "with",       "said",   "he",
        "it",        "as",       "at",    "by",        "from",       "his",    "be",
        "have",      "has",      "are",   "but",       "not",        "they",   "an",
        "this",      "had",      "who",   "were",      "will",       "their",  "been",
        "would",     "which",    "she",   "after",     "its",        "new",    "or",
        "more",      "about",    "year",  "also",      "than",       "last",   "people",
        "two",       "over",     "first", "into",      "could",      "when",   "government",
        "we",        "other",    "there", "since",     "officials",  "week",   "told",
        "according", "minister", "state", "president", "on Tuesday", "police", "country"};
    for (const char* w : function_words) m_vocab.emplace_back(w);
    const char* syllables[] = {"ka",   "lo",  "men", "tra", "vi", "sor", "pe",  "dan",
                               "ru",   "ist", "ber", "gon", "al", "ne",  "tik", "mar",
                               "so",   "lin", "chu", "ver", "en", "ta",  "dro", "mi",
                               "ster", "pol", "ung", "ex",  "ri", "bal"};
    while (m_vocab.size() < 30000) {
      std::string w;
      const size_t n = uniform(m_rng, 2, 4);
      for (size_t i = 0; i < n; ++i) w += syllables[uniform(m_rng, 0, std::size(syllables) - 1)];
      m_vocab.push_back(w);
    }
    // Zipf weights 1/rank^1.05; the cumulative table serves inverse-CDF sampling.
    double sum = 0;
    for (size_t r = 0; r < m_vocab.size(); ++r) {
      sum += 1.0 / std::pow(static_cast<double>(r + 1), 1.05);
      m_cdf.push_back(sum);
    }
    for (double& c : m_cdf) c /= sum;
  }

  struct Topic {
    std::vector<std::string> words;     // mid-frequency words the topic favours
    std::vector<std::string> entities;  // capitalised names
  };

  Topic make_topic() {
    Topic t;
    for (int i = 0; i < 40; ++i) t.words.push_back(m_vocab[uniform(m_rng, 200, 8000)]);
    for (int i = 0; i < 8; ++i) {
      std::string e = m_vocab[uniform(m_rng, 1000, 29999)];
      e[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(e[0])));
      t.entities.push_back(e);
    }
    return t;
  }

  std::string word() {
    const double u = uniform01(m_rng);
    const size_t r =
        static_cast<size_t>(std::lower_bound(m_cdf.begin(), m_cdf.end(), u) - m_cdf.begin());
    return m_vocab[std::min(r, m_vocab.size() - 1)];
  }

  std::string sentence(const Topic* topic) {
    const size_t n = uniform(m_rng, 8, 28);
    std::vector<std::string> words;
    for (size_t i = 0; i < n; ++i) {
      const double u = uniform01(m_rng);
      if (topic != nullptr && u < 0.12) {
        words.push_back(topic->words[uniform(m_rng, 0, topic->words.size() - 1)]);
      } else if (topic != nullptr && u < 0.17) {
        words.push_back(topic->entities[uniform(m_rng, 0, topic->entities.size() - 1)]);
      } else {
        words.push_back(word());
      }
      if (i + 1 < n && chance(m_rng, 0.07)) words.back() += ',';
    }
    words[0][0] = static_cast<char>(std::toupper(static_cast<unsigned char>(words[0][0])));
    return join(words) + (chance(m_rng, 0.9) ? "." : "?");
  }

  Paragraphs article(const Topic* topic, size_t min_words, size_t max_words) {
    const size_t target = uniform(m_rng, min_words, max_words);
    Paragraphs ps;
    size_t words = 0;
    while (words < target) {
      std::string p;
      const size_t sentences = uniform(m_rng, 2, 5);
      for (size_t s = 0; s < sentences && words < target; ++s) {
        std::string sent = sentence(topic);
        words += split_words(sent).size();
        if (!p.empty()) p += ' ';
        p += sent;
      }
      ps.push_back(p);
    }
    return ps;
  }

  Rng& rng() { return m_rng; }

 private:
  Rng m_rng;
  std::vector<std::string> m_vocab;
  std::vector<double> m_cdf;
};

// ---------------------------------------------------------------------------------------------
// Real text: <p> paragraphs of the trafilatura evaluation pages.

std::string html_to_text(std::string_view html) {
  std::string out;
  for (size_t i = 0; i < html.size(); ++i) {
    const char c = html[i];
    if (c == '<') {
      const size_t close = html.find('>', i);
      if (close == std::string_view::npos) break;
      i = close;
      out += ' ';
    } else if (c == '&') {
      const size_t semi = html.find(';', i);
      if (semi == std::string_view::npos || semi - i > 10) {
        out += c;
        continue;
      }
      const std::string_view ent = html.substr(i + 1, semi - i - 1);
      if (ent == "amp")
        out += '&';
      else if (ent == "lt")
        out += '<';
      else if (ent == "gt")
        out += '>';
      else if (ent == "quot")
        out += '"';
      else if (ent == "nbsp")
        out += ' ';
      else if (!ent.empty() && ent[0] == '#') {
        const bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
        const std::string digits(ent.substr(hex ? 2 : 1));
        newswatch::parsers::append_utf8(
            out, static_cast<char32_t>(std::strtoul(digits.c_str(), nullptr, hex ? 16 : 10)));
      } else {
        out += ' ';
      }
      i = semi;
    } else if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return join(split_words(out));
}

std::string read_gzip(const std::filesystem::path& file) {
  const std::string cmd = "gzip -dc '" + file.string() + "' 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return {};
  std::string out;
  char buf[65536];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

std::string lower_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Paragraph texts from <p> elements with at least 8 words; repeated paragraphs dropped.
Paragraphs extract_paragraphs(const std::string& html) {
  const std::string lower = lower_ascii(html);
  Paragraphs out;
  std::set<std::string> seen;
  size_t pos = 0;
  while ((pos = lower.find("<p", pos)) != std::string::npos) {
    const char next = pos + 2 < lower.size() ? lower[pos + 2] : '\0';
    if (next != '>' && next != ' ') {
      pos += 2;
      continue;
    }
    const size_t open_end = lower.find('>', pos);
    const size_t close = lower.find("</p", open_end == std::string::npos ? pos : open_end);
    if (open_end == std::string::npos || close == std::string::npos) break;
    std::string text =
        html_to_text(std::string_view(html).substr(open_end + 1, close - open_end - 1));
    if (split_words(text).size() >= 8 && seen.insert(text).second) out.push_back(text);
    pos = close;
  }
  return out;
}

std::vector<Paragraphs> load_real_articles(const std::filesystem::path& dir, size_t limit) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".gz") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Paragraphs> out;
  for (const auto& f : files) {
    if (out.size() >= limit) break;
    Paragraphs ps = extract_paragraphs(read_gzip(f));
    if (word_count(ps) >= 150) out.push_back(std::move(ps));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The labelled set.

enum Transform : unsigned {
  k_prepend = 1,
  k_append = 2,
  k_edits = 4,
  k_typo = 8,
  k_truncate = 16,
};

struct Doc {
  std::string text;
  int cluster = 0;  // documents of one cluster are the same story
  int topic = 0;    // same-topic distinct articles share a topic but not a cluster
  bool is_base = false;
  bool is_copy = false;
  unsigned transforms = 0;
};

const char* const k_prepends[] = {
    "BERLIN (dpa) -",
    "WASHINGTON (AP) —",
    "Von unserem Korrespondenten | Aktualisiert am 12.03.2024, 14:35 Uhr",
    "Listen to this article · 4 min. Info",
    "Share on Facebook Share on Twitter Share on WhatsApp Email this article",
    "Published 14 May 2024 Updated 15 May 2024 Reading time 5 minutes",
    "Breaking news:",
    "LONDON, May 14 (Reuters) -",
    "Advertisement Supported by the newsroom By our staff reporters",
    "Home News Politics World Europe",
    "Diese Meldung wurde automatisch aus dem Agenturfeed übernommen.",
    "MOSKAU. Как сообщает агентство:"};

const char* const k_appends[] = {
    "Copyright 2024 The Associated Press. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed.",
    "Mehr zum Thema: Alle Entwicklungen im Liveblog. Lesen Sie auch unseren Kommentar und die "
    "Analyse unserer Korrespondentin.",
    "Subscribe to our newsletter to get the most important stories of the day delivered to your "
    "inbox every morning. Follow us on Twitter and Facebook.",
    "(Reporting by staff; Editing by the desk) Our Standards: The Thomson Reuters Trust "
    "Principles.",
    "© dpa-infocom, dpa:240514-99-123456/4",
    "Related articles: Government announces new budget plan. Opposition criticises reform. "
    "Markets react to the decision. Comments are closed.",
    "This article originally appeared on our partner site and is republished here with "
    "permission. Views expressed are those of the author.",
    "Have a news tip? Contact our newsroom by email or through our secure messaging service. "
    "We read every message and reply as soon as we can."};

// Re-renders `ps` with random line wrapping, doubled spaces and merged paragraphs.
std::string rewrap(const Paragraphs& ps, Rng& rng) {
  std::string out;
  const size_t width = uniform(rng, 50, 120);
  for (size_t i = 0; i < ps.size(); ++i) {
    if (i > 0) out += chance(rng, 0.3) ? " " : (chance(rng, 0.5) ? "\n\n" : "\n");
    size_t col = 0;
    for (const std::string& w : split_words(ps[i])) {
      if (col > 0) {
        if (col + w.size() > width) {
          out += '\n';
          col = 0;
        } else {
          out += chance(rng, 0.05) ? "  " : " ";
          ++col;
        }
      }
      out += w;
      col += w.size();
    }
  }
  return out;
}

std::string render(const Paragraphs& ps) { return join(ps, "\n\n"); }

// Boilerplate one outlet wraps around its stories.
struct Boilerplate {
  std::string head, tail;
};

Boilerplate random_boilerplate(Rng& rng) {
  return {k_prepends[uniform(rng, 0, std::size(k_prepends) - 1)],
          k_appends[uniform(rng, 0, std::size(k_appends) - 1)]};
}

// A syndicated copy of `base`; `outlet`, when given, is the boilerplate used (always both ends).
Doc make_copy(const Paragraphs& base, const std::vector<Paragraphs>& others, TextGenerator& gen,
              int cluster, int topic, const Boilerplate* outlet = nullptr) {
  Rng& rng = gen.rng();
  Doc d;
  d.cluster = cluster;
  d.topic = topic;
  d.is_copy = true;
  Paragraphs ps = base;
  if (chance(rng, 0.3)) {  // keep the first 70-99 % of the words, cut after a sentence
    d.transforms |= k_truncate;
    const size_t total = word_count(ps);
    const auto keep =
        static_cast<size_t>(static_cast<double>(total) * (0.7 + 0.29 * uniform01(rng)));
    Paragraphs cut;
    size_t words = 0;
    for (const std::string& p : ps) {
      if (words >= keep) break;
      std::string kept;
      for (const std::string& s : split_sentences(p)) {
        if (words >= keep) break;
        words += split_words(s).size();
        kept += (kept.empty() ? "" : " ") + s;
      }
      cut.push_back(kept);
    }
    ps = cut;
  }
  if (chance(rng, 0.5)) {  // word edits: substitutions, deletions, insertions
    d.transforms |= k_edits;
    const size_t edits = uniform(rng, 1, 6);
    for (size_t e = 0; e < edits; ++e) {
      std::string& p = ps[uniform(rng, 0, ps.size() - 1)];
      std::vector<std::string> words = split_words(p);
      const size_t at = uniform(rng, 0, words.size() - 1);
      const size_t op = uniform(rng, 0, 2);
      if (op == 0)
        words[at] = gen.word();
      else if (op == 1 && words.size() > 1)
        words.erase(words.begin() + static_cast<long>(at));
      else
        words.insert(words.begin() + static_cast<long>(at), gen.word());
      p = join(words);
    }
  }
  if (chance(rng, 0.3)) {  // typo fixes: one character changed in 1-3 words
    d.transforms |= k_typo;
    const size_t typos = uniform(rng, 1, 3);
    for (size_t t = 0; t < typos; ++t) {
      std::string& p = ps[uniform(rng, 0, ps.size() - 1)];
      std::vector<std::string> words = split_words(p);
      std::string& w = words[uniform(rng, 0, words.size() - 1)];
      if (w.size() > 3) std::swap(w[1], w[2]);
      p = join(words);
    }
  }
  const Boilerplate bp = outlet != nullptr ? *outlet : random_boilerplate(rng);
  if (outlet != nullptr || chance(rng, 0.7)) {
    d.transforms |= k_prepend;
    ps.insert(ps.begin(), bp.head);
  }
  if (outlet != nullptr || chance(rng, 0.7)) {
    d.transforms |= k_append;
    std::string tail = bp.tail;
    if (chance(rng, 0.4)) {  // a "read more" block quoting the start of other articles
      const Paragraphs& other = others[uniform(rng, 0, others.size() - 1)];
      std::vector<std::string> teaser = split_words(other[0]);
      teaser.resize(std::min<size_t>(teaser.size(), 25));
      tail += " Read more: " + join(teaser);
    }
    ps.push_back(tail);
  }
  d.text = rewrap(ps, rng);
  return d;
}

// A distinct article on the topic of `base`: its own text, the topic's words sprinkled in and one
// or two sentences (a quote, the agency's key fact) shared with the base.
// `outlet`, when given, wraps the article in the same boilerplate as one of the base's copies:
// a different story from the same site.
Doc make_same_topic(const Paragraphs& own, const Paragraphs& base,
                    const std::vector<std::string>& topic_words, Rng& rng, int cluster, int topic,
                    const Boilerplate* outlet = nullptr) {
  Doc d;
  d.cluster = cluster;
  d.topic = topic;
  Paragraphs ps = own;
  for (std::string& p : ps) {
    std::vector<std::string> words = split_words(p);
    for (std::string& w : words) {
      if (!topic_words.empty() && chance(rng, 0.08)) {
        w = topic_words[uniform(rng, 0, topic_words.size() - 1)];
      }
    }
    p = join(words);
  }
  const size_t shared = uniform(rng, 1, 2);
  for (size_t s = 0; s < shared; ++s) {
    const std::vector<std::string> sents = split_sentences(base[uniform(rng, 0, base.size() - 1)]);
    const std::string& quote = sents[uniform(rng, 0, sents.size() - 1)];
    std::string& p = ps[uniform(rng, 0, ps.size() - 1)];
    p += " " + quote;
  }
  if (outlet != nullptr) {
    ps.insert(ps.begin(), outlet->head);
    ps.push_back(outlet->tail);
  }
  d.text = rewrap(ps, rng);
  return d;
}

// The 20 most frequent words of at least 5 bytes in `ps`: the article's topic vocabulary.
std::vector<std::string> topic_words_of(const Paragraphs& ps) {
  std::map<std::string, int> counts;
  for (const auto& p : ps) {
    for (std::string w : split_words(p)) {
      while (!w.empty() && std::ispunct(static_cast<unsigned char>(w.back()))) w.pop_back();
      if (w.size() >= 5) ++counts[w];
    }
  }
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto& [w, c] : counts) ranked.emplace_back(-c, w);
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < ranked.size() && i < 20; ++i) out.push_back(ranked[i].second);
  return out;
}

constexpr int k_copies_per_base = 4;
constexpr int k_same_topic_per_base = 3;

std::vector<Doc> build_generated_set(TextGenerator& gen, int bases) {
  std::vector<Doc> docs;
  std::vector<Paragraphs> others;
  for (int i = 0; i < 50; ++i) others.push_back(gen.article(nullptr, 100, 200));
  int cluster = 0;
  for (int t = 0; t < bases; ++t) {
    const TextGenerator::Topic topic = gen.make_topic();
    const Paragraphs base = gen.article(&topic, 120, 1000);
    Doc b;
    b.text = render(base);
    b.cluster = cluster;
    b.topic = t;
    b.is_base = true;
    docs.push_back(b);
    const Boilerplate outlet = random_boilerplate(gen.rng());
    for (int c = 0; c < k_copies_per_base; ++c) {
      docs.push_back(make_copy(base, others, gen, cluster, t, c == 0 ? &outlet : nullptr));
    }
    ++cluster;
    for (int n = 0; n < k_same_topic_per_base; ++n) {
      const Paragraphs own = gen.article(&topic, 120, 1000);
      docs.push_back(
          make_same_topic(own, base, {}, gen.rng(), cluster++, t, n == 0 ? &outlet : nullptr));
    }
  }
  return docs;
}

// The first quarter of `articles` are bases; each same-topic article is built from a distinct
// article of the rest, so no two documents of different clusters come from one page.
std::vector<Doc> build_real_set(const std::vector<Paragraphs>& articles, TextGenerator& gen) {
  std::vector<Doc> docs;
  int cluster = 0;
  Rng& rng = gen.rng();
  const size_t bases = articles.size() / (1 + k_same_topic_per_base);
  size_t filler = bases;
  for (size_t i = 0; i < bases; ++i) {
    const Paragraphs& base = articles[i];
    Doc b;
    b.text = render(base);
    b.cluster = cluster;
    b.topic = static_cast<int>(i);
    b.is_base = true;
    docs.push_back(b);
    const Boilerplate outlet = random_boilerplate(rng);
    for (int c = 0; c < k_copies_per_base; ++c) {
      docs.push_back(
          make_copy(base, articles, gen, cluster, static_cast<int>(i), c == 0 ? &outlet : nullptr));
    }
    ++cluster;
    const std::vector<std::string> topic = topic_words_of(base);
    for (int n = 0; n < k_same_topic_per_base; ++n) {
      docs.push_back(make_same_topic(articles[filler++], base, topic, rng, cluster++,
                                     static_cast<int>(i), n == 0 ? &outlet : nullptr));
    }
  }
  return docs;
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

// Stream decision: documents arrive in random order; each is called a duplicate of the earlier
// document with the highest score, if that score reaches the threshold. Correct when that
// document is of the same cluster; missed when an earlier same-cluster document went unfound.
struct StreamResult {
  uint64_t true_dup = 0, false_dup = 0, missed = 0;
  double precision() const {
    return true_dup + false_dup == 0
               ? 1.0
               : static_cast<double>(true_dup) / static_cast<double>(true_dup + false_dup);
  }
  double recall() const {
    return true_dup + missed == 0
               ? 1.0
               : static_cast<double>(true_dup) / static_cast<double>(true_dup + missed);
  }
};

template <typename Score>
StreamResult stream_decisions(const std::vector<Doc>& docs, const std::vector<size_t>& order,
                              Score&& score, double threshold) {
  StreamResult r;
  for (size_t a = 0; a < order.size(); ++a) {
    const size_t i = order[a];
    double best = -1e9;
    size_t best_j = 0;
    bool has_earlier_same = false;
    for (size_t b = 0; b < a; ++b) {
      const size_t j = order[b];
      if (docs[j].cluster == docs[i].cluster) has_earlier_same = true;
      const double s = score(i, j);
      if (s > best) {
        best = s;
        best_j = j;
      }
    }
    if (best >= threshold) {
      if (docs[best_j].cluster == docs[i].cluster) {
        ++r.true_dup;
      } else {
        ++r.false_dup;
        if (has_earlier_same) ++r.missed;
      }
    } else if (has_earlier_same) {
      ++r.missed;
    }
  }
  return r;
}

enum class PairKind { base_copy, copy_copy, same_topic, unrelated };

PairKind pair_kind(const Doc& a, const Doc& b) {
  if (a.cluster == b.cluster)
    return a.is_base || b.is_base ? PairKind::base_copy : PairKind::copy_copy;
  return a.topic == b.topic ? PairKind::same_topic : PairKind::unrelated;
}

bool truncated_pair(const Doc& a, const Doc& b) {
  return ((a.transforms | b.transforms) & k_truncate) != 0;
}

// Pair-level tallies of one decision rule.
struct PairTally {
  uint64_t base_copy = 0, base_copy_hit = 0, trunc = 0, trunc_hit = 0, copy_copy = 0,
           copy_copy_hit = 0, same_topic_hit = 0, unrelated_hit = 0;
  void add(const Doc& a, const Doc& b, bool hit) {
    switch (pair_kind(a, b)) {
      case PairKind::base_copy:
        ++base_copy;
        base_copy_hit += hit;
        if (truncated_pair(a, b)) {
          ++trunc;
          trunc_hit += hit;
        }
        break;
      case PairKind::copy_copy:
        ++copy_copy;
        copy_copy_hit += hit;
        break;
      case PairKind::same_topic: same_topic_hit += hit; break;
      case PairKind::unrelated: unrelated_hit += hit; break;
    }
  }
};

double ratio(uint64_t a, uint64_t b) {
  return b == 0 ? 1.0 : static_cast<double>(a) / static_cast<double>(b);
}

void print_header(const char* rule) {
  std::printf("%-24s %9s %9s %9s %9s %9s %9s %9s\n", rule, "R(b,c)", "R(trunc)", "R(c,c)",
              "FP-topic", "FP-other", "stream-P", "stream-R");
}

void print_row(const std::string& name, const PairTally& t, const StreamResult& s) {
  std::printf("%-24s %9.4f %9.4f %9.4f %9llu %9llu %9.4f %9.4f\n", name.c_str(),
              ratio(t.base_copy_hit, t.base_copy), ratio(t.trunc_hit, t.trunc),
              ratio(t.copy_copy_hit, t.copy_copy),
              static_cast<unsigned long long>(t.same_topic_hit),
              static_cast<unsigned long long>(t.unrelated_hit), s.precision(), s.recall());
}

std::vector<uint64_t> shingle_set(const std::string& text, int w) {
  const std::vector<uint64_t> words = word_hashes(text);
  std::vector<uint64_t> out;
  for (size_t i = 0; i + static_cast<size_t>(w) <= words.size(); ++i) {
    uint64_t h = 0;
    for (int j = 0; j < w; ++j) h = h * 0x100000001b3ULL + words[i + static_cast<size_t>(j)];
    out.push_back(h);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double jaccard(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  size_t i = 0, j = 0, inter = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      ++inter;
      ++i;
      ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  const size_t uni = a.size() + b.size() - inter;
  return uni == 0 ? 1.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

void evaluate(const char* set_name, const std::vector<Doc>& docs, uint64_t seed) {
  size_t copies = 0, truncated = 0;
  for (const Doc& d : docs) {
    copies += d.is_copy ? 1 : 0;
    truncated += (d.transforms & k_truncate) != 0 ? 1 : 0;
  }
  const size_t n = docs.size();
  std::printf(
      "\n== labelled set: %s: %zu documents, %zu syndicated copies (%zu truncated), "
      "%d copies + %d same-topic articles per base (one of each shares its outlet's boilerplate) "
      "==\n",
      set_name, n, copies, truncated, k_copies_per_base, k_same_topic_per_base);
  std::printf(
      "R(b,c): share of (original, copy) pairs found; R(trunc): those with a truncated "
      "copy; R(c,c): copy pairs; FP-topic/FP-other: distinct-article pairs (same topic / "
      "unrelated) wrongly matched; stream-P/R: precision/recall of the per-arrival "
      "decision over all %zu documents in random order.\n",
      n);

  Rng order_rng(seed ^ 0x5eed);
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), order_rng);

  // SimHash: Hamming distance <= k.
  const std::pair<const char*, SimHashOptions> variants[] = {
      {"simhash w3", {3, 0, 1}},
      {"simhash w3 lead150", {3, 150, 75}},
      {"simhash w2 lead200", {2, 200, 100}},
  };
  print_header("rule");
  for (const auto& [name, opts] : variants) {
    std::vector<uint64_t> fps;
    for (const Doc& d : docs) fps.push_back(newswatch::storage::simhash(d.text, opts));
    for (int k : {3, 4, 6, 8, 10}) {
      PairTally t;
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = i + 1; j < n; ++j)
          t.add(docs[i], docs[j], hamming_distance(fps[i], fps[j]) <= k);
      }
      const StreamResult s = stream_decisions(
          docs, order,
          [&](size_t i, size_t j) { return -double(hamming_distance(fps[i], fps[j])); },
          -double(k));
      print_row(std::string(name) + " k=" + std::to_string(k), t, s);
    }
  }

  // MinHash-LSH: candidate when one of the first `bands` values agrees, duplicate when the
  // estimated Jaccard also reaches t.
  std::vector<MinHash> sigs;
  for (const Doc& d : docs) sigs.push_back(fingerprint_text(d.text).minhash);
  std::vector<float> est(n * n);
  std::vector<uint8_t> first_equal(n * n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      est[i * n + j] = static_cast<float>(estimate_jaccard(sigs[i], sigs[j]));
      uint8_t f = 255;
      for (size_t b = 0; b < k_minhash_values; ++b) {
        if (sigs[i].values[b] == sigs[j].values[b]) {
          f = static_cast<uint8_t>(b);
          break;
        }
      }
      first_equal[i * n + j] = f;
    }
  }
  for (size_t bands : {4, 6, 8, 12, 16}) {
    for (double t : {0.2, 0.3, 0.35, 0.4, 0.5}) {
      if (bands != 8 && t != 0.35) continue;  // the band sweep at the chosen threshold only
      PairTally tally;
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = i + 1; j < n; ++j) {
          tally.add(docs[i], docs[j], first_equal[i * n + j] < bands && est[i * n + j] >= t);
        }
      }
      const StreamResult s = stream_decisions(
          docs, order,
          [&](size_t i, size_t j) {
            return first_equal[i * n + j] < bands ? est[i * n + j] : -1.0;
          },
          t);
      char name[64];
      std::snprintf(name, sizeof name, "minhash b=%zu t=%.2f", bands, t);
      print_row(name, tally, s);
    }
  }

  // Exact Jaccard of 3-word shingle sets: what an ideal MinHash reaches, and where the
  // populations lie.
  std::vector<std::vector<uint64_t>> sets;
  for (const Doc& d : docs) sets.push_back(shingle_set(d.text, 3));
  std::vector<double> pos, pos_trunc, neg;
  double est_err = 0;
  size_t est_n = 0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      if (docs[i].topic != docs[j].topic) continue;
      const double jac = jaccard(sets[i], sets[j]);
      est_err += std::abs(jac - est[i * n + j]);
      ++est_n;
      if (docs[i].cluster == docs[j].cluster && (docs[i].is_base || docs[j].is_base)) {
        pos.push_back(jac);
        if (truncated_pair(docs[i], docs[j])) pos_trunc.push_back(jac);
      } else if (docs[i].cluster != docs[j].cluster) {
        neg.push_back(jac);
      }
    }
  }
  std::sort(pos.begin(), pos.end());
  std::sort(pos_trunc.begin(), pos_trunc.end());
  std::sort(neg.begin(), neg.end());
  auto q = [](const std::vector<double>& xs, double p) {
    return xs.empty() ? 0.0
                      : xs[std::min(xs.size() - 1,
                                    static_cast<size_t>(p * static_cast<double>(xs.size())))];
  };
  std::printf(
      "exact shingle Jaccard: copies min %.3f p1 %.3f median %.3f; truncated copies min %.3f "
      "median %.3f; same-topic distinct p50 %.3f p99 %.3f max %.3f; mean |estimate - exact| "
      "%.3f\n",
      q(pos, 0), q(pos, 0.01), q(pos, 0.5), q(pos_trunc, 0), q(pos_trunc, 0.5), q(neg, 0.5),
      q(neg, 0.99), q(neg, 1.0), est_err / static_cast<double>(std::max<size_t>(1, est_n)));
}

// ---------------------------------------------------------------------------------------------
// Timing.

double percentile(std::vector<double> xs, double p) {
  std::sort(xs.begin(), xs.end());
  const size_t i = std::min(xs.size() - 1, static_cast<size_t>(p * static_cast<double>(xs.size())));
  return xs[i];
}

// Resident set size in MiB from /proc/self/status, or -1.
double rss_mib() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  double kib = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kib = std::strtod(line + 6, nullptr);
  }
  std::fclose(f);
  return kib < 0 ? -1 : kib / 1024;
}

void timing(TextGenerator& gen, size_t stored, size_t queries) {
  using Clock = std::chrono::steady_clock;
  std::printf("\n== dedup decision timing: %zu stored signatures, %zu queries ==\n", stored,
              queries);
  const double rss_before = rss_mib();
  NearDupIndex index(NearDupOptions{.min_similarity = 0.35, .expected_entries = stored});
  // Baseline in the same run: a linear scan over all stored band values (what the index avoids).
  std::vector<std::array<uint32_t, k_lsh_bands>> bands;
  bands.reserve(stored);
  std::vector<Paragraphs> keep;  // stored articles to query copies of
  const auto t0 = Clock::now();
  // Stored signatures come from generated articles, not random numbers, so bucket occupancy
  // (common words, shared topic vocabulary) is what text gives.
  const size_t topics = 5000;
  std::vector<TextGenerator::Topic> topic_pool;
  for (size_t t = 0; t < topics; ++t) topic_pool.push_back(gen.make_topic());
  const size_t keep_every = std::max<size_t>(1, stored / std::max<size_t>(1, queries / 2));
  for (size_t i = 0; i < stored; ++i) {
    const Paragraphs a = gen.article(&topic_pool[i % topics], 150, 400);
    const MinHash m = fingerprint_text(render(a)).minhash;
    index.insert(i, m);
    std::array<uint32_t, k_lsh_bands> b{};
    std::copy_n(m.values.begin(), k_lsh_bands, b.begin());
    bands.push_back(b);
    if (i % keep_every == 0) keep.push_back(a);
  }
  const double build_s = std::chrono::duration<double>(Clock::now() - t0).count();
  // The baseline's band copy (32 bytes per entry) is subtracted to leave the index alone.
  const double band_copy_mib = static_cast<double>(bands.capacity() * sizeof(bands[0])) / (1 << 20);
  std::printf(
      "index arrays: %.0f MiB for %zu entries (%.0f bytes each); process RSS growth "
      "without the baseline's band copy: %.0f MiB (includes %zu kept query articles and "
      "allocator slack)\n",
      static_cast<double>(index.memory_bytes()) / (1 << 20), stored,
      static_cast<double>(index.memory_bytes()) / static_cast<double>(stored),
      rss_mib() - rss_before - band_copy_mib, keep.size());
  std::printf("generated + fingerprinted + indexed %zu articles in %.1f s\n", stored, build_s);

  std::vector<std::string> texts;
  std::vector<Paragraphs> others(keep.begin(), keep.begin() + std::min<size_t>(keep.size(), 20));
  for (size_t qi = 0; qi < queries; ++qi) {
    if (qi % 2 == 0 && !keep.empty()) {
      texts.push_back(make_copy(keep[qi / 2 % keep.size()], others, gen, 0, 0).text);
    } else {
      texts.push_back(render(gen.article(&topic_pool[qi % topics], 250, 1000)));
    }
  }
  std::vector<double> fp_us, lookup_us, decision_us, scan_us;
  size_t found_copies = 0, found_fresh = 0;
  for (size_t qi = 0; qi < texts.size(); ++qi) {
    const auto a = Clock::now();
    const TextFingerprints f = fingerprint_text(texts[qi]);
    const auto b = Clock::now();
    const auto match = index.find_best(f.minhash);
    const auto c = Clock::now();
    if (match) (qi % 2 == 0 ? found_copies : found_fresh) += 1;
    fp_us.push_back(std::chrono::duration<double, std::micro>(b - a).count());
    lookup_us.push_back(std::chrono::duration<double, std::micro>(c - b).count());
    decision_us.push_back(std::chrono::duration<double, std::micro>(c - a).count());
  }
  size_t scan_hits = 0;
  for (size_t qi = 0; qi < std::min<size_t>(texts.size(), 200); ++qi) {
    const MinHash m = fingerprint_text(texts[qi]).minhash;
    const auto a = Clock::now();
    for (const auto& b : bands) {
      for (size_t k = 0; k < k_lsh_bands; ++k) {
        if (b[k] == m.values[k]) {
          ++scan_hits;
          break;
        }
      }
    }
    scan_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  std::printf("%-30s %10s %10s %10s %10s\n", "stage (microseconds)", "p50", "p90", "p99", "max");
  auto row = [](const char* name, const std::vector<double>& xs) {
    std::printf("%-30s %10.2f %10.2f %10.2f %10.2f\n", name, percentile(xs, 0.5),
                percentile(xs, 0.9), percentile(xs, 0.99), percentile(xs, 1.0));
  };
  row("fingerprint_text", fp_us);
  row("NearDupIndex::find_best", lookup_us);
  row("decision (fingerprint+find)", decision_us);
  row("baseline: linear band scan", scan_us);
  std::printf("median lookup speed-up over the linear scan: %.0fx (scan candidates: %zu)\n",
              percentile(scan_us, 0.5) / std::max(1e-3, percentile(lookup_us, 0.5)), scan_hits);
  std::printf(
      "matches: %zu of %zu copies of stored articles, %zu of %zu fresh same-topic "
      "articles\n",
      found_copies, (texts.size() + 1) / 2, found_fresh, texts.size() / 2);
}

}  // namespace

int main(int argc, char** argv) {
  using newswatch::bench::arg_flag;
  using newswatch::bench::arg_long;
  using newswatch::bench::arg_str;
  if (const char* bad = newswatch::bench::unknown_arg(
          argc, argv,
          {"--seed", "--stored", "--queries", "--corpus", "--eval-only", "--timing-only"})) {
    std::fprintf(stderr, "unknown argument %s\n", bad);
    return 2;
  }
  const auto seed = static_cast<uint64_t>(arg_long(argc, argv, "--seed", 20240514));
  const auto stored = static_cast<size_t>(arg_long(argc, argv, "--stored", 1000000));
  const auto queries = static_cast<size_t>(arg_long(argc, argv, "--queries", 20000));
  const bool eval = !arg_flag(argc, argv, "--timing-only");
  const bool time = !arg_flag(argc, argv, "--eval-only");
  std::vector<std::filesystem::path> corpus_dirs = {
      "../shared/corpora/trafilatura-eval/pages", "../../shared/corpora/trafilatura-eval/pages",
      "../../../shared/corpora/trafilatura-eval/pages"};
  if (const std::string corpus = arg_str(argc, argv, "--corpus"); !corpus.empty()) {
    corpus_dirs = {corpus};
  }
  std::printf("dedup_bench seed=%llu\n", static_cast<unsigned long long>(seed));
  TextGenerator gen(seed);
  if (eval) {
    evaluate("generated text", build_generated_set(gen, 400), seed);
    std::filesystem::path dir;
    for (const auto& d : corpus_dirs) {
      std::error_code ec;
      if (std::filesystem::is_directory(d, ec)) {
        dir = d;
        break;
      }
    }
    if (dir.empty()) {
      std::printf(
          "\n(real-text set skipped: no trafilatura-eval corpus under ../shared/corpora)\n");
    } else {
      // Pages of one site can share most of their <p> text (cookie notes, teasers); such pairs
      // would be unlabelled duplicates, so an article overlapping an earlier one is left out.
      std::vector<Paragraphs> articles;
      std::vector<std::vector<uint64_t>> kept_sets;
      for (Paragraphs& a : load_real_articles(dir, 2000)) {
        std::vector<uint64_t> set = shingle_set(render(a), 3);
        const bool overlaps = std::any_of(kept_sets.begin(), kept_sets.end(),
                                          [&](const auto& k) { return jaccard(set, k) >= 0.1; });
        if (overlaps || articles.size() >= 800) continue;
        kept_sets.push_back(std::move(set));
        articles.push_back(std::move(a));
      }
      std::printf(
          "\nloaded %zu real articles (>= 150 words of <p> text, pairwise shingle "
          "Jaccard < 0.1) from %s\n",
          articles.size(), dir.c_str());
      if (articles.size() >= 20)
        evaluate("real text (trafilatura-eval pages)", build_real_set(articles, gen), seed);
    }
  }
  if (time) timing(gen, stored, queries);
  return 0;
}
