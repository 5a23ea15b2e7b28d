// Duplicate detection inside Store::put_article: URL variants, exact copies, near copies, and
// distinct stories on one topic, against a real RocksDB directory.
#include <gtest/gtest.h>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "storage/postings_block.h"
#include "storage/records.h"
#include "storage/search.h"
#include "storage/store.h"
#include "tests/support/raw_db.h"
#include "tests/support/sandbox.h"

namespace newswatch::storage {
namespace {

// Three different stories on the same topic, written for these tests.
const char* const kVisit =
    "Russian President Vladimir Putin arrived in Pyongyang early on Wednesday for his first visit "
    "to North Korea in twenty-four years. Kim Jong Un greeted him at the airport before dawn, and "
    "the two leaders embraced on the tarmac as a military band played. State media said the "
    "leaders would sign a comprehensive strategic partnership covering trade, security and "
    "technology. Western governments fear the agreement could help Moscow obtain artillery shells "
    "for the war in Ukraine while Pyongyang receives help with its satellite programme. The "
    "Kremlin said the visit would last two days and include talks behind closed doors, a gala "
    "concert and a ceremony at the Liberation Tower. Analysts in Seoul said the welcome was the "
    "most lavish Kim has staged for any foreign guest since taking power in 2011.";

const char* const kSanctions =
    "South Korea summoned the Russian ambassador on Thursday after Moscow and Pyongyang signed a "
    "mutual defence pact during a visit by Vladimir Putin to North Korea. The foreign ministry in "
    "Seoul called the treaty a threat to regional stability and said it would review whether to "
    "send weapons to Ukraine, a step it has so far refused. Officials in Washington said they "
    "were studying the text and warned that any transfer of arms would breach United Nations "
    "resolutions. Japan joined the criticism and said it was coordinating new sanctions with its "
    "allies. Chinese diplomats declined to comment on the agreement but repeated that Beijing "
    "wants calm on the peninsula. Markets in Seoul fell slightly after the announcement.";

const char* const kAnalysis =
    "What does Kim Jong Un gain from hosting Vladimir Putin? For North Korea the summit ends "
    "years of isolation in which even Beijing kept its distance. Experts say Pyongyang wants "
    "food, oil and above all advanced military technology for submarines and reconnaissance "
    "satellites. Russia needs ammunition, and North Korean factories have shipped millions of "
    "shells since last autumn according to intelligence estimates. The partnership also lets "
    "both governments show their citizens that sanctions have failed to isolate them. Yet the "
    "relationship remains lopsided, and history suggests Moscow will drop its new friend once "
    "the fighting in Ukraine ends, a former diplomat who served in Pyongyang told reporters.";

class StoreDedupTest : public testing::SandboxTest {
 protected:
  std::unique_ptr<Store> open_store(std::size_t purge_slice = StoreOptions{}.purge_slice_stories,
                                    std::size_t forget_slice = StoreOptions{}.forget_slice_urls) {
    StoreOptions options;
    options.path = (sandbox() / "db").string();
    options.expected_articles = 4096;
    options.purge_slice_stories = purge_slice;
    options.forget_slice_urls = forget_slice;
    auto store = Store::open(options);
    EXPECT_TRUE(store.has_value()) << store.error().to_string();
    return store ? std::move(*store) : nullptr;
  }

  // Stores `count` distinct stories fetched a second apart from `first` (in batches of 256).
  void store_old_stories(Store& store, std::size_t count, TimePoint first) {
    std::vector<PutRequest> batch;
    for (std::size_t n = 0; n < count; ++n) {
      PutRequest r;
      r.article = article("https://example.com/old/" + std::to_string(n),
                          "Report " + std::to_string(n) + " on the harbour works, item " +
                              std::to_string(n * 7919) + ".");
      r.article.title = "Harbour report " + std::to_string(n);
      r.article.fetched = first + std::chrono::seconds(n);
      batch.push_back(std::move(r));
      if (batch.size() == 256 || n + 1 == count) {
        auto outcomes = store.put_articles(batch);
        ASSERT_TRUE(outcomes.has_value()) << outcomes.error().to_string();
        for (const auto& o : *outcomes) ASSERT_TRUE(o.stored);
        batch.clear();
      }
    }
  }

  // A purge's keep_going that, asked between slices, has another thread store a story and waits
  // for it: the put finishes only if the purge holds no lock between slices (it would wait for
  // the whole purge otherwise). Then it says stop. (The put's future lives here: waited for
  // inside the call, it would deadlock on a held lock.)
  struct PutBetweenSlices {
    explicit PutBetweenSlices(Store& s) : store(s) {}
    Store& store;
    int asked = 0;
    bool interleaved = false;
    std::future<Result<PutOutcome>> put;
    bool operator()() {
      ++asked;
      put = std::async(std::launch::async, [this] {
        Article a = article("https://example.com/between", kSanctions);
        return store.put_article(a, {});
      });
      interleaved = put.wait_for(std::chrono::seconds(20)) == std::future_status::ready &&
                    put.get().has_value();
      return false;
    }
  };

  static Article article(const std::string& url, const std::string& text,
                         const std::string& source = "wire") {
    Article a;
    a.url = url;
    a.canonical_url = url;
    a.source = source;
    a.title = "Putin in Pyongyang";
    a.text = text;
    a.fetched = TimePoint(std::chrono::seconds(1'780'000'000));
    return a;
  }

  static OutboxRecord alert() {
    OutboxRecord r;
    r.topic = "korea";
    r.channel = "hook";
    return r;
  }

  // Stores `a` and expects a new story.
  static std::string store_new(Store& store, Article a) {
    auto outcome = store.put_article(a, {alert()});
    EXPECT_TRUE(outcome.has_value()) << outcome.error().to_string();
    if (!outcome) return {};
    EXPECT_TRUE(outcome->stored) << a.url << " was a " << duplicate_kind_name(outcome->duplicate)
                                 << " duplicate of " << outcome->id;
    EXPECT_EQ(outcome->duplicate, DuplicateKind::none);
    return outcome->id;
  }

  // Stores `a`, expects a duplicate of `original` of `kind`, and checks that no alert was queued.
  static void expect_duplicate(Store& store, Article a, const std::string& original,
                               DuplicateKind kind) {
    const size_t pending_before = store.pending_alerts(100)->size();
    auto outcome = store.put_article(a, {alert()});
    ASSERT_TRUE(outcome.has_value()) << outcome.error().to_string();
    EXPECT_FALSE(outcome->stored) << a.url;
    EXPECT_EQ(outcome->id, original) << a.url;
    EXPECT_EQ(outcome->duplicate, kind)
        << a.url << " was " << duplicate_kind_name(outcome->duplicate);
    EXPECT_EQ(outcome->alerts_queued, 0u);
    EXPECT_EQ(a.duplicate_of, original);
    EXPECT_EQ(store.pending_alerts(100)->size(), pending_before);
  }
};

TEST_F(StoreDedupTest, UrlVariantsAreOneStory) {
  auto store = open_store();
  const std::string id =
      store_new(*store, article("https://www.example.com/world/putin-pyongyang", kVisit));
  for (const char* url : {
           "https://www.example.com/world/putin-pyongyang?utm_source=twitter&utm_medium=social",
           "http://www.example.com/world/putin-pyongyang",
           "https://example.com/world/putin-pyongyang/",
           "https://m.example.com/world/putin-pyongyang",
           "https://amp.example.com/world/putin-pyongyang",
           "https://www.example.com/world/putin-pyongyang/amp/",
           "https://www.example.com/world/putin-pyongyang?fbclid=abc#comments",
       }) {
    // Different text, so only the URL can make it a duplicate.
    Article copy = article(url, kSanctions);
    copy.canonical_url.clear();
    expect_duplicate(*store, copy, id, DuplicateKind::url);
  }
  EXPECT_EQ(store->stats()->articles, 1u);
  EXPECT_EQ(*store->find_url("HTTP://EXAMPLE.COM/world/putin-pyongyang?gclid=1"), id);
}

TEST_F(StoreDedupTest, ConfiguredTrackingParametersAreDropped) {
  StoreOptions options;
  options.path = (sandbox() / "db").string();
  options.expected_articles = 4096;
  options.canon.tracking_params.push_back("src");
  auto store = Store::open(options);
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  const std::string id = store_new(**store, article("https://example.com/a?src=rss", kVisit));
  expect_duplicate(**store, article("https://example.com/a?src=home", kSanctions), id,
                   DuplicateKind::url);
  store_new(**store, article("https://example.com/a?page=2", kAnalysis));
}

TEST_F(StoreDedupTest, PageCanonicalUrlJoinsTheStoryAndRecordsTheNewUrl) {
  auto store = open_store();
  const std::string id =
      store_new(*store, article("https://news.example.org/2026/06/19/putin-visit", kVisit));
  Article mirror = article("https://partner.example.net/story/8812", kSanctions, "partner");
  mirror.canonical_url = "https://news.example.org/2026/06/19/putin-visit";
  expect_duplicate(*store, mirror, id, DuplicateKind::url);
  auto original = store->get_article(id);
  ASSERT_TRUE(original.has_value() && original->has_value());
  EXPECT_EQ((*original)->duplicate_urls,
            std::vector<std::string>{"https://partner.example.net/story/8812"});
  // Now the mirror's own URL is known too.
  EXPECT_EQ(*store->find_url("https://partner.example.net/story/8812"), id);
}

TEST_F(StoreDedupTest, CanonicalPointingAtTheHomePageIsIgnored) {
  auto store = open_store();
  Article a = article("https://blog.example.org/posts/visit", kVisit);
  a.canonical_url = "https://blog.example.org/";
  store_new(*store, a);
  Article b = article("https://blog.example.org/posts/sanctions", kSanctions);
  b.canonical_url = "https://blog.example.org/";
  store_new(*store, b);
}

TEST_F(StoreDedupTest, ExactCopyWithOtherFormattingIsADuplicate) {
  auto store = open_store();
  const std::string id = store_new(*store, article("https://a.example/visit", kVisit));
  std::string reformatted = kVisit;
  for (auto& c : reformatted) {
    if (c == ' ') c = '\n';
  }
  reformatted = "  " + reformatted + "  ";
  expect_duplicate(*store, article("https://b.example/news/1", reformatted, "b"), id,
                   DuplicateKind::exact);
  auto original = store->get_article(id);
  ASSERT_TRUE(original.has_value() && original->has_value());
  EXPECT_EQ((*original)->duplicate_urls, std::vector<std::string>{"https://b.example/news/1"});
}

TEST_F(StoreDedupTest, SyndicatedCopyWithBoilerplateAndSmallEditIsANearDuplicate) {
  auto store = open_store();
  const std::string id = store_new(*store, article("https://wire.example/putin", kVisit));
  std::string edited = kVisit;
  edited.replace(edited.find("twenty-four"), 11, "24");
  edited.replace(edited.find("most lavish"), 11, "grandest");
  const std::string copy =
      "PYONGYANG (Agency) — Listen to this article. " + edited +
      "\n\nCopyright 2026 The Agency. All rights reserved. This material may not be published, "
      "broadcast, rewritten or redistributed. Sign up for our morning newsletter.";
  expect_duplicate(*store, article("https://paper.example/world/123", copy, "paper"), id,
                   DuplicateKind::near);
  // Truncated to its first two thirds, with another outlet's teaser.
  const std::string shorter = std::string(kVisit).substr(0, std::string(kVisit).size() * 2 / 3) +
                              " Read more: the best restaurants in town this summer.";
  expect_duplicate(*store, article("https://other.example/a/9", shorter, "other"), id,
                   DuplicateKind::near);
  EXPECT_EQ(store->stats()->articles, 1u);
}

TEST_F(StoreDedupTest, DistinctArticlesOnTheSameTopicStayDistinct) {
  auto store = open_store();
  const std::string boiler =
      " Listen to this article. Sign up for our morning newsletter. Copyright 2026 Example News.";
  std::set<std::string> ids;
  ids.insert(store_new(*store, article("https://example.com/1", kVisit + boiler)));
  ids.insert(store_new(*store, article("https://example.com/2", kSanctions + boiler)));
  ids.insert(store_new(*store, article("https://example.com/3", kAnalysis + boiler)));
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(store->pending_alerts(100)->size(), 3u);
}

TEST_F(StoreDedupTest, ShortTextsNeedTheSameTitleToBeExactCopies) {
  auto store = open_store();
  Article a = article("https://tv.example/clip/1", "Video abspielen. Dauer 2 Minuten.");
  a.title = "Bundestag beschließt Haushalt";
  store_new(*store, a);
  Article b = article("https://tv.example/clip/2", "Video abspielen. Dauer 2 Minuten.");
  b.title = "Sturm über Hamburg";
  store_new(*store, b);
}

TEST_F(StoreDedupTest, ReopenedStoreStillFindsAllKindsOfDuplicates) {
  std::string id;
  {
    auto store = open_store();
    id = store_new(*store, article("https://www.example.com/visit?utm_campaign=x", kVisit));
  }
  auto store = open_store();
  expect_duplicate(*store, article("http://example.com/visit", kSanctions), id, DuplicateKind::url);
  expect_duplicate(*store, article("https://copy.example/1", std::string(kVisit) + " "), id,
                   DuplicateKind::exact);
  std::string edited = kVisit;
  edited.replace(edited.find("early on Wednesday"), 18, "on Wednesday morning");
  expect_duplicate(*store, article("https://copy.example/2", "By Staff. " + edited), id,
                   DuplicateKind::near);
  store_new(*store, article("https://copy.example/3", kAnalysis));
}

TEST_F(StoreDedupTest, SecondaryCannotWrite) {
  auto primary = open_store();
  store_new(*primary, article("https://example.com/1", kVisit));
  StoreOptions options;
  options.path = (sandbox() / "db").string();
  options.access = StoreOptions::Access::read_only;
  auto reader = Store::open(options);
  ASSERT_TRUE(reader.has_value()) << reader.error().to_string();
  Article a = article("https://example.com/2", kAnalysis);
  auto outcome = (*reader)->put_article(a, {});
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, ErrorCode::invalid_argument);
}

TEST_F(StoreDedupTest, PurgeRemovesOldStoriesFromEveryIndex) {
  auto store = open_store();
  Article old_story = article("https://example.com/old", kVisit);
  old_story.fetched = TimePoint(std::chrono::seconds(1'700'000'000));
  const std::string old_id = store_new(*store, old_story);
  const std::string new_id = store_new(*store, article("https://example.com/new", kAnalysis));
  const TimePoint horizon(std::chrono::seconds(1'750'000'000));
  auto purged = store->purge(horizon, horizon);  // URLs forgotten with their stories
  ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
  EXPECT_EQ(*purged, 1u);
  EXPECT_FALSE(store->get_article(old_id)->has_value());
  EXPECT_TRUE(store->get_article(new_id)->has_value());
  EXPECT_FALSE(store->find_url("https://example.com/old")->has_value());
  SearchQuery q;
  q.text = "Liberation Tower";
  EXPECT_TRUE(store->search(q)->empty());
  q.text = "lopsided";
  EXPECT_EQ(store->search(q)->size(), 1u);
  EXPECT_EQ(store->stats()->articles, 1u);
  // Its copies are new stories again: no URL, exact or near match is left behind.
  store_new(*store, article("https://example.com/old", kVisit));
  EXPECT_EQ(store->stats()->purged_urls, 0u);
}

// Retention keeps the URLs and the exact-text hash of the stories it deletes until their own
// horizon: a feed that still lists a purged story, or an outlet that republishes its text at a
// new URL, does not bring it back as a new one, with a second alert.
TEST_F(StoreDedupTest, PurgedStoriesUrlsAndTextAreRememberedUntilForgotten) {
  const TimePoint old_fetch(std::chrono::seconds(1'700'000'000));
  const TimePoint before(std::chrono::seconds(1'750'000'000));
  std::string old_id, live_id;
  {
    auto store = open_store();
    Article old_story = article("https://example.com/old", kVisit);
    old_story.fetched = old_fetch;
    old_id = store_new(*store, old_story);
    Article copy = article("https://copy.example/old-visit", kVisit, "copier");
    copy.fetched = old_fetch;
    expect_duplicate(*store, copy, old_id, DuplicateKind::exact);
    live_id = store_new(*store, article("https://example.com/live", kAnalysis));
    const std::uint64_t urls_before = store->stats()->urls;

    auto purged = store->purge(before, old_fetch - std::chrono::hours(24));
    ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
    EXPECT_EQ(*purged, 1u);
    EXPECT_FALSE(store->get_article(old_id)->has_value());
    const auto st = store->stats();
    EXPECT_EQ(st->articles, 1u);
    EXPECT_EQ(st->urls, urls_before);  // every key kept
    EXPECT_EQ(st->purged_urls, 2u);    // the story's and its copy's
    EXPECT_EQ(st->purged_texts, 1u);   // the story's text (the copy had the same)
  }
  {
    auto store = open_store();  // remembered across a restart (the URL filter is filled at open)
    EXPECT_EQ(*store->find_url("https://example.com/old?utm_source=rss"), old_id);
    EXPECT_EQ(*store->find_url("https://copy.example/old-visit"), old_id);
    // Fetched again: a duplicate of the purged story; nothing stored, no alert queued.
    expect_duplicate(*store, article("https://example.com/old", kVisit), old_id,
                     DuplicateKind::purged);
    expect_duplicate(*store, article("https://copy.example/old-visit", kSanctions, "copier"),
                     old_id, DuplicateKind::purged);
    EXPECT_FALSE(store->get_article(old_id)->has_value());
    // At a stored story's URL too, the stored story wins.
    Article both = article("https://example.com/old", kAnalysis);
    both.canonical_url = "https://example.com/live";
    expect_duplicate(*store, both, live_id, DuplicateKind::url);
    EXPECT_EQ(store->stats()->articles, 1u);
    // Its text at a URL never seen (another case and punctuation: the same normal form) is the
    // purged story too; an edited text is not (its MinHash went with it).
    std::string shouted = kVisit;
    for (char& c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    Article republished = article("https://other.example/visit", shouted, "other");
    republished.fetched = old_fetch + std::chrono::hours(24);
    expect_duplicate(*store, republished, old_id, DuplicateKind::purged);
    // Its new URL is remembered with it, so a feed listing it is not fetched again and again.
    EXPECT_EQ(*store->find_url("https://other.example/visit"), old_id);
    EXPECT_EQ(store->stats()->purged_urls, 3u);
    const std::string edited_id =
        store_new(*store, article("https://other.example/visit-edited",
                                  std::string(kVisit) + " An editor added this closing sentence."));

    // A later purge whose URL horizon has passed the story's fetch time forgets them.
    auto purged = store->purge(before, before);
    ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
    EXPECT_EQ(*purged, 0u);
    EXPECT_FALSE(store->find_url("https://example.com/old")->has_value());
    EXPECT_FALSE(store->find_url("https://copy.example/old-visit")->has_value());
    EXPECT_FALSE(store->find_url("https://other.example/visit")->has_value());
    EXPECT_EQ(store->stats()->purged_urls, 0u);
    EXPECT_EQ(store->stats()->purged_texts, 0u);
    store_new(*store, article("https://copy.example/old-visit", kSanctions, "copier"));
    // Its text, forgotten, is no longer the purged story's: here it is the edited copy's.
    expect_duplicate(*store, article("https://third.example/visit", kVisit), edited_id,
                     DuplicateKind::near);
  }
}

// A large purge goes in slices and lets writers in between them; told to stop, it stops after
// the current slice and the next purge finishes the job.
TEST_F(StoreDedupTest, LargePurgeGoesInSlicesThatWritersCanInterleave) {
  constexpr std::size_t kSlice = 512;
  auto store = open_store(kSlice);
  const TimePoint old_fetch(std::chrono::seconds(1'700'000'000));
  constexpr std::size_t kOld = 3 * kSlice + 100;  // three slices and a bit
  store_old_stories(*store, kOld, old_fetch);
  if (HasFatalFailure()) return;
  const std::string live = store_new(*store, article("https://example.com/live", kAnalysis));
  const TimePoint before(std::chrono::seconds(1'750'000'000));

  // Between slices a writer gets the lock; told to stop, the purge stops there.
  PutBetweenSlices between(*store);
  auto purged = store->purge(before, before, [&between] { return between(); });
  ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
  EXPECT_EQ(between.asked, 1);
  EXPECT_TRUE(between.interleaved);
  EXPECT_EQ(*purged, kSlice);
  EXPECT_EQ(store->stats()->articles, kOld - *purged + 2);
  // The next purge goes on from there.
  auto rest = store->purge(before, before);
  ASSERT_TRUE(rest.has_value()) << rest.error().to_string();
  EXPECT_EQ(*purged + *rest, kOld);
  EXPECT_EQ(store->stats()->articles, 2u);
  EXPECT_TRUE(store->get_article(live)->has_value());
  EXPECT_FALSE(store->find_url("https://example.com/old/0")->has_value());
  EXPECT_FALSE(store->find_url("https://example.com/old/" + std::to_string(kOld - 1))->has_value());
}

// Forgetting remembered URLs goes in slices too: a writer gets in between, a draining daemon
// stops it, and the next purge forgets the rest.
TEST_F(StoreDedupTest, ForgettingRememberedUrlsGoesInSlicesThatWritersCanInterleave) {
  constexpr std::size_t kSlice = 100;
  auto store = open_store(8192, kSlice);
  const TimePoint old_fetch(std::chrono::seconds(1'700'000'000));
  constexpr std::size_t kOld = 450;
  store_old_stories(*store, kOld, old_fetch);
  if (HasFatalFailure()) return;
  const TimePoint before(std::chrono::seconds(1'750'000'000));
  // Purged, their URLs remembered.
  auto purged = store->purge(before, old_fetch);
  ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
  ASSERT_EQ(*purged, kOld);
  // Listed to be forgotten: every story's URLs and its text.
  const auto listed = [&store] {
    return store->stats()->purged_urls + store->stats()->purged_texts;
  };
  const std::uint64_t remembered = listed();
  ASSERT_GE(remembered, 2 * kOld);
  ASSERT_TRUE(store->find_url("https://example.com/old/0")->has_value());

  // Forgetting them all: the first pause lets a put from another thread in, then stops.
  PutBetweenSlices between(*store);
  purged = store->purge(before, before, [&between] { return between(); });
  ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
  EXPECT_EQ(*purged, 0u);
  EXPECT_EQ(between.asked, 1);
  EXPECT_TRUE(between.interleaved);
  EXPECT_EQ(listed(), remembered - kSlice);
  EXPECT_FALSE(store->find_url("https://example.com/old/0")->has_value());
  EXPECT_TRUE(store->find_url("https://example.com/old/" + std::to_string(kOld - 1))->has_value());
  // The next purge goes on through every slice.
  int asked = 0;
  purged = store->purge(before, before, [&] {
    ++asked;
    return true;
  });
  ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
  // A question between every two of the slices the rest takes.
  EXPECT_EQ(asked, static_cast<int>((remembered - kSlice + kSlice - 1) / kSlice) - 1);
  EXPECT_EQ(listed(), 0u);
  EXPECT_FALSE(store->find_url("https://example.com/old/" + std::to_string(kOld - 1))->has_value());
  EXPECT_EQ(store->stats()->articles, 1u);  // the one stored in between
}

// Retention only marks entries of the in-memory near-duplicate index as erased, and its key
// filters never drop a key; once the dead outnumber the live, both are built again, so a
// long-running daemon's memory follows its live stories instead of every story it ever stored.
TEST_F(StoreDedupTest, InMemoryIndexesShrinkAfterRetentionErasesMostOfThem) {
  auto store = open_store();
  std::mt19937 rng(11);
  const auto words = [&rng](std::size_t n) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) text += "w" + std::to_string(rng() % 5000) + " ";
    return text;
  };
  const TimePoint old_fetch(std::chrono::seconds(1'700'000'000));
  constexpr std::size_t kOld = 6000, kNew = 100;
  std::vector<PutRequest> batch;
  for (std::size_t n = 0; n < kOld + kNew; ++n) {
    PutRequest r;
    r.article = article("https://example.com/s/" + std::to_string(n), words(60));
    r.article.title = "Story " + std::to_string(n);
    if (n < kOld) r.article.fetched = old_fetch + std::chrono::seconds(n);
    batch.push_back(std::move(r));
    if (batch.size() == 250 || n + 1 == kOld + kNew) {
      auto outcomes = store->put_articles(batch);
      ASSERT_TRUE(outcomes.has_value()) << outcomes.error().to_string();
      for (const auto& o : *outcomes) ASSERT_TRUE(o.stored) << duplicate_kind_name(o.duplicate);
      batch.clear();
    }
  }
  ASSERT_TRUE(batch.empty());
  const auto full = store->stats();
  EXPECT_EQ(full->near_index_entries, kOld + kNew);
  const TimePoint before(std::chrono::seconds(1'750'000'000));
  auto purged = store->purge(before, before);
  ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
  ASSERT_EQ(*purged, kOld);
  const auto after = store->stats();
  EXPECT_EQ(after->near_index_entries, kNew);
  EXPECT_LT(after->near_index_bytes * 4, full->near_index_bytes)
      << full->near_index_bytes << " -> " << after->near_index_bytes;
  // And the URL and exact-hash filters, which never drop a key, are filled again.
  EXPECT_LT(after->key_filter_bytes * 4, full->key_filter_bytes)
      << full->key_filter_bytes << " -> " << after->key_filter_bytes;
  // The rebuilt index still finds the live stories' copies, and not the purged ones'.
  rng.seed(11);
  std::string first_old, first_new;
  for (std::size_t n = 0; n <= kOld; ++n) (n == 0 ? first_old : first_new) = words(60);
  expect_duplicate(*store, article("https://copy.example/new", first_new + "extra words here"),
                   *store->find_url("https://example.com/s/" + std::to_string(kOld)).value(),
                   DuplicateKind::near);
  store_new(*store, article("https://copy.example/old", first_old + "extra words here"));
}

// Formats 8 and 9 only add marks to `urls` and exact `fingerprints` values: a version-7 or -8
// database is read as it is and upgraded by writing the version, so that a build knowing only
// the older format refuses it afterwards.
TEST_F(StoreDedupTest, Formats7And8AreReadAndUpgradedInPlace) {
  const std::string path = (sandbox() / "db").string();
  std::string id;
  {
    auto store = open_store();
    id = store_new(*store, article("https://example.com/visit", kVisit));
  }
  const auto version = [&] {
    const auto raw = testing::RawDb::open(path, testing::RawDb::Access::read_only);
    std::string v;
    EXPECT_TRUE(raw.ok()) << raw.error();
    if (raw.ok()) {
      (void)raw.db()->Get(rocksdb::ReadOptions(), raw.family("default"), "newswatch.format_version",
                          &v);
    }
    return v;
  };
  EXPECT_EQ(version(), "9");
  {
    // Records are stored plain now (RocksDB compresses the family's blocks); formats 6-9 stored
    // them as LZ4 frames (tag 7), which every later build must still read: make this one so.
    const auto raw = testing::RawDb::open(path, testing::RawDb::Access::read_write);
    ASSERT_TRUE(raw.ok()) << raw.error();
    std::string value;
    ASSERT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), raw.family("articles"), id, &value).ok());
    const auto stored = decode_article(value);
    ASSERT_TRUE(stored.has_value()) << stored.error().to_string();
    EXPECT_EQ(value, encode_plain_article(*stored));
    const std::string framed = encode_article(*stored);
    ASSERT_LT(framed.size(), value.size()) << "the record is too short to be compressed";
    ASSERT_EQ(framed[1], '\x07');
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.family("articles"), id, framed).ok());
  }
  for (const char* older : {"7", "8"}) {
    SCOPED_TRACE(older);
    {
      const auto raw = testing::RawDb::open(path, testing::RawDb::Access::read_write);
      ASSERT_TRUE(raw.ok()) << raw.error();
      ASSERT_TRUE(raw.db()
                      ->Put(rocksdb::WriteOptions(), raw.family("default"),
                            "newswatch.format_version", older)
                      .ok());
    }
    {
      StoreOptions options;
      options.path = path;
      options.access = StoreOptions::Access::read_only;
      auto reader = Store::open(options);
      ASSERT_TRUE(reader.has_value()) << reader.error().to_string();
      const auto read = (*reader)->get_article(id);
      ASSERT_TRUE(read.has_value()) << read.error().to_string();
      ASSERT_TRUE(read->has_value());
      EXPECT_EQ((*read)->text, kVisit);
      EXPECT_EQ((*read)->title, "Putin in Pyongyang");
    }
    EXPECT_EQ(version(), older);  // a reader changes nothing
    {
      auto store = open_store();
      ASSERT_NE(store, nullptr);
      expect_duplicate(*store, article("https://example.com/visit?utm_source=rss", kVisit), id,
                       DuplicateKind::url);
    }
    EXPECT_EQ(version(), "9");
  }
}

// Index key -> article numbers with an entry under it, read from the postings column family of
// the closed database at `path`.
std::map<std::string, std::set<std::uint64_t>> postings_of(const std::string& path) {
  std::map<std::string, std::set<std::uint64_t>> out;
  testing::for_each_postings_block(
      path, [&](const std::string& key, const std::vector<testing::PostingsEntry>& entries) {
        auto& docs = out[key.substr(0, key.size() - 9)];
        for (const auto& e : entries) docs.insert(e.doc);
      });
  return out;
}

TEST_F(StoreDedupTest, PurgeRemovesThePostingsOfPurgedStories) {
  std::string old_id, new_id;
  {
    auto store = open_store();
    Article old_story = article("https://example.com/old", kVisit);
    old_story.fetched = TimePoint(std::chrono::seconds(1'700'000'000));
    old_id = store_new(*store, old_story);
    new_id = store_new(*store, article("https://example.com/new", kAnalysis));
  }
  const std::uint64_t old_doc = std::stoull(old_id, nullptr, 16);
  const std::uint64_t new_doc = std::stoull(new_id, nullptr, 16);
  const std::string path = (sandbox() / "db").string();
  size_t old_keys = 0, shared_keys = 0;
  const auto before = postings_of(path);
  for (const auto& [key, docs] : before) {
    old_keys += docs.count(old_doc);
    shared_keys += docs.count(old_doc) && docs.count(new_doc);
  }
  ASSERT_GT(old_keys, 50u);
  ASSERT_GT(shared_keys, 5u);  // "Pyongyang", "Kim", "Putin"...
  {
    auto store = open_store();
    const TimePoint horizon(std::chrono::seconds(1'750'000'000));
    auto purged = store->purge(horizon, horizon);
    ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
    ASSERT_EQ(*purged, 1u);
    SearchQuery q;
    q.text = "Kim Pyongyang";
    auto hits = store->search(q);
    ASSERT_TRUE(hits.has_value());
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ((*hits)[0].id, new_id);
  }
  std::set<std::uint64_t> left;
  size_t keys = 0;
  for (const auto& [key, docs] : postings_of(path)) {
    left.insert(docs.begin(), docs.end());
    keys += 1;
    EXPECT_FALSE(docs.empty()) << key << ": an empty block is deleted";
  }
  EXPECT_EQ(left, std::set<std::uint64_t>{new_doc});
  // The keys only the purged story had are gone.
  EXPECT_EQ(keys, before.size() - (old_keys - shared_keys));
}

TEST_F(StoreDedupTest, BackupIsAnOpenableCopy) {
  std::string id;
  {
    auto store = open_store();
    id = store_new(*store, article("https://example.com/1", kVisit));
    ASSERT_TRUE(store->backup((sandbox() / "backup").string()).ok());
    EXPECT_FALSE(store->backup((sandbox() / "backup").string()).ok()) << "existing target";
  }
  StoreOptions options;
  options.path = (sandbox() / "backup").string();
  auto copy = Store::open(options);
  ASSERT_TRUE(copy.has_value()) << copy.error().to_string();
  EXPECT_TRUE((*copy)->get_article(id)->has_value());
  SearchQuery q;
  q.text = "Pyongyang";
  EXPECT_EQ((*copy)->search(q)->size(), 1u);
  expect_duplicate(**copy, article("https://copy.example/x", kVisit), id, DuplicateKind::exact);
}

// "new", or the kind and the index of the request holding the original, per outcome.
std::string render_outcomes(const std::vector<PutOutcome>& outcomes,
                            const std::vector<PutRequest>& requests) {
  std::string out;
  for (const PutOutcome& o : outcomes) {
    if (!out.empty()) out += ' ';
    if (o.stored) {
      out += "new";
      continue;
    }
    out += std::string(duplicate_kind_name(o.duplicate)) + "->";
    for (size_t i = 0; i < requests.size(); ++i) {
      if (requests[i].article.id == o.id && requests[i].article.duplicate_of.empty()) {
        out += std::to_string(i);
        break;
      }
    }
  }
  return out;
}

TEST_F(StoreDedupTest, PutArticlesFindsCopiesWithinOneCall) {
  std::string edited = kVisit;
  edited.replace(edited.find("early on Wednesday"), 18, "on Wednesday morning");
  std::vector<PutRequest> batch;
  const auto add = [&](Article a) { batch.push_back(PutRequest{std::move(a), {alert()}}); };
  add(article("https://wire.example/visit", kVisit));
  add(article("https://wire.example/sanctions", kSanctions));
  add(article("https://wire.example/visit?utm_source=rss", kAnalysis));
  add(article("https://paper.example/s", std::string(kSanctions) + " "));
  add(article("https://other.example/v", "By Staff. " + edited));
  // The text of request 2, which was a URL copy and left no fingerprint behind.
  add(article("https://wire.example/analysis", kAnalysis));
  std::string visit_id, sanctions_id;
  {
    auto store = open_store();
    auto outcomes = store->put_articles(batch);
    ASSERT_TRUE(outcomes.has_value()) << outcomes.error().to_string();
    EXPECT_EQ(render_outcomes(*outcomes, batch), "new new url->0 exact->1 near->0 new");
    visit_id = batch[0].article.id;
    sanctions_id = batch[1].article.id;
    EXPECT_EQ(batch[4].article.duplicate_of, visit_id);
    EXPECT_EQ((*outcomes)[0].alerts_queued, 1u);
    EXPECT_EQ(store->pending_alerts(100)->size(), 3u);
    EXPECT_EQ(store->stats()->articles, 3u);
    EXPECT_GT(store->stats()->key_filter_bytes, 0u);
  }
  // The originals' new URLs were written with them, in the same batch.
  auto store = open_store();
  EXPECT_GT(store->stats()->key_filter_bytes, 0u);  // filled at open
  EXPECT_EQ((*store->get_article(visit_id))->duplicate_urls,
            std::vector<std::string>{"https://other.example/v"});
  EXPECT_EQ((*store->get_article(sanctions_id))->duplicate_urls,
            std::vector<std::string>{"https://paper.example/s"});
  EXPECT_EQ(*store->find_url("https://other.example/v"), visit_id);
  SearchQuery q;
  q.text = "Liberation Tower";
  auto hits = store->search(q);
  ASSERT_TRUE(hits.has_value());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].id, visit_id);
  expect_duplicate(*store, article("https://copy.example/1", kVisit), visit_id,
                   DuplicateKind::exact);
}

// Distinct texts: `words` words drawn from 3,000 generated ones, so unrelated texts share
// almost no shingles; each starts with a word of its own (`tag`).
std::string random_text(std::mt19937_64& rng, const std::string& tag, size_t words) {
  static const char* const syllables[] = {"ka", "lo",  "men", "tra", "vi", "sor", "pe", "dan",
                                          "ru", "ist", "ber", "gon", "al", "ne",  "tik"};
  std::string text = tag;
  for (size_t i = 0; i < words; ++i) {
    const std::uint64_t w = rng() % 3000;
    text += ' ';
    text += syllables[w % 15];
    text += syllables[(w / 15) % 15];
    text += syllables[(w / 225) % 15];
  }
  return text;
}

TEST_F(StoreDedupTest, PutArticlesDecidesAsSinglePutsDo) {
  std::mt19937_64 rng(11);
  std::vector<Article> articles;
  for (int i = 0; i < 40; ++i) {
    const int kind = i < 10 ? 0 : static_cast<int>(rng() % 4);
    if (kind == 0) {  // a new story
      articles.push_back(article("https://site.example/" + std::to_string(i),
                                 random_text(rng, "story" + std::to_string(i), 60)));
    } else {
      const Article& original = articles[rng() % articles.size()];
      Article copy = original;
      if (kind == 1) copy.url += "?utm_source=x";  // same story by URL
      if (kind >= 2) copy.url = "https://copy.example/" + std::to_string(i);
      if (kind == 3) copy.text = "By Staff. " + copy.text + " All rights reserved.";
      copy.canonical_url.clear();
      articles.push_back(copy);
    }
  }
  std::string singles, batched;
  std::vector<PutRequest> singles_requests, requests;
  {
    auto store = open_store();
    std::vector<PutOutcome> outcomes;
    for (const Article& a : articles) {
      Article copy = a;
      auto outcome = store->put_article(copy, {alert()});
      ASSERT_TRUE(outcome.has_value()) << outcome.error().to_string();
      outcomes.push_back(*outcome);
      singles_requests.push_back(PutRequest{copy, {}});
    }
    singles = render_outcomes(outcomes, singles_requests) + " | " +
              std::to_string(store->pending_alerts(100)->size()) + " alerts";
  }
  std::filesystem::remove_all(sandbox() / "db");
  auto store = open_store();
  std::vector<PutOutcome> outcomes;
  for (size_t begin = 0; begin < articles.size(); begin += 7) {
    std::vector<PutRequest> part;
    for (size_t i = begin; i < std::min(articles.size(), begin + 7); ++i) {
      part.push_back(PutRequest{articles[i], {alert()}});
    }
    auto out = store->put_articles(part);
    ASSERT_TRUE(out.has_value()) << out.error().to_string();
    outcomes.insert(outcomes.end(), out->begin(), out->end());
    requests.insert(requests.end(), part.begin(), part.end());
  }
  batched = render_outcomes(outcomes, requests) + " | " +
            std::to_string(store->pending_alerts(100)->size()) + " alerts";
  EXPECT_EQ(batched, singles);
  EXPECT_NE(singles.find("url->"), std::string::npos);
  EXPECT_NE(singles.find("exact->"), std::string::npos);
  EXPECT_NE(singles.find("near->"), std::string::npos);
}

TEST_F(StoreDedupTest, ConcurrentWritersStoreEachStoryOnce) {
  std::mt19937_64 rng(5);
  std::vector<Article> articles;
  for (int i = 0; i < 60; ++i) {
    articles.push_back(article("https://site.example/" + std::to_string(i),
                               random_text(rng, "uniq" + std::to_string(i) + "x", 50)));
  }
  auto store = open_store();
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  const auto writer = [&](bool reverse) {
    for (size_t n = 0; n < articles.size(); ++n) {
      Article a = articles[reverse ? articles.size() - 1 - n : n];
      if (!store->put_article(a, {alert()})) ++failures;
    }
  };
  std::thread flusher([&] {
    while (!done) {
      if (!store->flush_index().ok()) ++failures;
      std::this_thread::yield();
    }
  });
  std::thread a(writer, false), b(writer, true);
  a.join();
  b.join();
  done = true;
  flusher.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store->stats()->articles, articles.size());
  EXPECT_EQ(store->pending_alerts(1000)->size(), articles.size());
  // Every story is indexed exactly once.
  for (int i = 0; i < 60; i += 7) {
    SearchQuery q;
    q.text = "uniq" + std::to_string(i) + "x";
    auto hits = store->search(q);
    ASSERT_TRUE(hits.has_value());
    EXPECT_EQ(hits->size(), 1u) << q.text;
  }
}

// Turns a format-2 database into what format 1 left behind: raw URL keys, no fingerprints, no
// search index, version "1".
void downgrade_to_format_1(const std::string& path) {
  const auto raw = testing::RawDb::open(path, testing::RawDb::Access::read_write);
  ASSERT_TRUE(raw.ok()) << raw.error();
  rocksdb::WriteBatch batch;
  for (const char* name :
       {"urls", "fingerprints", "postings", "docs", "unindexed", "copies", "minhash"}) {
    auto* family = raw.family(name);
    if (!family) continue;
    std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), family));
    for (it->SeekToFirst(); it->Valid(); it->Next()) batch.Delete(family, it->key());
  }
  if (auto* urls = raw.family("urls")) {
    batch.Put(urls, "https://www.example.com/visit?utm_source=x",
              Store::legacy_article_id("https://www.example.com/visit"));
  }
  if (auto* meta = raw.family("default")) {
    batch.Put(meta, "newswatch.format_version", "1");
    batch.Delete(meta, "newswatch.search_stats");
  }
  ASSERT_TRUE(raw.db()->Write(rocksdb::WriteOptions(), &batch).ok());
}

TEST_F(StoreDedupTest, Format1DatabaseIsMigratedAtOpen) {
  std::string id;
  {
    auto store = open_store();
    id = store_new(*store, article("https://www.example.com/visit?utm_source=x", kVisit));
  }
  downgrade_to_format_1((sandbox() / "db").string());
  StoreOptions read_only;
  read_only.path = (sandbox() / "db").string();
  read_only.access = StoreOptions::Access::read_only;
  auto reader = Store::open(read_only);
  ASSERT_FALSE(reader.has_value());
  EXPECT_NE(reader.error().message.find("start the daemon once"), std::string::npos);

  auto store = open_store();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->find_url("http://example.com/visit"), id);
  SearchQuery q;
  q.text = "Liberation Tower";
  auto hits = store->search(q);
  ASSERT_TRUE(hits.has_value());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].id, id);
  expect_duplicate(*store, article("https://copy.example/1", kVisit), id, DuplicateKind::exact);
  std::string edited = kVisit;
  edited.replace(edited.find("early on Wednesday"), 18, "on Wednesday morning");
  expect_duplicate(*store, article("https://copy.example/2", edited), id, DuplicateKind::near);
  reader = Store::open(read_only);
  EXPECT_TRUE(reader.has_value());
}

// Copies found after a story was stored are recorded beside it (the `copies` family), never by
// rewriting its record: the record stays byte for byte as first written, while every reader
// (get_article, a secondary, a scan as export uses) sees the copies' URLs, across a restart;
// purging the story removes them with it.
TEST_F(StoreDedupTest, LaterCopiesAreRecordedBesideTheStoryAndPurgedWithIt) {
  const std::string path = (sandbox() / "db").string();
  const auto record_of = [&](const std::string& id) {
    const auto raw = testing::RawDb::open(path, testing::RawDb::Access::read_only);
    EXPECT_TRUE(raw.ok()) << raw.error();
    std::string value;
    if (raw.ok()) (void)raw.db()->Get(rocksdb::ReadOptions(), raw.family("articles"), id, &value);
    return value;
  };
  std::string id;
  {
    auto store = open_store();
    id = store_new(*store, article("https://wire.example/putin", kVisit));
  }
  const std::string first_record = record_of(id);
  ASSERT_FALSE(first_record.empty());
  const std::vector<std::string> copies = {"https://a.example/news/putin",
                                           "https://b.example/world/putin-visit"};
  {
    auto store = open_store();
    expect_duplicate(*store, article(copies[0], kVisit, "a"), id, DuplicateKind::exact);
    expect_duplicate(*store, article(copies[0] + "?utm_source=rss", kVisit, "a"), id,
                     DuplicateKind::url);
  }
  {
    auto store = open_store();
    expect_duplicate(*store, article(copies[1], kVisit, "b"), id, DuplicateKind::exact);
    EXPECT_EQ((*store->get_article(id))->duplicate_urls, copies);
  }
  EXPECT_EQ(record_of(id), first_record);
  {
    StoreOptions options;
    options.path = path;
    options.access = StoreOptions::Access::read_only;
    auto reader = Store::open(options);
    ASSERT_TRUE(reader.has_value()) << reader.error().to_string();
    EXPECT_EQ((*(*reader)->get_article(id))->duplicate_urls, copies);
  }
  auto store = open_store();
  std::vector<std::vector<std::string>> scanned;
  ASSERT_TRUE(store
                  ->scan_articles([&](const Article& a) {
                    scanned.push_back(a.duplicate_urls);
                    return true;
                  })
                  .ok());
  EXPECT_EQ(scanned, std::vector<std::vector<std::string>>{copies});
  const TimePoint horizon(std::chrono::seconds(1'780'000'001));
  auto purged = store->purge(horizon, horizon);
  ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
  EXPECT_EQ(*purged, 1u);
  EXPECT_FALSE(store->find_url(copies[1])->has_value());
  // Fetched again, a copy is a new story without the old one's URLs.
  const std::string again = store_new(*store, article(copies[1], kVisit, "b"));
  EXPECT_TRUE((*store->get_article(again))->duplicate_urls.empty());
}

}  // namespace
}  // namespace newswatch::storage
