#include "alerts/matcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace newswatch::alerts {
namespace {

std::vector<TopicQuery> topics(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<TopicQuery> out;
  for (const auto& [name, text] : pairs) {
    Result<Query> q = parse_query(text);
    EXPECT_TRUE(q) << text << ": " << q.status().to_string();
    out.push_back(TopicQuery{name, q ? *q : Query()});
  }
  return out;
}

Article article(std::string text, std::string language = "de", std::string title = "",
                std::string source = "") {
  Article a;
  a.text = std::move(text);
  a.language = std::move(language);
  a.title = std::move(title);
  a.source = std::move(source);
  return a;
}

const char* field_name(MatchField f) {
  return f == MatchField::title ? "title" : f == MatchField::summary ? "summary" : "text";
}

// "topic[term|term]{field:word field:word}" per match, one-line canonical form.
std::string render(const Article& a, const std::vector<Match>& matches) {
  std::string out;
  for (const Match& m : matches) {
    if (!out.empty()) out += ' ';
    out += m.topic + "[";
    for (std::size_t i = 0; i < m.terms.size(); ++i) out += (i ? "|" : "") + m.terms[i];
    out += "]{";
    for (std::size_t i = 0; i < m.spans.size(); ++i) {
      const MatchSpan& s = m.spans[i];
      const std::string& text = s.field == MatchField::title     ? a.title
                                : s.field == MatchField::summary ? a.summary
                                                                 : a.text;
      out += (i ? " " : "") + std::string(field_name(s.field)) + ":" +
             text.substr(s.begin, s.end - s.begin);
    }
    out += "}";
  }
  return out;
}

std::string run(const Matcher& m, const Article& a) {
  const std::string indexed = render(a, m.match(a));
  EXPECT_EQ(indexed, render(a, m.match_naive(a)));
  return indexed;
}

TEST(Matcher, GermanInflectionsMatchByStem) {
  Matcher m(topics({{"sanktionen", "Sanktion"}, {"russland", "Russland"}}));
  EXPECT_EQ(run(m, article("Neue Sanktionen gegen Russlands Banken.")),
            "sanktionen[sanktion]{text:Sanktionen} russland[russland]{text:Russlands}");
  EXPECT_EQ(run(m, article("Sankt Petersburg feiert.")), "");
}

TEST(Matcher, GermanCompoundsMatchByHeadAndTail) {
  Matcher m(topics({{"s", "Sanktion"}, {"w", "Wirtschaft"}}));
  EXPECT_EQ(run(m, article("Die Wirtschaftssanktionen greifen.")),
            "s[sanktion]{text:Wirtschaftssanktionen} w[wirtschaft]{text:Wirtschaftssanktionen}");
  EXPECT_EQ(run(m, article("Das Sanktionspaket kommt.")), "s[sanktion]{text:Sanktionspaket}");
  // Compound components are a German rule: English text is not decompounded.
  EXPECT_EQ(run(m, article("Wirtschaftssanktionen", "en")), "");
  // Without a language the article is treated as possibly German.
  EXPECT_EQ(run(m, article("Wirtschaftssanktionen", "")),
            "s[sanktion]{text:Wirtschaftssanktionen} w[wirtschaft]{text:Wirtschaftssanktionen}");
  MatcherOptions off;
  off.analyzer.compounds = storage::CompoundMode::off;
  Matcher plain(topics({{"s", "Sanktion"}}), off);
  EXPECT_EQ(run(plain, article("Die Wirtschaftssanktionen greifen.")), "");
}

TEST(Matcher, InfixCompoundsAreOptIn) {
  MatcherOptions infix;
  infix.analyzer.compounds = storage::CompoundMode::german_infix;
  Matcher with(topics({{"s", "Sanktion"}}), infix);
  Matcher without(topics({{"s", "Sanktion"}}));
  const Article a = article("Das Wirtschaftssanktionspaket kommt.");
  EXPECT_EQ(run(with, a), "s[sanktion]{text:Wirtschaftssanktionspaket}");
  EXPECT_EQ(run(without, a), "");
}

TEST(Matcher, RussianInflectionsMatchByStem) {
  Matcher m(topics({{"ru", "санкции"}}));
  EXPECT_EQ(run(m, article("Новых санкций не будет", "ru")), "ru[санкции]{text:санкций}");
  EXPECT_EQ(run(m, article("Новых санкций не будет", "")), "ru[санкции]{text:санкций}");
}

TEST(Matcher, CaseAndDiacriticsInsensitive) {
  Matcher m(topics({{"nk", "Pjongjang"}, {"e", "ETE"}}));
  EXPECT_EQ(run(m, article("Raketentest in PJÖNGJANG.")), "nk[pjongjang]{text:PJÖNGJANG}");
  EXPECT_EQ(run(m, article("un été chaud", "fr")), "e[ete]{text:été}");
}

TEST(Matcher, ConfiguredSynonymsMatchTransliterations) {
  MatcherOptions options;
  options.analyzer.synonyms = {{"Pjöngjang", "Pyongyang"}};
  Matcher m(topics({{"nk", "Pyongyang"}}), options);
  EXPECT_EQ(run(m, article("Nachrichten aus Pjöngjang")), "nk[pyongyang]{text:Pjöngjang}");
  EXPECT_EQ(run(m, article("News from Pyongyang", "en")), "nk[pyongyang]{text:Pyongyang}");
  Matcher without(topics({{"nk", "Pyongyang"}}));
  EXPECT_EQ(run(without, article("Nachrichten aus Pjöngjang")), "");
}

TEST(Matcher, ExactPhraseNeedsOrder) {
  Matcher m(topics({{"kju", "\"Kim Jong Un\""}, {"hyph", "Kim-Jong-Un"}}));
  EXPECT_EQ(run(m, article("Machthaber Kim Jong Un reist.")),
            "kju[\"kim jong un\"]{text:Kim text:Jong text:Un} "
            "hyph[\"kim jong un\"]{text:Kim text:Jong text:Un}");
  EXPECT_EQ(run(m, article("Kim traf Jong Un.")), "");
  EXPECT_EQ(run(m, article("Un Jong Kim.")), "");
}

TEST(Matcher, ProximityPhraseAndNear) {
  Matcher m(topics({{"p", "\"Putin Kim\"~3"}, {"n", "Putin NEAR/3 Kim"}}));
  // At most three words between them.
  EXPECT_EQ(run(m, article("Putin hat heute morgen früh Kim getroffen")), "");
  EXPECT_EQ(run(m, article("Putin hat heute morgen Kim getroffen")),
            "p[\"putin kim\"~3]{text:Putin text:Kim} n[kim|putin]{text:Putin text:Kim}");
  // Any order.
  EXPECT_EQ(run(m, article("Kim empfing Putin")),
            "p[\"putin kim\"~3]{text:Kim text:Putin} n[kim|putin]{text:Kim text:Putin}");
}

TEST(Matcher, PhrasesDoNotSpanFields) {
  Matcher m(topics({{"p", "\"Gipfel Putin\""}, {"n", "Gipfel NEAR/2 Putin"}}));
  EXPECT_EQ(run(m, article("Putin reist an", "de", "Gipfel")), "");
  EXPECT_EQ(run(m, article("Gipfel: Putin reist an", "de", "")),
            "p[\"gipfel putin\"]{text:Gipfel text:Putin} n[gipfel|putin]{text:Gipfel text:Putin}");
}

TEST(Matcher, BooleanOperators) {
  Matcher m(topics({{"and", "Putin Kim"},
                    {"or", "Putin OR Xi"},
                    {"not", "Putin -Sport"},
                    {"onlynot", "NOT Sport"},
                    {"group", "(Xi OR Kim) AND NOT Biden"}}));
  EXPECT_EQ(m.always_checked_count(), 1u);
  EXPECT_EQ(run(m, article("Putin trifft Kim")),
            "and[kim|putin]{text:Putin text:Kim} or[putin]{text:Putin} "
            "not[putin]{text:Putin} onlynot[]{} group[kim]{text:Kim}");
  EXPECT_EQ(run(m, article("Putin beim Sport mit Biden und Xi")),
            "or[putin|xi]{text:Putin text:Xi}");
}

TEST(Matcher, PrefixMatchesUnstemmedWordStarts) {
  Matcher m(topics({{"p", "sanktion*"}, {"oil", "Öl*"}}));
  EXPECT_EQ(run(m, article("Sanktionspaket und Sanktionen, aber keine Sankt-Martin")),
            "p[sanktion*]{text:Sanktionspaket text:Sanktionen}");
  EXPECT_EQ(run(m, article("Der Ölpreis steigt")), "oil[ol*]{text:Ölpreis}");
}

TEST(Matcher, FieldScopes) {
  Matcher m(topics({{"t", "title:Putin"},
                    {"tp", "title:\"Kim Jong\""},
                    {"src", "source:Tagesschau Putin"},
                    {"lang", "lang:en"},
                    {"notsrc", "Putin -source:Tagesschau"}}));
  EXPECT_EQ(run(m, article("Putin und Kim Jong", "de", "Kim Jong trifft Putin", "tagesschau")),
            "t[putin]{title:Putin} tp[\"kim jong\"]{title:Kim title:Jong} "
            "src[putin|source:tagesschau]{title:Putin text:Putin}");
  EXPECT_EQ(run(m, article("Putin und Kim Jong", "en-GB", "Nachrichten", "DW")),
            "lang[lang:en]{} notsrc[putin]{text:Putin}");
}

TEST(Matcher, SummaryIsSearched) {
  Matcher m(topics({{"s", "Sanktion"}}));
  Article a = article("Nichts.");
  a.summary = "Die Sanktionen wirken.";
  EXPECT_EQ(run(m, a), "s[sanktion]{summary:Sanktionen}");
}

TEST(Matcher, ArticleWithoutLanguageMatchesGermanAndEnglishStems) {
  Matcher m(topics({{"de", "Sanktion"}, {"en", "sanction"}}));
  EXPECT_EQ(run(m, article("Sanktionen und sanctions", "")),
            "de[sanktion]{text:Sanktionen} en[sanction]{text:sanctions}");
}

TEST(Matcher, WordFrequencyChangesTheIndexNotTheResult) {
  MatcherOptions options;
  options.word_frequency = {{"putin", 0.5}, {"kim", 0.0001}};
  Matcher with(topics({{"a", "Putin Kim"}, {"b", "Putin -Kim"}}), options);
  Matcher without(topics({{"a", "Putin Kim"}, {"b", "Putin -Kim"}}));
  for (const char* text : {"Putin und Kim", "Putin allein", "Kim allein"}) {
    EXPECT_EQ(run(with, article(text)), run(without, article(text))) << text;
  }
}

TEST(Highlight, MarksSpansInASnippetAroundTheFirstMatch) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "Füllwort ";
  text += "Die Sanktionen gegen Russland wirken. ";
  for (int i = 0; i < 100; ++i) text += "Nachsatz ";
  Matcher m(topics({{"s", "Sanktion Russland"}}));
  Article a = article(text);
  std::vector<Match> matches = m.match(a);
  ASSERT_EQ(matches.size(), 1u);
  const std::string snippet = highlight_match(a, matches[0]);
  EXPECT_NE(snippet.find("Die «Sanktionen» gegen «Russland» wirken."), std::string::npos)
      << snippet;
  EXPECT_EQ(snippet.rfind("…", 0), 0u) << snippet;  // starts with an ellipsis
  EXPECT_EQ(snippet.substr(snippet.size() - 3), "…");
  std::size_t code_points = 0;
  for (unsigned char c : snippet) code_points += (c & 0xC0) != 0x80;
  EXPECT_LE(code_points, 300u + 4u + 2u);  // text, 2 pairs of markers, 2 ellipses
  EXPECT_GE(code_points, 200u);
}

TEST(Highlight, ShortTextAndCustomMarkers) {
  HighlightOptions options;
  options.open = "**";
  options.close = "**";
  const std::string text = "Kim trifft\n\nPutin.";
  std::vector<MatchSpan> spans = {{MatchField::text, 0, 3}, {MatchField::text, 12, 17}};
  EXPECT_EQ(highlight(text, spans, options), "**Kim** trifft **Putin**.");
  EXPECT_EQ(highlight(text, {}, options), "Kim trifft Putin.");
}

TEST(Highlight, UsesTheTitleWhenOnlyItMatched) {
  Matcher m(topics({{"t", "title:Putin"}}));
  Article a = article("Ein langer Text.", "de", "Putin reist");
  std::vector<Match> matches = m.match(a);
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(highlight_match(a, matches[0]), "«Putin» reist");
}

TEST(Highlight, NeverSplitsAMultiByteCharacter) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "санкций ";
  const std::vector<MatchSpan> spans = {{MatchField::text, 15 * 100, 15 * 100 + 14}};
  ASSERT_EQ(text.substr(spans[0].begin, 14), "санкций");
  HighlightOptions options;
  options.max_chars = 37;
  const std::string snippet = highlight(text, spans, options);
  EXPECT_NE(snippet.find("«санкций»"), std::string::npos) << snippet;
  // Every lead byte is followed by the right number of continuation bytes.
  for (std::size_t i = 0; i < snippet.size();) {
    const auto c = static_cast<unsigned char>(snippet[i]);
    const std::size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    ASSERT_NE(n, 0u) << "stray continuation byte at " << i << " in " << snippet;
    for (std::size_t k = 1; k < n; ++k) {
      ASSERT_LT(i + k, snippet.size());
      ASSERT_EQ(static_cast<unsigned char>(snippet[i + k]) & 0xC0, 0x80);
    }
    i += n;
  }
}

TEST(Matcher, DefaultConstructedQueryMatchesNothing) {
  std::vector<TopicQuery> list;
  list.push_back(TopicQuery{"empty", Query()});
  Matcher m(std::move(list));
  EXPECT_EQ(m.topic_count(), 1u);
  EXPECT_EQ(run(m, article("Putin")), "");
}

TEST(Matcher, ConcurrentMatchesAgreeWithSequentialOnes) {
  Matcher m(topics(
      {{"a", "Sanktion"}, {"b", "\"Kim Jong\"~2"}, {"c", "Russland -Sport"}, {"d", "санкции"}}));
  const std::vector<Article> articles = {
      article("Wirtschaftssanktionen gegen Russland"), article("Kim traf Jong", ""),
      article("Новых санкций не будет", "ru"), article("Sport in Russland")};
  std::vector<std::string> expected;
  for (const Article& a : articles) expected.push_back(render(a, m.match(a)));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const std::size_t k = static_cast<std::size_t>(i + t) % articles.size();
        mismatches[static_cast<std::size_t>(t)] +=
            render(articles[k], m.match(articles[k])) != expected[k];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int n : mismatches) EXPECT_EQ(n, 0);
  EXPECT_EQ(expected[0], "a[sanktion]{text:Wirtschaftssanktionen} c[russland]{text:Russland}");
}

// ---- Randomised differential tests ------------------------------------------------------------

const std::vector<std::string> k_vocab = {"Sanktion", "Sanktionen", "Wirtschaftssanktionen",
                                          "Russland", "Russlands",  "Putin",
                                          "Kim",      "Jong",       "Un",
                                          "Gipfel",   "Pjöngjang",  "Rakete",
                                          "Raketen",  "Test",       "Handel",
                                          "Zoll",     "Zölle",      "Xi",
                                          "China",    "Biden",      "Sport",
                                          "Wahl",     "Wahlen",     "Gas",
                                          "Gaspreis", "Ölpreis",    "Energie",
                                          "Krieg",    "Frieden",    "Gespräche"};

std::string random_word(std::mt19937& rng) {
  // Zipf-like: low indexes are more frequent.
  std::uniform_real_distribution<double> u(0, 1);
  const double x = std::pow(u(rng), 2.0);
  return k_vocab[static_cast<std::size_t>(x * static_cast<double>(k_vocab.size()))];
}

std::string random_query(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> pick(0, depth > 0 ? 13 : 6);
  switch (pick(rng)) {
    case 0:
    case 1:
    case 2: return random_word(rng);
    case 3: return random_word(rng).substr(0, 4) + "*";
    case 4: return "\"" + random_word(rng) + " " + random_word(rng) + "\"";
    case 5:
      return "\"" + random_word(rng) + " " + random_word(rng) + "\"~" +
             std::to_string(std::uniform_int_distribution<int>(1, 6)(rng));
    case 6:
      return random_word(rng) + " NEAR/" +
             std::to_string(std::uniform_int_distribution<int>(0, 8)(rng)) + " " + random_word(rng);
    case 7:
    case 8: return "(" + random_query(rng, depth - 1) + " " + random_query(rng, depth - 1) + ")";
    case 9:
    case 10:
      return "(" + random_query(rng, depth - 1) + " OR " + random_query(rng, depth - 1) + ")";
    case 11: return "NOT (" + random_query(rng, depth - 1) + ")";
    case 12: return "title:(" + random_query(rng, depth - 1) + ")";
    default: return std::uniform_int_distribution<int>(0, 1)(rng) ? "lang:de" : "source:dpa";
  }
}

Article random_article(std::mt19937& rng) {
  auto words = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i ? " " : "") + random_word(rng);
    return s;
  };
  const char* langs[] = {"de", "en", ""};
  Article a = article(words(std::uniform_int_distribution<int>(5, 60)(rng)),
                      langs[std::uniform_int_distribution<int>(0, 2)(rng)],
                      words(std::uniform_int_distribution<int>(0, 6)(rng)),
                      std::uniform_int_distribution<int>(0, 1)(rng) ? "dpa" : "afp");
  return a;
}

TEST(MatcherDifferential, IndexedEqualsNaiveOnRandomQueries) {
  std::mt19937 rng(20261122);
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < 400; ++i) pairs.emplace_back("t" + std::to_string(i), random_query(rng, 3));
  MatcherOptions options;
  options.analyzer.synonyms = {{"Pjöngjang", "Pyongyang"}};
  Matcher m(topics(pairs), options);
  std::size_t total = 0;
  for (int d = 0; d < 150; ++d) {
    const Article a = random_article(rng);
    const std::vector<Match> indexed = m.match(a);
    const std::vector<Match> naive = m.match_naive(a);
    ASSERT_EQ(render(a, indexed), render(a, naive)) << "article " << d << ": " << a.text;
    total += indexed.size();
  }
  // Not a vacuous comparison: some but far from all pairs match.
  EXPECT_GT(total, 150u * 400u / 50);
  EXPECT_LT(total, 150u * 400u * 3 / 4);
}

// An independent brute-force oracle for words that every stemmer leaves alone: term, exact and
// sloppy phrases, NEAR between terms, AND, OR, NOT over the text's word list.
bool oracle(const Query& q, std::uint32_t index, const std::vector<std::string>& words) {
  const QueryNode& n = q.nodes()[index];
  auto at = [&](const std::string& w) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (words[i] == w) out.push_back(i);
    }
    return out;
  };
  switch (n.kind) {
    case QueryNode::Kind::term: return !at(n.words[0]).empty();
    case QueryNode::Kind::phrase: {
      const std::size_t k = n.words.size();
      for (std::size_t s = 0; s < words.size(); ++s) {
        bool ok = true;
        for (std::size_t i = 0; i < k && ok; ++i) {
          if (n.distance == 0) {
            ok = s + i < words.size() && words[s + i] == n.words[i];
          } else {
            const std::size_t end = std::min(words.size(), s + k + n.distance);
            ok = std::find(words.begin() + static_cast<std::ptrdiff_t>(s),
                           words.begin() + static_cast<std::ptrdiff_t>(end),
                           n.words[i]) != words.begin() + static_cast<std::ptrdiff_t>(end);
          }
        }
        if (ok) return true;
      }
      return false;
    }
    case QueryNode::Kind::near: {
      for (std::size_t a : at(q.nodes()[n.children[0]].words[0])) {
        for (std::size_t b : at(q.nodes()[n.children[1]].words[0])) {
          if ((a > b ? a - b : b - a) <= n.distance + 1) return true;
        }
      }
      return false;
    }
    case QueryNode::Kind::all:
      return std::all_of(n.children.begin(), n.children.end(),
                         [&](std::uint32_t c) { return oracle(q, c, words); });
    case QueryNode::Kind::any:
      return std::any_of(n.children.begin(), n.children.end(),
                         [&](std::uint32_t c) { return oracle(q, c, words); });
    case QueryNode::Kind::negation: return !oracle(q, n.children[0], words);
    default: ADD_FAILURE() << "oracle does not support this node"; return false;
  }
}

TEST(MatcherDifferential, VerifierAgreesWithBruteForceOracle) {
  const std::vector<std::string> vocab = {"aa", "bb", "cc", "dd", "ee", "ff"};
  std::mt19937 rng(7);
  auto word = [&] { return vocab[std::uniform_int_distribution<std::size_t>(0, 5)(rng)]; };
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    switch (std::uniform_int_distribution<int>(0, depth > 0 ? 7 : 3)(rng)) {
      case 0: return word();
      case 1: return "\"" + word() + " " + word() + " " + word() + "\"";
      case 2:
        return "\"" + word() + " " + word() + "\"~" +
               std::to_string(std::uniform_int_distribution<int>(1, 4)(rng));
      case 3:
        return word() + " NEAR/" + std::to_string(std::uniform_int_distribution<int>(0, 4)(rng)) +
               " " + word();
      case 4: return "(" + gen(depth - 1) + " " + gen(depth - 1) + ")";
      case 5: return "(" + gen(depth - 1) + " OR " + gen(depth - 1) + ")";
      case 6: return "NOT " + gen(depth - 1);
      default: return gen(depth - 1);
    }
  };
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < 300; ++i) pairs.emplace_back(std::to_string(i), gen(3));
  MatcherOptions options;
  options.analyzer.languages = {"en"};
  options.analyzer.compounds = storage::CompoundMode::off;
  std::vector<TopicQuery> compiled = topics(pairs);
  Matcher m(compiled, options);
  int matched = 0;
  for (int d = 0; d < 200; ++d) {
    std::vector<std::string> words;
    std::string text;
    for (int i = std::uniform_int_distribution<int>(1, 25)(rng); i > 0; --i) {
      words.push_back(word());
      text += words.back() + " ";
    }
    std::vector<Match> got = m.match(article(text, "en"));
    std::vector<bool> hit(compiled.size(), false);
    for (const Match& match : got) hit[match.topic_index] = true;
    for (std::size_t t = 0; t < compiled.size(); ++t) {
      ASSERT_EQ(hit[t], oracle(compiled[t].query, compiled[t].query.root_index(), words))
          << compiled[t].query.text() << " on: " << text;
      matched += hit[t];
    }
  }
  EXPECT_GT(matched, 200 * 300 / 20);
  EXPECT_LT(matched, 200 * 300 * 9 / 10);
}

}  // namespace
}  // namespace newswatch::alerts
