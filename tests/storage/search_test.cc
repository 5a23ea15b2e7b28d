// Store::search over a real RocksDB directory: stemming, ranking, phrases, prefixes, filters,
// snippets, and a secondary instance reading the primary's index.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "storage/search.h"
#include "storage/store.h"
#include "tests/support/sandbox.h"

namespace newswatch::storage {
namespace {

class SearchTest : public testing::SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    StoreOptions options;
    options.path = (sandbox() / "db").string();
    options.expected_articles = 4096;
    auto store = Store::open(options);
    ASSERT_TRUE(store.has_value()) << store.error().to_string();
    m_store = std::move(*store);
  }

  std::string add(const std::string& url, const std::string& title, const std::string& text,
                  const std::string& lang, const std::string& source = "wire",
                  std::vector<std::string> topics = {}, int day = 0) {
    Article a;
    a.url = url;
    a.title = title;
    a.text = text;
    a.language = lang;
    a.source = source;
    a.topics = std::move(topics);
    a.fetched = TimePoint(std::chrono::hours(24 * (20000 + day)));
    a.published = a.fetched;
    auto outcome = m_store->put_article(a, {});
    EXPECT_TRUE(outcome.has_value() && outcome->stored) << url;
    return a.id;
  }

  // The database as the CLI opens it while the daemon writes.
  std::unique_ptr<Store> open_reader() {
    StoreOptions options;
    options.path = (sandbox() / "db").string();
    options.access = StoreOptions::Access::read_only;
    auto reader = Store::open(options);
    EXPECT_TRUE(reader.has_value()) << reader.error().to_string();
    return reader ? std::move(*reader) : nullptr;
  }

  std::vector<std::string> ids(const SearchQuery& q) { return ids(*m_store, q); }

  static std::vector<std::string> ids(const Store& store, const SearchQuery& q) {
    auto hits = store.search(q);
    EXPECT_TRUE(hits.has_value()) << hits.error().to_string();
    std::vector<std::string> out;
    if (hits) {
      for (const auto& h : *hits) out.push_back(h.id);
    }
    return out;
  }

  std::vector<std::string> ids(const std::string& text) { return ids(*m_store, text); }

  static std::vector<std::string> ids(const Store& store, const std::string& text) {
    SearchQuery q;
    q.text = text;
    return ids(store, q);
  }

  void add_corpus() {
    m_de = add("https://de.example/1", "EU beschließt neue Sanktionen gegen Russland",
               "Die Europäische Union hat am Montag ein weiteres Sanktionspaket beschlossen. Die "
               "Strafmaßnahmen treffen Banken und Reedereien.",
               "de", "tagesschau", {"russland"}, 1);
    m_en = add("https://en.example/1", "Markets rally as inflation cools",
               "Stocks rose on Tuesday. Analysts said new sanctions on Russia had little effect "
               "on energy prices, and Kim Jong Un was not mentioned at all.",
               "en", "reuters", {}, 2);
    m_ru = add("https://ru.example/1", "Новые санкции против России",
               "Евросоюз утвердил новый пакет санкций. Ограничения затронут банки.", "ru", "tass",
               {"russland"}, 3);
    m_kim = add("https://en.example/2", "Summit in Pyongyang",
                "Kim Jong Un welcomed the Russian president in Pyongyang on Wednesday.", "en",
                "reuters", {"korea"}, 4);
    m_scattered = add("https://en.example/3", "A day of diplomacy",
                      "Un diplomats met Kim, and Jong was the name of a reporter in the room.",
                      "en", "ap", {}, 5);
  }

  std::unique_ptr<Store> m_store;
  std::string m_de, m_en, m_ru, m_kim, m_scattered;
};

TEST_F(SearchTest, StemsGermanEnglishAndRussian) {
  add_corpus();
  EXPECT_EQ(ids("Sanktion"), std::vector<std::string>{m_de});
  EXPECT_EQ(ids("sanction"), std::vector<std::string>{m_en});
  EXPECT_EQ(ids("санкции"), std::vector<std::string>{m_ru});
  EXPECT_EQ(ids("БАНКИ"), std::vector<std::string>{m_ru});
}

TEST_F(SearchTest, AllWordsAreRequired) {
  add_corpus();
  EXPECT_EQ(ids("sanctions Russia"), std::vector<std::string>{m_en});
  EXPECT_TRUE(ids("sanctions Pyongyang").empty());
}

TEST_F(SearchTest, TitleMatchesRankAboveBodyMatches) {
  add_corpus();
  const auto hits = ids("Pyongyang");
  ASSERT_EQ(hits.size(), 1u);
  const std::string body_only =
      add("https://en.example/9", "Weather", "It rained in Pyongyang today, and also later.", "en");
  const std::string in_title = add("https://en.example/10", "Pyongyang prepares",
                                   "The capital readied its streets for visitors.", "en");
  const auto ranked = ids("pyongyang");
  ASSERT_EQ(ranked.size(), 3u);
  EXPECT_TRUE(ranked[0] == in_title || ranked[0] == m_kim);
  EXPECT_EQ(ranked.back(), body_only);
}

TEST_F(SearchTest, PhraseNeedsTheWordsInOrder) {
  add_corpus();
  auto both = ids("Kim Jong Un");
  std::sort(both.begin(), both.end());
  std::vector<std::string> expected = {m_kim, m_scattered, m_en};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(both, expected);
  auto phrase = ids("\"Kim Jong Un\" welcomed");
  EXPECT_EQ(phrase, std::vector<std::string>{m_kim});
  phrase = ids("\"kim jong un\"");
  std::sort(phrase.begin(), phrase.end());
  expected = {m_kim, m_en};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(phrase, expected);
}

TEST_F(SearchTest, PrefixMatchesWordBeginnings) {
  add_corpus();
  EXPECT_EQ(ids("Sanktionsp*"), std::vector<std::string>{m_de});
  EXPECT_EQ(ids("pyong*"), std::vector<std::string>{m_kim});
  EXPECT_TRUE(ids("pyongx*").empty());
}

TEST_F(SearchTest, FiltersBySourceTopicLanguageAndDate) {
  add_corpus();
  const std::string ru2 =
      add("https://ru.example/2", "Россия и Корея", "Переговоры в Пхеньяне.", "ru", "ria", {}, 6);
  SearchQuery q;
  q.text = "росси*";
  auto all = ids(q);
  std::sort(all.begin(), all.end());
  std::vector<std::string> expected = {m_ru, ru2};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(all, expected);
  q.source = "tass";
  EXPECT_EQ(ids(q), std::vector<std::string>{m_ru});
  q.source.clear();
  q.topic = "russland";
  EXPECT_EQ(ids(q), std::vector<std::string>{m_ru});
  q.topic.clear();

  q.text = "russ*";  // Russland, Russia, Russian
  all = ids(q);
  EXPECT_EQ(all.size(), 3u);
  q.language = "DE";
  EXPECT_EQ(ids(q), std::vector<std::string>{m_de});
  q.language.clear();
  q.since = TimePoint(std::chrono::hours(24 * 20002));
  q.until = TimePoint(std::chrono::hours(24 * 20005));
  auto ranged = ids(q);
  std::sort(ranged.begin(), ranged.end());
  expected = {m_en, m_kim};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ranged, expected);
  q.until = TimePoint(std::chrono::hours(24 * 20004));  // exclusive
  EXPECT_EQ(ids(q), std::vector<std::string>{m_en});
}

TEST_F(SearchTest, LimitCutsTheRanking) {
  add_corpus();
  SearchQuery q;
  q.text = "kim";
  q.limit = 2;
  EXPECT_EQ(ids(q).size(), 2u);
}

TEST_F(SearchTest, SnippetHighlightsTheMatchedWords) {
  add_corpus();
  SearchQuery q;
  q.text = "Strafmaßnahmen Sanktionen";
  auto hits = m_store->search(q);
  ASSERT_TRUE(hits.has_value());
  ASSERT_EQ(hits->size(), 1u);
  const SearchHit& h = (*hits)[0];
  EXPECT_EQ(h.title, "EU beschließt neue Sanktionen gegen Russland");
  ASSERT_EQ(h.title_highlights.size(), 1u);
  EXPECT_EQ(h.title.substr(h.title_highlights[0].first,
                           h.title_highlights[0].second - h.title_highlights[0].first),
            "Sanktionen");
  std::vector<std::string> marked;
  for (const auto& [b, e] : h.snippet_highlights) marked.push_back(h.snippet.substr(b, e - b));
  EXPECT_EQ(marked, std::vector<std::string>{"Strafmaßnahmen"});
  EXPECT_NE(h.snippet.find("Banken und Reedereien"), std::string::npos);
  EXPECT_GT(h.score, 0);
}

TEST_F(SearchTest, DuplicatesAreNotIndexedTwice) {
  add_corpus();
  Article copy;
  copy.url = "https://copy.example/1";
  copy.title = "Summit in Pyongyang";
  copy.text = "Kim Jong Un welcomed the Russian president in Pyongyang on Wednesday.";
  copy.language = "en";
  auto outcome = m_store->put_article(copy, {});
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->duplicate, DuplicateKind::exact);
  EXPECT_EQ(ids("welcomed"), std::vector<std::string>{m_kim});
}

TEST_F(SearchTest, QueryWithoutWordsIsInvalid) {
  auto hits = m_store->search(SearchQuery{"  ?! ", {}, {}, {}, {}, {}, 10});
  ASSERT_FALSE(hits.has_value());
  EXPECT_EQ(hits.error().code, ErrorCode::invalid_argument);
}

TEST_F(SearchTest, SecondarySeesNewArticlesAfterCatchUp) {
  add_corpus();
  const auto reader = open_reader();
  ASSERT_TRUE(reader);
  EXPECT_TRUE(ids(*reader, "Sturmflut").empty());
  const std::string id = add("https://de.example/2", "Sturmflut an der Nordsee",
                             "Hamburg meldet eine schwere Sturmflut.", "de");
  ASSERT_TRUE(reader->catch_up().ok());
  EXPECT_TRUE(ids(*reader, "Sturmflut").empty()) << "postings are buffered until flush_index()";
  ASSERT_TRUE(m_store->flush_index().ok());
  ASSERT_TRUE(reader->catch_up().ok());
  EXPECT_EQ(ids(*reader, "Sturmflut"), std::vector<std::string>{id});
}

// The daemon's timer flushes only when a flush is due: a fresh buffer waits (so a fast ingest
// writes whole generations), one older than the age bound (2 s) is written.
TEST_F(SearchTest, FlushIfDueWritesTheBufferOnceItIsOldEnough) {
  const auto reader = open_reader();
  ASSERT_TRUE(reader);
  const std::string id = add("https://de.example/flut", "Sturmflut an der Nordsee",
                             "Hamburg meldet eine schwere Sturmflut.", "de");
  ASSERT_TRUE(m_store->flush_index_if_due().ok());
  ASSERT_TRUE(reader->catch_up().ok());
  EXPECT_TRUE(ids(*reader, "Sturmflut").empty()) << "a buffer younger than 2 s waits";
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  ASSERT_TRUE(m_store->flush_index_if_due().ok());
  ASSERT_TRUE(reader->catch_up().ok());
  EXPECT_EQ(ids(*reader, "Sturmflut"), std::vector<std::string>{id});
}

TEST_F(SearchTest, ArticlesOfAProcessKilledBeforeTheFlushAreIndexedAtOpen) {
#if defined(__SANITIZE_THREAD__)
  // A fork without exec from a threaded process (RocksDB's background threads) is unsupported
  // under ThreadSanitizer; the plain and ASan builds run this test.
  GTEST_SKIP() << "fork of a multi-threaded process under TSan";
#endif
  m_store.reset();
  const std::string path = (sandbox() / "db").string();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    StoreOptions options;
    options.path = path;
    auto store = Store::open(options);
    if (!store) _exit(2);
    Article a;
    a.url = "https://de.example/killed";
    a.title = "Deichbruch bei Husum";
    a.text = "Der Deich hielt der Sturmflut nicht stand.";
    a.language = "de";
    auto outcome = (*store)->put_article(a, {});
    // No destructor, no flush: like kill -9 right after the put was acknowledged.
    _exit(outcome.has_value() && outcome->stored ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  StoreOptions options;
  options.path = path;
  auto store = Store::open(options);
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  SearchQuery q;
  q.text = "Deichbruch";
  auto hits = (*store)->search(q);
  ASSERT_TRUE(hits.has_value());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].url, "https://de.example/killed");
}

// The postings buffer maps each thread's key ids to blocks once per key table; a key met by two
// tables (two writer threads, or one thread's table started afresh after 100,000 words) must
// still end in ONE block key: two puts of the same key in one batch would keep only the second.
TEST_F(SearchTest, ArticlesIndexedByTwoThreadsAndAcrossAKeyTableResetAreAllFound) {
  // Distinct letter-only words: w + base-26 digits.
  const auto word = [](std::size_t n) {
    std::string w = "w";
    do {
      w += static_cast<char>('a' + n % 26);
      n /= 26;
    } while (n > 0);
    return w;
  };
  const auto put = [&](const std::string& url, std::size_t first, std::size_t count) {
    Article a;
    a.url = url;
    a.title = "Lighthouse keepers report";
    std::string text = "lighthouse";
    for (std::size_t i = first; i < first + count; ++i) text += " " + word(i);
    a.text = text;
    a.language = "en";
    auto outcome = m_store->put_article(a, {});
    EXPECT_TRUE(outcome.has_value() && outcome->stored) << url;
    return a.id;
  };
  std::vector<std::string> expected;
  // 2 x 60,000 new words on this thread: the per-thread table starts again in between.
  expected.push_back(put("https://a.example/1", 0, 60000));
  const std::string second_big = put("https://a.example/2", 60000, 60000);
  expected.push_back(second_big);
  expected.push_back(put("https://a.example/3", 120000, 10));
  // Two more threads with their own tables.
  std::string t1, t2;
  std::thread first([&] { t1 = put("https://b.example/1", 200000, 10); });
  std::thread second([&] { t2 = put("https://c.example/1", 300000, 10); });
  first.join();
  second.join();
  expected.push_back(t1);
  expected.push_back(t2);
  ASSERT_TRUE(m_store->flush_index().ok());
  SearchQuery q;
  q.text = "lighthouse";
  q.limit = 10;
  auto got = ids(q);
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);
  q.text = word(60001);  // a word of the second big article only
  EXPECT_EQ(ids(q), std::vector<std::string>{second_big});
}

TEST(SearchQueryParse, WordsPhrasesAndPrefixes) {
  Analyzer analyzer;
  auto q = parse_query("Putin \"Kim Jong Un\" nord*", analyzer);
  ASSERT_TRUE(q.has_value());
  ASSERT_EQ(q->terms.size(), 5u);
  EXPECT_EQ(q->terms[0].norm, "putin");
  EXPECT_FALSE(q->terms[0].prefix);
  EXPECT_TRUE(q->terms[4].prefix);
  EXPECT_EQ(q->terms[4].norm, "nord");
  ASSERT_EQ(q->phrases.size(), 1u);
  EXPECT_EQ(q->phrases[0], (std::vector<std::size_t>{1, 2, 3}));
}

TEST(SearchRecords, PostingAndDocMetaRoundTrip) {
  const Posting p{2, 7, 345};
  auto back = decode_posting(encode_posting(p));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->title_tf, 2u);
  EXPECT_EQ(back->body_tf, 7u);
  EXPECT_EQ(back->length, 345u);
  DocMeta m;
  m.published = TimePoint(std::chrono::seconds(-100));
  m.fetched = TimePoint(std::chrono::seconds(1'780'000'000));
  m.source = "tass";
  m.language = "ru";
  m.topics = {"a", "b"};
  const std::string bytes = encode_doc_meta(m);
  auto mb = decode_doc_meta(bytes);
  ASSERT_TRUE(mb.has_value());
  EXPECT_EQ(mb->published, m.published);
  EXPECT_EQ(mb->fetched, m.fetched);
  EXPECT_EQ(mb->topics, m.topics);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(decode_doc_meta(bytes.substr(0, cut)).has_value()) << cut;
  }
}

TEST(SearchScore, Bm25PrefersRareTermsAndShortDocuments) {
  const Posting p{0, 1, 100};
  EXPECT_GT(bm25(p, 1, 1000, 100), bm25(p, 100, 1000, 100));
  EXPECT_GT(bm25(Posting{0, 1, 50}, 10, 1000, 100), bm25(Posting{0, 1, 400}, 10, 1000, 100));
  EXPECT_GT(bm25(Posting{1, 0, 100}, 10, 1000, 100), bm25(Posting{0, 1, 100}, 10, 1000, 100));
}

}  // namespace
}  // namespace newswatch::storage
