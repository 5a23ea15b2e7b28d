#include "storage/store.h"

#include "storage/records.h"

#include <random>

#include <gtest/gtest.h>

#include "tests/support/sandbox.h"

namespace newswatch::storage {
namespace {

class StoreTest : public testing::SandboxTest {
 protected:
  std::unique_ptr<Store> open_store(
      StoreOptions::Access access = StoreOptions::Access::read_write) {
    StoreOptions options;
    options.path = (sandbox() / "db").string();
    options.access = access;
    auto store = Store::open(options);
    EXPECT_TRUE(store.has_value()) << store.error().to_string();
    return store ? std::move(*store) : nullptr;
  }

  static Article make_article(const std::string& url, int minute) {
    Article a;
    a.url = url;
    a.canonical_url = url;
    a.source = "test";
    a.title = "Title " + url;
    a.text = "Body of " + url + "\n\nSecond paragraph.";
    a.fetched = TimePoint(std::chrono::minutes(28'000'000 + minute));
    a.published = a.fetched - std::chrono::hours(1);
    return a;
  }

  static OutboxRecord alert(const std::string& topic, const std::string& channel) {
    OutboxRecord r;
    r.topic = topic;
    r.channel = channel;
    r.created = TimePoint(std::chrono::seconds(1'700'000'000));
    return r;
  }
};

// Ids count up (docs/storage.md): each new story's id is one above the last, also across a
// restart (the high-water mark is stored with the articles).
TEST_F(StoreTest, ArticleIdsIncreaseAcrossRestarts) {
  std::vector<std::uint64_t> ids;
  for (int round = 0; round < 3; ++round) {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 5; ++i) {
      Article a = make_article(
          "https://example.org/r" + std::to_string(round) + "/" + std::to_string(i), i);
      auto outcome = store->put_article(a, {});
      ASSERT_TRUE(outcome.has_value()) << outcome.error().to_string();
      ASSERT_TRUE(outcome->stored);
      ASSERT_EQ(outcome->id.size(), 16u);
      // The record carries the id it was stored under (it is encoded before the id is known).
      auto stored = store->get_article(outcome->id);
      ASSERT_TRUE(stored.has_value() && stored->has_value());
      EXPECT_EQ((*stored)->id, outcome->id);
      ids.push_back(std::stoull(outcome->id, nullptr, 16));
    }
    // A duplicate is not stored and takes no id.
    Article copy = make_article("https://example.org/r" + std::to_string(round) + "/0", 0);
    auto dup = store->put_article(copy, {});
    ASSERT_TRUE(dup.has_value());
    EXPECT_FALSE(dup->stored);
  }
  ASSERT_EQ(ids.size(), 15u);
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_EQ(ids[i], ids[i - 1] + 1) << i;
  EXPECT_EQ(ids.front(), 1u);
}

TEST_F(StoreTest, StoresAndReadsBackAnArticle) {
  auto store = open_store();
  Article a = make_article("https://example.org/a", 1);
  a.topics = {"korea"};
  a.modified.reset();
  auto outcome = store->put_article(a, {});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().to_string();
  EXPECT_TRUE(outcome->stored);
  EXPECT_EQ(outcome->id.size(), 16u);
  auto back = store->get_article(outcome->id);
  ASSERT_TRUE(back.has_value());
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->title, a.title);
  EXPECT_EQ((*back)->text, a.text);
  EXPECT_EQ((*back)->published, a.published);
  EXPECT_FALSE((*back)->modified.has_value());
  EXPECT_EQ((*back)->topics, std::vector<std::string>{"korea"});
}

TEST_F(StoreTest, SecondPutOfSameUrlIsADuplicate) {
  auto store = open_store();
  Article a = make_article("https://example.org/a", 1);
  ASSERT_TRUE(store->put_article(a, {})->stored);
  Article b = make_article("https://example.org/a", 2);
  b.title = "changed";
  auto outcome = store->put_article(b, {});
  ASSERT_TRUE(outcome.has_value());
  EXPECT_FALSE(outcome->stored);
  EXPECT_EQ(outcome->id, a.id);
  EXPECT_EQ((*store->get_article(a.id))->title, a.title);
}

TEST_F(StoreTest, FetchedUrlAndCanonicalUrlBothDedup) {
  auto store = open_store();
  Article a = make_article("https://example.org/a", 1);
  a.url = "https://example.org/a?utm_source=feed";
  ASSERT_TRUE(store->put_article(a, {})->stored);
  EXPECT_TRUE(store->find_url("https://example.org/a?utm_source=feed")->has_value());
  EXPECT_TRUE(store->find_url("https://example.org/a")->has_value());
  EXPECT_FALSE(store->find_url("https://example.org/b")->has_value());
}

TEST_F(StoreTest, ListsNewestFirstWithPaging) {
  auto store = open_store();
  for (int i = 0; i < 5; ++i) {
    Article a = make_article("https://example.org/" + std::to_string(i), i);
    ASSERT_TRUE(store->put_article(a, {})->stored);
  }
  auto page = store->list_articles(2, 1);
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].url, "https://example.org/3");
  EXPECT_EQ((*page)[1].url, "https://example.org/2");
}

TEST_F(StoreTest, OutboxIsWrittenWithTheArticleAndDeliveredOnce) {
  auto store = open_store();
  Article a = make_article("https://example.org/a", 1);
  auto outcome = store->put_article(a, {alert("korea", "hook"), alert("russia", "hook")});
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->alerts_queued, 2u);
  auto pending = store->pending_alerts(10);
  ASSERT_TRUE(pending.has_value());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].article_id, a.id);
  EXPECT_EQ(store->count_pending_alerts().value(), 2u);

  OutboxRecord done = (*pending)[0];
  done.state = DeliveryState::delivered;
  ASSERT_TRUE(store->update_alert(done).ok());
  EXPECT_EQ(store->pending_alerts(10)->size(), 1u);
  EXPECT_EQ(store->count_pending_alerts().value(), 1u);
  EXPECT_EQ(store->alert_log(10)->size(), 1u);
  EXPECT_EQ(done.idempotency_key(), (*pending)[0].idempotency_key());
  EXPECT_EQ(done.idempotency_key().size(), 16u);
}

TEST_F(StoreTest, SurvivesReopen) {
  std::string id;
  {
    auto store = open_store();
    Article a = make_article("https://example.org/a", 1);
    ASSERT_TRUE(store->put_article(a, {alert("korea", "hook")})->stored);
    id = a.id;
    SourceState st;
    st.etag = "\"v7\"";
    st.consecutive_errors = 3;
    st.next_due = TimePoint(std::chrono::seconds(1'700'000'123));
    ASSERT_TRUE(store->put_source_state("tagesschau", st).ok());
  }
  auto store = open_store();
  EXPECT_TRUE(store->get_article(id)->has_value());
  EXPECT_EQ(store->pending_alerts(10)->size(), 1u);
  auto st = store->get_source_state("tagesschau");
  ASSERT_TRUE(st.has_value() && st->has_value());
  EXPECT_EQ((*st)->etag, "\"v7\"");
  EXPECT_EQ((*st)->consecutive_errors, 3u);
  EXPECT_EQ((*st)->next_due, TimePoint(std::chrono::seconds(1'700'000'123)));
}

TEST(SourceStateRecord, CountersRoundTripAndOlderRecordsStillRead) {
  SourceState st;
  st.etag = "\"v7\"";
  st.polls = 12;
  st.interval_ms = 90'000;
  st.first_poll = TimePoint(std::chrono::seconds(1'700'000'000));
  st.not_modified = 9;
  st.failures = 2;
  st.bytes = 123'456;
  st.latency_ms = 41;
  st.last_latency_ms = 37;
  auto back = decode_source_state(encode_source_state(st));
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->first_poll, st.first_poll);
  EXPECT_EQ(back->not_modified, 9u);
  EXPECT_EQ(back->failures, 2u);
  EXPECT_EQ(back->bytes, 123'456u);
  EXPECT_EQ(back->latency_ms, 41u);
  EXPECT_EQ(back->last_latency_ms, 37u);

  // A record written before the counters existed ends after interval_ms (6 bytes shorter when
  // the counters are zero): it reads with zero counters and its other fields intact.
  SourceState old = st;
  old.first_poll = TimePoint{};
  old.not_modified = old.failures = old.bytes = 0;
  old.latency_ms = old.last_latency_ms = 0;
  std::string bytes = encode_source_state(old);
  bytes.resize(bytes.size() - 6);
  auto read_old = decode_source_state(bytes);
  ASSERT_TRUE(read_old) << read_old.error().to_string();
  EXPECT_EQ(read_old->etag, "\"v7\"");
  EXPECT_EQ(read_old->polls, 12u);
  EXPECT_EQ(read_old->interval_ms, 90'000);
  EXPECT_EQ(read_old->not_modified, 0u);

  // Cut inside the counters: corruption, not silently zero.
  std::string cut = encode_source_state(st);
  cut.resize(cut.size() - 2);
  EXPECT_FALSE(decode_source_state(cut));
}

TEST_F(StoreTest, SecondaryReadsWhilePrimaryWrites) {
  auto primary = open_store();
  Article a = make_article("https://example.org/a", 1);
  ASSERT_TRUE(primary->put_article(a, {})->stored);
  auto reader = open_store(StoreOptions::Access::read_only);
  ASSERT_TRUE(reader);
  EXPECT_TRUE(reader->get_article(a.id)->has_value());
  Article b = make_article("https://example.org/b", 2);
  ASSERT_TRUE(primary->put_article(b, {})->stored);
  ASSERT_TRUE(reader->catch_up().ok());
  EXPECT_TRUE(reader->get_article(b.id)->has_value());
}

TEST_F(StoreTest, RefusesAForeignDirectory) {
  write_file("db/notes.txt", "my files");
  StoreOptions options;
  options.path = (sandbox() / "db").string();
  auto store = Store::open(options);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::corruption);
  EXPECT_NE(store.error().message.find("not a newswatch database"), std::string::npos);
  EXPECT_EQ(testing::read_file(sandbox() / "db/notes.txt"), "my files");
}

TEST_F(StoreTest, ReadOnlyOpenOfMissingDatabaseIsNotFound) {
  StoreOptions options;
  options.path = (sandbox() / "nothing").string();
  options.access = StoreOptions::Access::read_only;
  auto store = Store::open(options);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::not_found);
}

TEST(Records, ArticleRoundTripsAndTruncationIsCorruption) {
  Article a;
  a.id = "0123456789abcdef";
  a.title = "Пхеньян: Nordkorea";
  a.text = std::string(1000, 'x');
  a.published = TimePoint(std::chrono::seconds(-5));
  a.duplicate_urls = {"https://a", "https://b"};
  const std::string bytes = encode_article(a);
  auto back = decode_article(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->title, a.title);
  EXPECT_EQ(back->published, a.published);
  EXPECT_EQ(back->duplicate_urls, a.duplicate_urls);
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    auto broken = decode_article(bytes.substr(0, cut));
    EXPECT_FALSE(broken.has_value()) << cut;
  }
  std::string future = bytes;
  future[0] = 99;
  auto r = decode_article(future);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::corruption);

  // The id of an encoded record can be set afterwards; everything else stays.
  std::string patched = bytes;
  ASSERT_TRUE(set_article_id(patched, "00000000000000a7"));
  auto renamed = decode_article(patched);
  ASSERT_TRUE(renamed.has_value());
  EXPECT_EQ(renamed->id, "00000000000000a7");
  EXPECT_EQ(renamed->text, a.text);
  EXPECT_EQ(renamed->duplicate_urls, a.duplicate_urls);
  std::string unchanged = bytes;
  EXPECT_FALSE(set_article_id(unchanged, "short"));
  EXPECT_FALSE(set_article_id(future, "00000000000000a7"));
  EXPECT_EQ(unchanged, bytes);
  std::string source = encode_source_state(SourceState{});
  EXPECT_FALSE(set_article_id(source, "00000000000000a7"));
}

TEST(Records, LongArticlesAreCompressedAndADamagedBodyIsCorruption) {
  Article a;
  a.id = "00000000000003e8";
  a.url = "https://news.example/2026/11/icebreakers";
  a.canonical_url = a.url;
  a.source = "wire";
  a.title = "Icebreakers escort a convoy";
  a.language = "en";
  a.summary = "Three icebreakers will escort tankers.";
  for (int i = 0; i < 40; ++i) {
    a.text += "Paragraph " + std::to_string(i) +
              ": the harbour authority said the convoy of tankers would leave Murmansk. ";
  }
  a.published = TimePoint(std::chrono::seconds(1'780'000'000));
  a.fetched = TimePoint(std::chrono::seconds(1'780'000'100));
  a.topics = {"arctic"};
  a.duplicate_urls = {"https://mirror.example/a"};
  const std::string plain = encode_plain_article(a);
  const std::string packed = encode_article(a);
  ASSERT_GE(plain.size(), 2u);
  ASSERT_GE(packed.size(), 2u);
  EXPECT_EQ(plain[1], 1) << "plain article record";
  EXPECT_EQ(packed[1], 7) << "LZ4-compressed article record";
  EXPECT_LT(packed.size() * 3, plain.size()) << packed.size() << " of " << plain.size();
  for (const std::string* bytes : {&plain, &packed}) {
    auto back = decode_article(*bytes);
    ASSERT_TRUE(back.has_value()) << back.error().to_string();
    EXPECT_EQ(back->id, a.id);
    EXPECT_EQ(back->url, a.url);
    EXPECT_EQ(back->text, a.text);
    EXPECT_EQ(back->summary, a.summary);
    EXPECT_EQ(back->published, a.published);
    EXPECT_EQ(back->fetched, a.fetched);
    EXPECT_EQ(back->topics, a.topics);
    EXPECT_EQ(back->duplicate_urls, a.duplicate_urls);
    // Re-encoding a decoded record gives the same bytes.
    EXPECT_EQ(encode_article(*back), packed);
  }
  // Its id is patched in place as in a plain record.
  std::string patched = packed;
  ASSERT_TRUE(set_article_id(patched, "00000000000003e9"));
  auto renamed = decode_article(patched);
  ASSERT_TRUE(renamed.has_value());
  EXPECT_EQ(renamed->id, "00000000000003e9");
  EXPECT_EQ(renamed->text, a.text);

  // Short records, and records that would not shrink, stay plain.
  Article brief = a;
  brief.text = "Convoy leaves.";
  EXPECT_TRUE(encode_article(brief) == encode_plain_article(brief));
  Article noise;
  noise.id = a.id;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 3000; ++i) noise.text.push_back(static_cast<char>(rng()));
  EXPECT_TRUE(encode_article(noise) == encode_plain_article(noise));

  // Damage anywhere in the compressed body, or in its length, is corruption.
  const std::string_view id_field =
      "\x10"
      "00000000000003e8";
  const size_t length_at = packed.find(id_field) + id_field.size();
  ASSERT_EQ(length_at, 2 + id_field.size());
  for (size_t at = length_at; at < packed.size(); at += 11) {
    std::string damaged = packed;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x20);
    auto r = decode_article(damaged);
    ASSERT_FALSE(r.has_value()) << "byte " << at;
    EXPECT_EQ(r.error().code, ErrorCode::corruption);
  }
  std::string huge = packed.substr(0, length_at) + std::string("\xff\xff\xff\xff\x7f") +
                     packed.substr(length_at + 2);
  auto r = decode_article(huge);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("length"), std::string::npos) << r.error().to_string();
}

}  // namespace
}  // namespace newswatch::storage
