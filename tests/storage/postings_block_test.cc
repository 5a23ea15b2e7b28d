// Postings block encodings (storage/postings_block.h): the delta encoding of format 3 round
// trips and rejects malformed input, and a format-2 database (plain blocks, URL-hash ids) keeps
// working after the upgrade: old and new articles are found together, and purging an old article
// rewrites its plain blocks.
#include "storage/postings_block.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/metadata.h>
#include <rocksdb/write_batch.h>
#include <zstd.h>

#include <sys/wait.h>
#include <unistd.h>
#include <map>
#include <random>
#include <set>

#include "storage/fingerprint.h"
#include "storage/records.h"
#include "storage/store.h"
#include "tests/support/raw_db.h"
#include "tests/support/sandbox.h"

namespace newswatch::storage {
namespace {

struct Entry {
  std::uint64_t doc;
  Posting posting;
};

std::vector<Entry> read_all(std::string_view block, bool delta, bool& ok) {
  std::vector<Entry> out;
  BlockReader reader(block, delta);
  ok = true;
  while (!reader.done()) {
    Entry e{};
    if (!reader.next(e.doc, e.posting)) {
      ok = false;
      break;
    }
    out.push_back(e);
  }
  return out;
}

TEST(PostingsBlock, DeltaEntriesRoundTripFromSmallGapsToHashIds) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 50; ++round) {
    std::vector<Entry> entries;
    std::uint64_t doc = round % 2 == 0 ? 1 : rng() >> 1;
    for (int i = 0; i < 200; ++i) {
      // Counter ids (gaps of a few), then now and then a URL-hash id of format 2.
      const std::uint64_t gap = i % 37 == 36 ? (rng() >> 40) + 1 : rng() % 5 + 1;
      if (doc > UINT64_MAX - gap) break;
      doc += gap;
      entries.push_back({doc, Posting{static_cast<std::uint32_t>(rng() % 4),
                                      static_cast<std::uint32_t>(rng() % 300),
                                      static_cast<std::uint32_t>(rng() % 100000)}});
    }
    entries.push_back({UINT64_MAX, Posting{UINT32_MAX, UINT32_MAX, UINT32_MAX}});
    std::string block;
    DeltaBlockWriter writer(block);
    for (const auto& e : entries) ASSERT_TRUE(writer.add(e.doc, e.posting));
    bool ok = false;
    const auto back = read_all(block, true, ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(back.size(), entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      EXPECT_EQ(back[i].doc, entries[i].doc);
      EXPECT_EQ(back[i].posting.title_tf, entries[i].posting.title_tf);
      EXPECT_EQ(back[i].posting.body_tf, entries[i].posting.body_tf);
      EXPECT_EQ(back[i].posting.length, entries[i].posting.length);
    }
  }
}

TEST(PostingsBlock, CounterIdsTakeFarLessRoomThanPlainEntries) {
  std::string delta, plain;
  DeltaBlockWriter writer(delta);
  for (std::uint64_t doc = 1000; doc < 3000; doc += 3) {
    const Posting p{0, 2, 612};
    ASSERT_TRUE(writer.add(doc, p));
    append_block_entry(plain, doc, p);
  }
  // A one-byte gap, two one-byte counts and a two-byte length: 5 bytes against 12.
  EXPECT_LE(delta.size() * 2, plain.size());
}

TEST(PostingsBlock, WriterRefusesArticlesOutOfOrder) {
  std::string block;
  DeltaBlockWriter writer(block);
  ASSERT_TRUE(writer.add(10, Posting{1, 1, 5}));
  const std::string before = block;
  EXPECT_FALSE(writer.add(10, Posting{1, 1, 5}));
  EXPECT_FALSE(writer.add(9, Posting{1, 1, 5}));
  EXPECT_EQ(block, before);
  EXPECT_TRUE(writer.add(11, Posting{1, 1, 5}));
}

TEST(PostingsBlock, MalformedBlocksAreRejectedNotMisread) {
  std::string block;
  DeltaBlockWriter writer(block);
  for (std::uint64_t doc = 1; doc < 400; doc += 7)
    ASSERT_TRUE(writer.add(doc, Posting{0, 300, 70000}));
  // Every cut inside an entry is an error; a cut between entries is a shorter valid block.
  size_t errors = 0;
  for (size_t cut = 1; cut < block.size(); ++cut) {
    bool ok = false;
    const auto back = read_all(std::string_view(block).substr(0, cut), true, ok);
    if (!ok) ++errors;
    for (size_t i = 0; i < back.size(); ++i) EXPECT_EQ(back[i].doc, 1 + 7 * i);
  }
  EXPECT_GT(errors, block.size() / 2);
  // A zero gap would repeat an article; an unterminated varint runs off the end.
  std::string zero_gap;
  DeltaBlockWriter(zero_gap).add(5, Posting{1, 1, 1});
  zero_gap += std::string("\x00\x01\x01\x01", 4);
  bool ok = true;
  read_all(zero_gap, true, ok);
  EXPECT_FALSE(ok);
  read_all(std::string(11, '\xff'), true, ok);
  EXPECT_FALSE(ok);
  // Overflowing the article number.
  std::string overflow;
  DeltaBlockWriter(overflow).add(UINT64_MAX - 1, Posting{1, 1, 1});
  overflow += std::string("\x05\x01\x01\x01", 4);
  read_all(overflow, true, ok);
  EXPECT_FALSE(ok);
}

std::uint64_t be64_value(std::string_view b) {
  std::uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < b.size(); ++i) v = (v << 8) | static_cast<unsigned char>(b[i]);
  return v;
}

std::string be64_key(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(v & 0xFF);
  return out;
}

// The record format 5 wrote for the plain article record `plain`: its id as in the plain record,
// the length of the rest, and the rest as a zstd frame.
std::string zstd_record(const std::string& plain) {
  const size_t head = 2 + 1 + static_cast<unsigned char>(plain[2]);
  std::string out{plain[0], '\x06'};
  out.append(plain, 2, head - 2);
  for (std::uint64_t v = plain.size() - head;; v >>= 7) {
    out.push_back(static_cast<char>(v < 0x80 ? v : (v & 0x7F) | 0x80));
    if (v < 0x80) break;
  }
  std::string frame(ZSTD_compressBound(plain.size() - head), '\0');
  frame.resize(
      ZSTD_compress(frame.data(), frame.size(), plain.data() + head, plain.size() - head, 1));
  return out + frame;
}

// The format version `raw` records ("" when it records none or cannot be read).
std::string format_version(const testing::RawDb& raw) {
  std::string version;
  const auto s = raw.db()->Get(rocksdb::ReadOptions(), raw.db()->DefaultColumnFamily(),
                               "newswatch.format_version", &version);
  return s.ok() ? version : std::string();
}

// Rewrites a database of this build as an older one left it. Every older format: no postings
// watermarks (5-byte keys), the next block number under "newswatch.postings_block", and the
// article `unindexed` (a hex id) without postings but with an `unindexed` marker, as a process
// killed before its postings flush left it. Format 5: generations of 65,536 articles numbered
// from 0, zstd-compressed article records. Format 4: plain article records. Format 3: no generation
// prefix, no `copies` or `minhash` family (signatures under 'm' in fingerprints). Format 2: also
// plain blocks under block numbers without the delta bit.
void downgrade(const std::string& path, int format, const std::string& unindexed) {
  const auto raw = testing::RawDb::open(path, testing::RawDb::Access::read_write);
  ASSERT_TRUE(raw.ok()) << raw.error();
  rocksdb::WriteBatch batch;
  auto* meta = raw.family("default");
  ASSERT_NE(meta, nullptr);
  batch.Put(meta, "newswatch.format_version", std::to_string(format));
  {
    // Article records were zstd-compressed in format 5 (those of 512 bytes and more) and LZ4
    // frames in formats 6-9 until RocksDB took over compressing the family's blocks; plain
    // before format 5.
    size_t compressed = 0;
    auto* articles = raw.family("articles");
    ASSERT_NE(articles, nullptr);
    std::unique_ptr<rocksdb::Iterator> records(
        raw.db()->NewIterator(rocksdb::ReadOptions(), articles));
    for (records->SeekToFirst(); records->Valid(); records->Next()) {
      const std::string value = records->value().ToString();
      const std::string plain = encode_plain_article(decode_article(value).value());
      if (format == 5 && plain.size() >= 512) {
        batch.Put(articles, records->key(), zstd_record(plain));
        ++compressed;
      } else if (plain != value) {
        batch.Put(articles, records->key(), plain);
      }
    }
    if (format == 5) {
      ASSERT_GT(compressed, 0u) << "no article record to compress as format 5 did";
    }
  }
  const std::uint64_t victim = std::stoull(unindexed, nullptr, 16);
  auto* marker_family = raw.family("unindexed");
  ASSERT_NE(marker_family, nullptr);
  batch.Put(marker_family, be64_key(victim), "");
  size_t watermarks = 0, converted = 0, victim_entries = 0;
  std::uint64_t next_block = 0;
  auto* postings = raw.family("postings");
  ASSERT_NE(postings, nullptr);
  std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), postings));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string key = it->key().ToString();
    batch.Delete(postings, key);
    ASSERT_EQ(key[0], '\0') << "no generation prefix";
    if (key.size() == 5) {
      ASSERT_EQ(it->value().size(), 16u);
      next_block = std::max(next_block, be64_value(it->value().ToString().substr(8)));
      ++watermarks;
      continue;
    }
    ASSERT_TRUE(is_delta_block_key(key));
    ASSERT_GT(key.size(), 5u);
    bool ok = false;
    auto entries = read_all(it->value().ToString(), true, ok);
    ASSERT_TRUE(ok);
    ASSERT_FALSE(entries.empty());
    const auto before = entries.size();
    std::erase_if(entries, [&](const Entry& e) { return e.doc == victim; });
    victim_entries += before - entries.size();
    if (entries.empty()) continue;
    if (format >= 4) {
      const std::uint64_t generation = entries.front().doc >> 16;
      key.replace(1, 4, be64_key(generation).substr(4));
    } else {
      key.erase(0, 5);
    }
    std::string value;
    if (format == 2) {
      for (const auto& e : entries) append_block_entry(value, e.doc, e.posting);
      key[key.size() - 8] = static_cast<char>(key[key.size() - 8] & 0x7F);
    } else {
      DeltaBlockWriter writer(value);
      for (const auto& e : entries) ASSERT_TRUE(writer.add(e.doc, e.posting));
    }
    batch.Put(postings, key, value);
    ++converted;
  }
  it.reset();
  ASSERT_GT(watermarks, 0u);
  ASSERT_GT(converted, 0u);
  ASSERT_GT(victim_entries, 3u) << unindexed << " has no postings to take away";
  batch.Put(meta, "newswatch.postings_block", be64_key(next_block));
  if (format >= 4) {
    ASSERT_TRUE(raw.db()->Write(rocksdb::WriteOptions(), &batch).ok());
    return;
  }
  // MinHash signatures lived in fingerprints under 'm' + the 8-byte id.
  auto* minhash = raw.family("minhash");
  auto* fingerprints = raw.family("fingerprints");
  ASSERT_NE(minhash, nullptr);
  ASSERT_NE(fingerprints, nullptr);
  size_t signatures = 0;
  it.reset(raw.db()->NewIterator(rocksdb::ReadOptions(), minhash));
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++signatures) {
    batch.Put(fingerprints, "m" + it->key().ToString(), it->value());
  }
  ASSERT_GT(signatures, 0u);
  ASSERT_TRUE(raw.db()->Write(rocksdb::WriteOptions(), &batch).ok());
  it.reset();
  for (const char* name : {"copies", "minhash"}) {
    auto* family = raw.family(name);
    ASSERT_NE(family, nullptr);
    ASSERT_TRUE(raw.db()->DropColumnFamily(family).ok());
  }
}

// Long enough (30+ words) for a MinHash signature.
const char* const kLongReport =
    "The harbour authority in Murmansk said on Monday that three nuclear icebreakers would escort "
    "a convoy of tankers along the Northern Sea Route this winter, the first such convoy since "
    "the route was closed to foreign ships. Officials expect the voyage to take eleven days, "
    "weather permitting, and said the tankers carry liquefied gas bound for ports in China.";

class PostingsDbTest : public testing::SandboxTest {
 protected:
  std::string path() const { return (sandbox() / "db").string(); }

  std::unique_ptr<Store> open(StoreOptions::Access access = StoreOptions::Access::read_write) {
    StoreOptions o;
    o.path = path();
    o.access = access;
    o.expected_articles = 4096;
    auto store = Store::open(o);
    EXPECT_TRUE(store.has_value()) << store.error().to_string();
    return store ? std::move(*store) : nullptr;
  }

  static Article article(const std::string& slug, const std::string& text, int day) {
    Article a;
    a.url = "https://news.example/" + slug;
    a.title = "Report " + slug;
    a.text = text;
    a.language = "en";
    a.source = "wire";
    a.fetched = TimePoint(std::chrono::hours(24 * (20000 + day)));
    a.published = a.fetched;
    return a;
  }

  static std::vector<std::string> found(Store& store, const std::string& text) {
    SearchQuery q;
    q.text = text;
    q.limit = 10000;
    auto hits = store.search(q);
    EXPECT_TRUE(hits.has_value()) << hits.error().to_string();
    std::vector<std::string> ids;
    if (hits) {
      for (const auto& h : *hits) ids.push_back(h.id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }
};

class PostingsFormatTest : public PostingsDbTest, public ::testing::WithParamInterface<int> {};

// Format 2 (plain blocks, no generations), format 3 (delta blocks, no generations) and format 4
// (generations; all of them with plain article records).
TEST_P(PostingsFormatTest, OlderDatabaseIsReadUpgradedAndPurged) {
  std::vector<std::string> old_ids;
  std::string long_id, big_id, big_text;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 3; ++i) {
      Article a = article("old" + std::to_string(i),
                          "The harbour authority reported icebreakers number " + std::to_string(i) +
                              " near Murmansk.",
                          i);
      ASSERT_TRUE(store->put_article(a, {}).has_value());
      old_ids.push_back(a.id);
    }
    Article longer = article("old-long", kLongReport, 3);
    ASSERT_TRUE(store->put_article(longer, {}).has_value());
    long_id = longer.id;
    old_ids.push_back(longer.id);
    // Long enough to be stored compressed (downgrade() makes it plain again).
    std::string minutes;
    for (int i = 0; i < 30; ++i) {
      minutes += "Item " + std::to_string(i) + " of the river commission's minutes on sediment. ";
    }
    Article big = article("old-minutes", minutes, 2);
    ASSERT_TRUE(store->put_article(big, {}).has_value());
    big_id = big.id;
    big_text = minutes;
    std::sort(old_ids.begin(), old_ids.end());
    ASSERT_TRUE(store->flush_index().ok());
  }
  // The long report was stored, but the process was killed before its postings were written.
  downgrade(path(), GetParam(), long_id);
  {
    // A reader (the CLI) reads the older format as it is.
    auto reader = open(StoreOptions::Access::read_only);
    ASSERT_NE(reader, nullptr);
    auto indexed = old_ids;
    std::erase(indexed, long_id);
    EXPECT_EQ(found(*reader, "icebreakers"), indexed);
    auto minutes = reader->get_article(big_id);
    ASSERT_TRUE(minutes.has_value() && minutes->has_value());
    EXPECT_EQ((*minutes)->text, big_text);
  }
  std::string new_id;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    // The marked article was indexed at open.
    EXPECT_EQ(found(*store, "icebreakers murmansk"), old_ids);
    EXPECT_EQ(found(*store, "sediment"), std::vector<std::string>{big_id});
    // The near-duplicate index was rebuilt from the signatures where the old format kept them.
    std::string edited = kLongReport;
    edited.replace(edited.find("on Monday"), 9, "early on Monday");
    Article copy = article("copy-long", edited, 4);
    auto outcome = store->put_article(copy, {});
    ASSERT_TRUE(outcome.has_value());
    EXPECT_EQ(outcome->duplicate, DuplicateKind::near);
    EXPECT_EQ(outcome->id, long_id);
    Article a = article("new", "Two more icebreakers left Murmansk on Monday.", 10);
    ASSERT_TRUE(store->put_article(a, {}).has_value());
    new_id = a.id;
    auto all = old_ids;
    all.push_back(new_id);
    std::sort(all.begin(), all.end());
    EXPECT_EQ(found(*store, "icebreakers"), all);
    // Purging the five old stories rewrites (here: empties) their old blocks and takes their
    // signatures out of the near-duplicate index: the copy is a story of its own now.
    auto purged = store->purge(TimePoint(std::chrono::hours(24 * 20005)),
                               TimePoint(std::chrono::hours(24 * 20005)));
    ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
    EXPECT_EQ(*purged, 5u);
    EXPECT_EQ(found(*store, "icebreakers"), std::vector<std::string>{new_id});
    Article again = article("copy-long-2", edited, 6);
    outcome = store->put_article(again, {});
    ASSERT_TRUE(outcome.has_value());
    EXPECT_TRUE(outcome->stored);
    EXPECT_EQ(outcome->duplicate, DuplicateKind::none);
  }
  // The upgrade is recorded: the database now says format 9.
  const auto raw = testing::RawDb::open(path(), testing::RawDb::Access::read_only);
  ASSERT_TRUE(raw.ok()) << raw.error();
  EXPECT_EQ(format_version(raw), "9");
  EXPECT_NE(raw.family("copies"), nullptr);
  // The new article's postings went to a generation, the purged ones' old keys are gone.
  size_t generation_keys = 0, old_keys = 0;
  std::unique_ptr<rocksdb::Iterator> it(
      raw.db()->NewIterator(rocksdb::ReadOptions(), raw.family("postings")));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    (it->key()[0] == '\0' ? generation_keys : old_keys) += 1;
  }
  EXPECT_GT(generation_keys, 3u);
  EXPECT_EQ(old_keys, 0u);
  // No signature is left where the old format kept them.
  it.reset(raw.db()->NewIterator(rocksdb::ReadOptions(), raw.family("fingerprints")));
  for (it->Seek("m"); it->Valid() && it->key().starts_with("m"); it->Next()) {
    ADD_FAILURE() << "old signature left: " << it->key().ToString(true);
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, PostingsFormatTest, ::testing::Values(2, 3, 4, 5));

// Format 6 fingerprinted other word forms (lower case only, accents kept): opening a format-6
// database computes every story's exact hash and MinHash signature again. Here the stored ones
// are replaced by values that match nothing, as the old definition's would.
TEST_F(PostingsDbTest, Format6FingerprintsAreComputedAgain) {
  const std::string accented =
      "Der Bürgermeister von Pjöngjang, Herr Müller, eröffnete am Montag die neue Straße zum "
      "Hafen. Die Bauarbeiten dauerten drei Jahre und kosteten mehr als zwölf Millionen Euro, "
      "teilte die Stadtverwaltung mit. Anwohner begrüßten die Öffnung der Straße, Händler "
      "erwarten mehr Kundschaft im Viertel am Fluss.";
  std::string long_id, accented_id;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    Article report = article("report", kLongReport, 1);
    ASSERT_TRUE(store->put_article(report, {}).has_value());
    long_id = report.id;
    Article german = article("strasse", accented, 2);
    ASSERT_TRUE(store->put_article(german, {}).has_value());
    accented_id = german.id;
    ASSERT_TRUE(store->flush_index().ok());
  }
  size_t stale_exact = 0, stale_signatures = 0;
  {
    const auto raw = testing::RawDb::open(path(), testing::RawDb::Access::read_write);
    ASSERT_TRUE(raw.ok()) << raw.error();
    rocksdb::WriteBatch batch;
    batch.Put(raw.family("default"), "newswatch.format_version", "6");
    std::unique_ptr<rocksdb::Iterator> it(
        raw.db()->NewIterator(rocksdb::ReadOptions(), raw.family("fingerprints")));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string key = it->key().ToString();
      if (key.empty() || key[0] != 'x') continue;
      batch.Delete(raw.family("fingerprints"), key);
      key[8] = static_cast<char>(key[8] ^ 0x55);
      batch.Put(raw.family("fingerprints"), key, it->value());
      ++stale_exact;
    }
    it.reset(raw.db()->NewIterator(rocksdb::ReadOptions(), raw.family("minhash")));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      batch.Put(raw.family("minhash"), it->key(), std::string(k_minhash_bytes, '\x5A'));
      ++stale_signatures;
    }
    ASSERT_TRUE(it->status().ok());
    ASSERT_TRUE(raw.db()->Write(rocksdb::WriteOptions(), &batch).ok());
  }
  EXPECT_EQ(stale_exact, 2u);
  EXPECT_EQ(stale_signatures, 2u);
  {
    // A reader (the CLI) reads format 6 as it is.
    auto reader = open(StoreOptions::Access::read_only);
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(found(*reader, "icebreakers"), std::vector<std::string>{long_id});
  }
  {
    StoreOptions o;
    o.path = path();
    o.expected_articles = 4096;
    std::vector<std::string> notices;
    o.notice = [&notices](const std::string& line) { notices.push_back(line); };
    auto opened = Store::open(o);
    ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
    auto store = std::move(*opened);
    ASSERT_EQ(notices.size(), 2u);
    EXPECT_NE(notices[0].find("format 9"), std::string::npos) << notices[0];
    EXPECT_NE(notices[1].find(": 2 articles in"), std::string::npos) << notices[1];
    // An edited copy of the report is found through its recomputed signature.
    std::string edited = kLongReport;
    edited.replace(edited.find("on Monday"), 9, "early on Monday");
    Article copy = article("report-copy", edited, 3);
    auto outcome = store->put_article(copy, {});
    ASSERT_TRUE(outcome.has_value());
    EXPECT_EQ(outcome->duplicate, DuplicateKind::near);
    EXPECT_EQ(outcome->id, long_id);
    const auto replaced = [&](std::vector<std::pair<std::string, std::string>> pairs) {
      std::string text = accented;
      for (const auto& [from, to] : pairs) {
        for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
          text.replace(at, from.size(), to);
        }
      }
      return text;
    };
    // Transliterated ("ue" for "ü"), the words with ü get other normal forms: a near copy.
    Article near = article("strasse-ue", replaced({{"ü", "ue"}, {"ö", "o"}, {"ä", "a"}}), 4);
    outcome = store->put_article(near, {});
    ASSERT_TRUE(outcome.has_value());
    EXPECT_EQ(outcome->duplicate, DuplicateKind::near);
    EXPECT_EQ(outcome->id, accented_id);
    // Without its accents and with "ss" for "ß", from an outlet that strips them, the text has
    // the same normal forms: an exact copy.
    const std::string stripped =
        replaced({{"ü", "u"}, {"ö", "o"}, {"ä", "a"}, {"Ö", "O"}, {"ß", "ss"}});
    Article exact = article("strasse-plain", stripped, 5);
    outcome = store->put_article(exact, {});
    ASSERT_TRUE(outcome.has_value());
    EXPECT_EQ(outcome->duplicate, DuplicateKind::exact);
    EXPECT_EQ(outcome->id, accented_id);
  }
  const auto raw = testing::RawDb::open(path(), testing::RawDb::Access::read_only);
  ASSERT_TRUE(raw.ok()) << raw.error();
  EXPECT_EQ(format_version(raw), "9");
  // The stale entries are gone: one exact entry and one signature per story.
  size_t exact_entries = 0, signatures = 0;
  std::unique_ptr<rocksdb::Iterator> it(
      raw.db()->NewIterator(rocksdb::ReadOptions(), raw.family("fingerprints")));
  for (it->SeekToFirst(); it->Valid(); it->Next()) exact_entries += it->key().starts_with("x");
  it.reset(raw.db()->NewIterator(rocksdb::ReadOptions(), raw.family("minhash")));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++signatures;
    EXPECT_NE(it->value().ToString(), std::string(k_minhash_bytes, '\x5A'));
  }
  EXPECT_EQ(exact_entries, 2u);
  EXPECT_EQ(signatures, 2u);
}

// Format 6 numbers generations of 16,384 articles from this.
constexpr std::uint32_t kGenerationBase = 0x80000000;

// The postings keys of `term` by generation (the 4 bytes after the NUL mark, counted from
// kGenerationBase) -> article count.
std::map<std::uint32_t, size_t> generations_of(const std::string& path, const std::string& term) {
  std::map<std::uint32_t, size_t> out;
  testing::for_each_postings_block(
      path, [&](const std::string& key, const std::vector<testing::PostingsEntry>& entries) {
        if (key.size() != 5 + term.size() + 1 + 8 || key[0] != '\0' ||
            key.compare(5, term.size() + 1, term + '\0') != 0) {
          return;
        }
        std::uint32_t generation = 0;
        for (size_t b = 1; b < 5; ++b) {
          generation = (generation << 8) | static_cast<unsigned char>(key[b]);
        }
        out[generation - kGenerationBase] += entries.size();
      });
  return out;
}

// Article numbers 65,531 to 65,542 straddle the boundary between generations 3 and 4 (65,536):
// each generation gets its block, search and a reader find all of them, and purging the oldest
// empties generation 3's block.
TEST_F(PostingsDbTest, ArticlesAcrossAGenerationBoundaryAreIndexedSearchedAndPurged) {
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
  }
  {
    const auto raw = testing::RawDb::open(path(), testing::RawDb::Access::read_write);
    ASSERT_TRUE(raw.ok()) << raw.error();
    // The id high-water mark a database that stored 65,530 articles holds.
    const std::string last_id("\0\0\0\0\0\0\xff\xfa", 8);
    ASSERT_TRUE(raw.db()
                    ->Put(rocksdb::WriteOptions(), raw.db()->DefaultColumnFamily(),
                          "newswatch.last_id", last_id)
                    .ok());
  }
  std::vector<std::string> ids;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 12; ++i) {
      Article a = article("s" + std::to_string(i),
                          "Icebreakers number " + std::to_string(i) + " sailed from Murmansk.", i);
      ASSERT_TRUE(store->put_article(a, {}).has_value());
      ids.push_back(a.id);
    }
    ASSERT_TRUE(store->flush_index().ok());
    EXPECT_EQ(ids.front(), "000000000000fffb");
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(found(*store, "icebreakers murmansk"), ids);
  }
  EXPECT_EQ(generations_of(path(), "murmansk"), (std::map<std::uint32_t, size_t>{{3, 5}, {4, 7}}));
  {
    auto reader = open(StoreOptions::Access::read_only);
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(found(*reader, "murmansk"), ids);
    EXPECT_EQ(found(*reader, "murm*"), ids);
  }
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    auto purged = store->purge(TimePoint(std::chrono::hours(24 * 20006)),
                               TimePoint(std::chrono::hours(24 * 20006)));
    ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
    EXPECT_EQ(*purged, 6u);
    EXPECT_EQ(found(*store, "murmansk"), std::vector<std::string>(ids.begin() + 6, ids.end()));
  }
  EXPECT_EQ(generations_of(path(), "murmansk"), (std::map<std::uint32_t, size_t>{{4, 6}}));
}

// Search seeks every generation's key space for each index key: with stories in 17 generations,
// one- and two-word and prefix searches find exactly the stories that have the words, in every
// generation, through the primary and through a reader.
TEST_F(PostingsDbTest, SearchFindsStoriesInEveryOneOfManyGenerations) {
  constexpr int kGenerations = 17;
  std::vector<std::string> icebreaker_ids, both_ids, all_ids;
  for (int g = 0; g < kGenerations; ++g) {
    if (g == 0) {
      ASSERT_NE(open(), nullptr);  // creates the database
    }
    {
      // The next stories get numbers in generation g (16,384 articles each, store.cc).
      const auto raw = testing::RawDb::open(path(), testing::RawDb::Access::read_write);
      ASSERT_TRUE(raw.ok()) << raw.error();
      ASSERT_TRUE(raw.db()
                      ->Put(rocksdb::WriteOptions(), raw.db()->DefaultColumnFamily(),
                            "newswatch.last_id", be64_key(std::uint64_t(g) * 16384 + 7))
                      .ok());
    }
    auto store = open();
    ASSERT_NE(store, nullptr);
    const std::string n = std::to_string(g);
    Article a = article("ice" + n, "Icebreaker convoy " + n + " left Murmansk for the strait.", g);
    Article b = article("tug" + n, "Tugboat fleet " + n + " waited in Murmansk harbour.", g);
    Article c = article("brk" + n, "Icebreaker repairs " + n + " finished at the Baltic yard.", g);
    for (Article* x : {&a, &b, &c}) {
      auto outcome = store->put_article(*x, {});
      ASSERT_TRUE(outcome.has_value()) << outcome.error().to_string();
      ASSERT_TRUE(outcome->stored);
      all_ids.push_back(x->id);
    }
    icebreaker_ids.push_back(a.id);
    icebreaker_ids.push_back(c.id);
    both_ids.push_back(a.id);
  }
  std::sort(icebreaker_ids.begin(), icebreaker_ids.end());
  std::sort(both_ids.begin(), both_ids.end());
  EXPECT_EQ(generations_of(path(), "murmansk").size(), static_cast<size_t>(kGenerations));
  for (const auto access : {StoreOptions::Access::read_write, StoreOptions::Access::read_only}) {
    auto store = open(access);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(found(*store, "icebreaker"), icebreaker_ids);
    EXPECT_EQ(found(*store, "icebreaker murmansk"), both_ids);
    EXPECT_EQ(found(*store, "murmansk icebreaker"), both_ids);
    EXPECT_EQ(found(*store, "icebr* murmansk"), both_ids);
    EXPECT_EQ(found(*store, "icebreaker tugboat"), std::vector<std::string>{});
  }
}

// Index key (generation and block number cut off) -> how many entries each article has under it.
std::map<std::string, std::map<std::uint64_t, int>> entries_by_key(const std::string& path) {
  std::map<std::string, std::map<std::uint64_t, int>> out;
  testing::for_each_postings_block(
      path, [&](const std::string& key, const std::vector<testing::PostingsEntry>& entries) {
        for (const auto& e : entries) ++out[key.substr(5, key.size() - 5 - 9)][e.doc];
      });
  return out;
}

// Retention rewrites the purged stories' postings key by key in key order, stepping to the next
// key's blocks or seeking when they are far: with purged and kept stories mixed under the same
// keys, keys only purged stories had, and long runs of keys only kept stories have (so that
// both the steps and the seeks are taken), every entry of a purged story is gone and every entry
// of a kept one is left as it was.
TEST_F(PostingsDbTest, PurgeTakesOutExactlyThePurgedStoriesEntriesUnderEveryKey) {
  std::mt19937_64 rng(11);
  const auto syllables = [&rng](int n) {
    static const char* kParts[] = {"ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "ve", "zu"};
    std::string w;
    for (int i = 0; i < n; ++i) w += kParts[rng() % 10];
    return w;
  };
  std::vector<std::string> pool;
  for (int i = 0; i < 600; ++i) pool.push_back(syllables(4));
  std::set<std::uint64_t> purged_docs;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 300; ++i) {
      const bool purge = i % 3 == 0;
      std::string text = "Harbour report " + syllables(5) + " " + syllables(5) + ".";
      for (int w = 0; w < 25; ++w) text += " " + pool[rng() % pool.size()];
      // Words of kept stories only, all sorting together, and after them words of purged
      // stories only: a long run of keys without a purged entry between purged stories' keys.
      text +=
          purge ? " zzzpurged" + syllables(3) : " zzkept" + syllables(3) + " zzkept" + syllables(3);
      Article a = article("p" + std::to_string(i), text + ".", purge ? 1 : 3);
      auto outcome = store->put_article(a, {});
      ASSERT_TRUE(outcome.has_value()) << outcome.error().to_string();
      ASSERT_TRUE(outcome->stored) << "story " << i << " taken for a duplicate";
      if (purge) purged_docs.insert(std::stoull(a.id, nullptr, 16));
    }
    ASSERT_TRUE(store->flush_index().ok());
  }
  const auto before = entries_by_key(path());
  auto expected = before;
  size_t purged_entries = 0, emptied_keys = 0;
  for (auto it = expected.begin(); it != expected.end();) {
    for (std::uint64_t doc : purged_docs) purged_entries += it->second.erase(doc);
    if (it->second.empty()) {
      ++emptied_keys;
      it = expected.erase(it);
    } else {
      ++it;
    }
  }
  // The set-up has what the test is about.
  ASSERT_GT(purged_entries, 1000u);
  ASSERT_GT(emptied_keys, 100u);
  size_t kept_only = 0;
  for (const auto& [key, docs] : before) kept_only += key.starts_with("zzkept");
  ASSERT_GT(kept_only, 100u);
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    const TimePoint horizon(std::chrono::hours(24 * 20002));
    auto purged = store->purge(horizon, horizon);
    ASSERT_TRUE(purged.has_value()) << purged.error().to_string();
    EXPECT_EQ(*purged, purged_docs.size());
  }
  EXPECT_EQ(entries_by_key(path()), expected);
}

// A generation stored at full speed (1,100 articles, ids 31,668 to 32,767, then one of the next
// generation) is written as one table file at the bottom level: no compaction rewrites it. A
// process killed after that, with five more articles stored but not indexed, leaves them to the
// next open, which indexes exactly those: every article is found, each with one entry per key.
TEST_F(PostingsDbTest, AFullGenerationGoesToTheBottomLevelAndAKilledProcessLosesNoPostings) {
#if defined(__SANITIZE_THREAD__)
  // A fork without exec from a threaded process (RocksDB's background threads) is unsupported
  // under ThreadSanitizer; the plain and ASan builds run this test.
  GTEST_SKIP() << "fork of a multi-threaded process under TSan";
#endif
  constexpr int kFirst = 31668, kGeneration = 1100, kUnflushed = 5;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
  }
  {
    const auto raw = testing::RawDb::open(path(), testing::RawDb::Access::read_write);
    ASSERT_TRUE(raw.ok()) << raw.error();
    ASSERT_TRUE(raw.db()
                    ->Put(rocksdb::WriteOptions(), raw.db()->DefaultColumnFamily(),
                          "newswatch.last_id", be64_key(kFirst - 1))
                    .ok());
  }
  const auto text = [](int i) {
    return "Convoy " + std::to_string(i) + " of icebreakers left Murmansk with tankers number " +
           std::to_string(i * 7) + " and " + std::to_string(i * 13) + ".";
  };
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    StoreOptions o;
    o.path = path();
    auto store = Store::open(o);
    if (!store) _exit(2);
    // The generation in one call, so that no age bound can flush part of it however slow the
    // build (a buffer of 1,024 articles or more waits 8 s for its generation), then the rest.
    std::vector<PutRequest> batch;
    for (int i = 0; i < kGeneration + kUnflushed; ++i) {
      PutRequest r;
      r.article = article("c" + std::to_string(i), text(i), i % 30);
      batch.push_back(std::move(r));
      if (i + 1 == kGeneration || i + 1 == kGeneration + kUnflushed) {
        auto outcomes = (*store)->put_articles(batch);
        if (!outcomes) _exit(3);
        for (const auto& out : *outcomes) {
          if (!out.stored) _exit(4);
        }
        batch.clear();
      }
    }
    // No destructor, no flush: like kill -9 right after the puts were acknowledged.
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  {
    const auto raw = testing::RawDb::open(path(), testing::RawDb::Access::read_only);
    ASSERT_TRUE(raw.ok()) << raw.error();
    std::vector<rocksdb::LiveFileMetaData> files;
    raw.db()->GetLiveFilesMetaData(&files);
    const std::string generation("\0\x80\0\0\x01", 5);  // ids 16,384 to 32,767
    int bottom = 0, others = 0;
    for (const auto& f : files) {
      if (f.column_family_name != "postings") continue;
      if (f.smallestkey == generation && f.largestkey.starts_with(generation) && f.level == 6) {
        ++bottom;
      } else {
        ++others;
      }
    }
    EXPECT_EQ(bottom, 1) << "the generation's table file at the bottom level";
    EXPECT_EQ(others, 0) << "the killed process wrote no other postings";
  }
  std::vector<std::string> ids;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    ids = found(*store, "murmansk icebreakers");
    ASSERT_EQ(ids.size(), static_cast<size_t>(kGeneration + kUnflushed));
    EXPECT_EQ(ids.front(), "0000000000007bb4");  // 31,668
    EXPECT_EQ(found(*store, "convoy tankers"), ids);
  }
  const auto entries = entries_by_key(path());
  for (const char* key : {"murmansk", "icebreak", "convoy"}) {
    const auto docs = entries.find(key);
    ASSERT_NE(docs, entries.end()) << key;
    EXPECT_EQ(docs->second.size(), ids.size()) << key;
    for (const auto& [doc, count] : docs->second) EXPECT_EQ(count, 1) << key << " " << doc;
  }
  // Opened again: nothing is indexed twice.
  { ASSERT_NE(open(), nullptr); }
  EXPECT_EQ(entries_by_key(path()), entries);
}

}  // namespace
}  // namespace newswatch::storage
