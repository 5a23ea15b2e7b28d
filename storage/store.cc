#include "storage/store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "storage/analyzer.h"
#include "storage/fingerprint.h"
#include "storage/key_filter.h"
#include "storage/postings_block.h"
#include "storage/string_table.h"
#include "storage/url_canon.h"

namespace newswatch::storage {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFormatKey = "newswatch.format_version";
constexpr const char* kFormatVersion = "9";
constexpr const char* kSearchStatsKey = "newswatch.search_stats";

// Column families, in the order handles are kept.
enum Cf : size_t {
  kDefault = 0,   // meta: format version
  kArticles,      // id -> article record
  kTimeline,      // big-endian fetch time + id -> "" (listing newest first)
  kUrls,          // any URL a story was seen at -> id (kPurgedMark + id: a purged story's)
  kFingerprints,  // content fingerprints -> id
  kSources,       // source name -> poll state
  kOutbox,        // topic\x1Fid\x1Fchannel -> pending alert
  kAlerts,        // same key -> delivered or dead alert
  kPostings,      // \0 4-byte generation, index key \0 8-byte block number -> postings block
                  // (search; format 3 and before: no generation prefix); \0 4-byte
                  // generation -> watermark (format 6)
  kDocs,          // 8-byte id -> doc meta (search filters)
  kUnindexed,     // before format 6: 8-byte id -> "": stored, postings not yet written
  kCopies,        // id -> URLs the story was found at after it was stored (format 4)
  kMinHashes,     // 8-byte id -> MinHash::to_bytes() (format 4; before: in fingerprints)
  kCfCount
};
constexpr const char* kCfNames[kCfCount] = {
    "default", "articles", "timeline", "urls",      "fingerprints", "sources", "outbox",
    "alerts",  "postings", "docs",     "unindexed", "copies",       "minhash"};

// Before format 6: the number of the next postings block (now in the watermarks).
constexpr const char* kPostingsBlockKey = "newswatch.postings_block";
// The largest article id assigned so far (8 bytes big-endian), written with every batch that
// stores a story, so ids stay increasing across restarts and clock steps back.
constexpr const char* kLastIdKey = "newswatch.last_id";
// Retention keeps the URL keys of the stories it deletes, valued kPurgedMark + id (ids are hex
// digits), so that a feed or index page still listing such a story does not bring it back as a
// new one and alert it again; find_url and put_article see them as known. Each is listed under
// kPurgedUrlPrefix + 8-byte big-endian fetch time of its story + dedup key (format 8) until a
// purge forgets the URLs of stories fetched before a later horizon. Format 9 keeps the exact-text
// hash of such a story the same way (its `fingerprints` value marked, listed under the same
// prefix with kPurgedTextListing + its fingerprints key in place of a dedup key, which never
// starts with a NUL byte), so the same text at a URL never seen is not a new story either.
constexpr char kPurgedMark = '-';
constexpr std::string_view kPurgedUrlPrefix = "newswatch.purged_url\x1F";
constexpr char kPurgedTextListing = '\0';
// New article ids count up from 1 (docs/storage.md): keys by id then arrive in increasing order,
// so RocksDB appends new table files after the old ones instead of rewriting whole levels in
// every compaction (random URL-hash ids made compaction ~40% of ingest CPU at a million
// articles), and postings blocks store the gap between article numbers in a byte or two.
// Buffered postings are written when the articles reach a new generation (then those of the
// older ones), or once this many articles or postings (16 bytes each, ~300 per article) or this
// much time has gathered. A generation boundary is the usual trigger at full-speed ingest (the
// bounds sit above one generation's worth), the age bound at a daemon's usual pace. Each flush
// writes one block per index key it has seen, so larger flushes write fewer keys per article:
// 2,000 -> 8,000 articles took ~15% off the CPU per article at full-speed ingest.
constexpr std::size_t kFlushArticles = 32768;
constexpr std::size_t kFlushPostings = 12'000'000;
// Flushes of at least this many articles go to the database as a table file of their own
// (Impl::ingest_postings) instead of through the WAL and the memtable.
constexpr std::size_t kIngestArticles = 1024;
// Where a flush builds that file, inside the database directory (RocksDB links it in from there
// and ignores the name otherwise).
constexpr const char* kIngestFileName = "newswatch-postings.ingest";
// Retention rewrites the postings blocks of the purged stories' index keys in key order, and
// steps this many blocks forward to the next one before it seeks instead.
constexpr int kPurgeSteps = 16;
// The least number of erased near-duplicate index entries, or of keys deleted since the key
// filters were filled, worth building them again (see purge_slice).
constexpr std::size_t kNearRebuildErased = 4096;
constexpr auto kFlushAge = std::chrono::seconds(2);
// Except that a buffer of kIngestArticles or more (ingest faster than ~500 articles/s) waits for
// its generation to fill up, up to this age: cut in two by the age bound, a generation is
// written as two table files that overlap, and compactions merge them again.
constexpr auto kFlushAgeLarge = std::chrono::seconds(8);

// Fingerprint keys: 'x' + 8-byte exact text hash -> id; before format 4 also 'm' + 8-byte id ->
// MinHash::to_bytes(), which now has its own family: its keys arrive in increasing order and
// move down the levels untouched, while the exact-hash keys are random and every compaction of
// the family rewrote the signatures with them (write amplification ~12 at a million articles).
constexpr char kExactPrefix = 'x';
constexpr char kMinHashPrefix = 'm';

// Texts with fewer words get no near-duplicate check (unreliable, docs/dedup.md) and their exact
// hash covers the title too, so two different stories with one stock sentence stay apart.
constexpr std::uint32_t kMinNearWords = 30;

Error from_rocks(const rocksdb::Status& s, const std::string& what) {
  const ErrorCode code = s.IsCorruption() ? ErrorCode::corruption
                         : s.IsNotFound() ? ErrorCode::not_found
                         : s.IsIOError()  ? ErrorCode::io_error
                         : s.IsNoSpace()  ? ErrorCode::io_error
                                          : ErrorCode::io_error;
  return make_error(code, what + ": " + s.ToString());
}

std::string be64(std::uint64_t v) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i) {
    key[static_cast<size_t>(i)] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  return key;
}

std::uint64_t read_be64(std::string_view b) {
  std::uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < b.size(); ++i) v = (v << 8) | static_cast<unsigned char>(b[i]);
  return v;
}

// Postings generations: every postings key starts with kGenerationMark and the 4-byte big-endian
// generation of its articles. New postings then only ever land in the newest generation's key
// range, so a compaction merges them with that generation's blocks instead of rewriting the
// postings of every article ever stored (index keys are words: each flush touches the whole key
// range). Format 6 numbers generations of 16,384 articles from kGenerationBase, and a flush at
// full speed holds exactly one generation: its blocks go to the database as one table file that
// overlaps no other (Impl::ingest_postings), which RocksDB places at the bottom level, where no
// compaction ever rewrites it. Formats 4 and 5 numbered generations of 65,536 articles from 0,
// with several flushes each; those keys stay where they are and are read the same way. Keys
// written before format 4 have no prefix (an index key never starts with a NUL byte). Search
// seeks each generation once per index key (62 at a million articles).
constexpr char kGenerationMark = '\0';
constexpr unsigned kGenerationShift = 14;
constexpr std::uint32_t kGenerationBase = 0x80000000;
constexpr unsigned kFormat4GenerationShift = 16;
constexpr std::uint32_t kLastGeneration = 0xFFFFFFFF;
constexpr size_t kGenerationPrefixSize = 5;

std::uint32_t generation_of(std::uint64_t doc) {
  return kGenerationBase + static_cast<std::uint32_t>(std::min<std::uint64_t>(
                               doc >> kGenerationShift, kLastGeneration - kGenerationBase - 1));
}

// The generation formats 4 and 5 put article `doc` in (ids of formats 1 and 2, URL hashes, all
// fell into the last one).
std::uint32_t format4_generation_of(std::uint64_t doc) {
  return static_cast<std::uint32_t>(
      std::min<std::uint64_t>(doc >> kFormat4GenerationShift, kLastGeneration));
}

std::string generation_prefix(std::uint32_t generation) {
  std::string out(1, kGenerationMark);
  out.append(be64(generation), 4, 4);
  return out;
}

// A generation's prefix alone is the key of its watermark (format 6): 8-byte article number up
// to which every stored article is indexed, then the 8-byte number of the next postings block.
// It is written with the postings of every flush, in the same batch or table file, so the
// postings family alone says how far indexing got (Impl::recover_postings).
constexpr size_t kWatermarkSize = 16;

// The key spaces of the postings family: "" when keys written before format 4 are left (they
// sort after every generation's), then the prefix of each generation present. Generations of
// format 6 up to the one of `last_id` (the last article number handed out) hold articles unless
// retention purged them all, so from the first one present on they are listed without a seek;
// the others (formats 4 and 5, URL-hash ids past the last id) are found with one seek each.
Result<std::vector<std::string>> postings_spaces(rocksdb::Iterator& it, std::uint64_t last_id) {
  std::vector<std::string> out;
  const char after_generations = kGenerationMark + 1;
  it.Seek(rocksdb::Slice(&after_generations, 1));
  if (it.Valid()) out.emplace_back();
  const std::uint32_t dense_last = generation_of(last_id);
  for (it.Seek(rocksdb::Slice(&kGenerationMark, 1)); it.Valid();) {
    const auto key = it.key();
    if (key.size() < kGenerationPrefixSize || key[0] != kGenerationMark) break;
    std::uint32_t generation = 0;
    for (size_t i = 1; i < kGenerationPrefixSize; ++i) {
      generation = (generation << 8) | static_cast<unsigned char>(key[i]);
    }
    std::uint32_t last = generation;
    if (generation >= kGenerationBase && generation <= dense_last) last = dense_last;
    for (std::uint64_t g = generation; g <= last; ++g) {
      out.push_back(generation_prefix(static_cast<std::uint32_t>(g)));
    }
    if (last == kLastGeneration) break;
    it.Seek(generation_prefix(last + 1));
  }
  if (!it.status().ok()) return from_rocks(it.status(), "reading postings generations");
  return out;
}

// The smallest key above every key that starts with `prefix` ("" when there is none).
std::string after_prefix(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

// Article ids are hex64 of a hash; other strings (never written by this build) are hashed.
std::uint64_t id_number(std::string_view id) {
  std::uint64_t v = 0;
  if (id.size() != 16) return stable_hash64(id);
  for (char c : id) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return stable_hash64(id);
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}

// A dedup key whose path is only "/": a site's home page.
bool is_root_key(std::string_view key) {
  const size_t slash = key.find('/');
  return slash != std::string_view::npos && slash + 1 == key.size();
}

std::string timeline_key(TimePoint t, std::string_view id) {
  std::string key(8, '\0');
  auto v = static_cast<std::uint64_t>(t.time_since_epoch().count());
  for (int i = 7; i >= 0; --i) {
    key[static_cast<size_t>(i)] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  key.append(id);
  return key;
}

// The `default` key that lists a purged story's URL key (`family` kUrls) or exact-text hash
// (kFingerprints) by its fetch time until it is forgotten; with an empty `key`, where the
// listings of stories fetched at `fetched` begin.
std::string purged_listing_key(TimePoint fetched, Cf family, std::string_view key) {
  std::string listing(kPurgedUrlPrefix);
  listing += timeline_key(fetched,
                          family == kFingerprints ? std::string_view(&kPurgedTextListing, 1) : "");
  listing += key;
  return listing;
}

// What a purged_listing_key() names: the family and key of the remembered entry.
struct PurgedListing {
  Cf family = kUrls;
  std::string_view key;
};
std::optional<PurgedListing> parse_purged_listing(std::string_view listing) {
  const std::size_t at = kPurgedUrlPrefix.size() + 8;
  if (listing.size() <= at || !listing.starts_with(kPurgedUrlPrefix)) return std::nullopt;
  // A dedup key, or kPurgedTextListing + the `fingerprints` key of an exact-text hash.
  if (listing[at] == kPurgedTextListing)
    return PurgedListing{kFingerprints, listing.substr(at + 1)};
  return PurgedListing{kUrls, listing.substr(at)};
}

// The `fingerprints` key of an exact-text hash.
std::string exact_key(std::uint64_t exact) { return std::string(1, kExactPrefix) + be64(exact); }

// Whether a `urls` (or, format 9, exact `fingerprints`) value names a story that retention
// deleted.
bool purged_url_value(std::string_view value) {
  return !value.empty() && value.front() == kPurgedMark;
}

// The id in a `urls` value, purged or not.
std::string_view url_value_id(std::string_view value) {
  return purged_url_value(value) ? value.substr(1) : value;
}

// Postings blocks being gathered, by index key. A key is hashed once per flush (then found by its
// id); a std::unordered_map<std::string, std::string> hashing every key of every posting was the
// largest single cost of put_article.
class PendingPostings {
 public:
  // Gathers the postings of `docs` documents: doc_at(i) returns the article number of document i
  // and its DocTerms, in increasing number. Two passes over the postings, a counting sort: the
  // first counts the entries of every key, the second writes each to its key's run of one array
  // (a slot known in advance). Appending each entry to its own block string instead cost three
  // dependent cache misses per posting (the writer, the string, its bytes): a third of a flush.
  template <typename DocAt>
  void build(size_t docs, DocAt&& doc_at) {
    clear();
    m_ordered = true;
    // The key-id map of a document's key table (one per thread's table; consecutive documents
    // usually share it, so the last one found is kept at hand).
    const IndexKeys* last_keys = nullptr;
    std::vector<std::uint32_t>* last_map = nullptr;
    const auto id_map = [&](const IndexKeys* keys) -> std::vector<std::uint32_t>& {
      if (last_map == nullptr || keys != last_keys) {
        last_keys = keys;
        last_map = &m_id_maps[keys];  // unordered_map values stay where they are
      }
      return *last_map;
    };
    m_docs.resize(docs);
    std::size_t total = 0;
    for (size_t i = 0; i < docs; ++i) {
      const auto [number, terms] = doc_at(i);
      if (i > 0 && number <= m_docs[i - 1].number) m_ordered = false;
      m_docs[i] = Doc{number, terms->length};
      std::vector<std::uint32_t>& ids = id_map(terms->keys.get());
      for (const TermFrequency& t : terms->terms) {
        if (t.id >= ids.size()) ids.resize(t.id + 1, 0);
        std::uint32_t& slot = ids[t.id];
        if (slot == 0) {
          bool inserted = false;
          const std::uint32_t k = m_keys.intern(*t.key, StringTable::hash_of(*t.key), inserted);
          if (inserted) m_counts.push_back(0);
          slot = k + 1;
        }
        ++m_counts[slot - 1];
      }
      total += terms->terms.size();
    }
    // Runs are laid out in key order, so that for_each_sorted reads the entries and writes the
    // blocks front to back: keys sorted here, each document's key slots renumbered to their
    // key's rank. (Runs in the order keys were first seen made for_each_sorted jump to a random
    // run for every key; the flush's own share of a 100k profile went 4.62% -> 3.97%.)
    m_order.resize(m_keys.size());
    for (std::uint32_t i = 0; i < m_order.size(); ++i) m_order[i] = i;
    std::sort(m_order.begin(), m_order.end(),
              [&](std::uint32_t x, std::uint32_t y) { return m_keys.key(x) < m_keys.key(y); });
    std::vector<std::uint32_t> rank(m_order.size());
    for (std::uint32_t r = 0; r < m_order.size(); ++r) rank[m_order[r]] = r;
    for (auto& [keys, ids] : m_id_maps) {
      for (std::uint32_t& slot : ids) {
        if (slot != 0) slot = rank[slot - 1] + 1;
      }
    }
    // The run of the key of rank r is [m_ends[r] - count, m_ends[r]); m_ends[r] moves from the
    // run's start to its end as the second pass fills it.
    m_ends.assign(m_order.size(), 0);
    for (std::uint32_t k = 0; k < m_order.size(); ++k) m_ends[rank[k]] = m_counts[k];
    std::uint32_t start = 0;
    for (std::uint32_t& end : m_ends) {
      const std::uint32_t count = end;
      end = start;
      start += count;
    }
    // The entries' array of the last build is kept for the next one unless it is more than
    // twice what this one needs: at full-speed ingest every generation needs about as much
    // (~40 MB), and a new array each time came back from the kernel as fresh pages, zeroed on
    // first touch (page faults and zeroing were ~4% of a 1M run's samples); after a burst the
    // next, smaller flush gives it back.
    if (m_entries.capacity() / 2 > total) std::vector<Entry>().swap(m_entries);
    m_entries.resize(total);
    for (size_t i = 0; i < docs; ++i) {
      const auto [number, terms] = doc_at(i);
      const std::vector<std::uint32_t>& ids = id_map(terms->keys.get());
      for (const TermFrequency& t : terms->terms) {
        m_entries[m_ends[ids[t.id] - 1]++] =
            Entry{static_cast<std::uint32_t>(i), t.title_tf, t.body_tf};
      }
    }
    m_id_maps.clear();
  }

  // False when build() was given documents out of increasing order (a bug: entries would be lost).
  bool ordered() const { return m_ordered; }

  // Calls fn(key, block) in key order, each block delta-encoded (postings_block.h).
  template <typename Fn>
  void for_each_sorted(Fn&& fn) {
    std::string block;
    for (std::uint32_t r = 0; r < m_order.size(); ++r) {
      // Room for the longest entries, written through a pointer: appending each entry to the
      // string was a tenth of a flush.
      const std::uint32_t first = r == 0 ? 0 : m_ends[r - 1];
      if (block.size() < (m_ends[r] - first) * DeltaBlockWriter::k_max_entry) {
        block.resize((m_ends[r] - first) * DeltaBlockWriter::k_max_entry);
      }
      DeltaBlockWriter writer(block);
      char* const begin = block.data();
      char* at = begin;
      for (std::uint32_t e = first; e < m_ends[r]; ++e) {
        const Entry& entry = m_entries[e];
        const Doc& doc = m_docs[entry.doc];
        // Documents increase within a run (build() checked their order).
        char* const end =
            writer.write(at, doc.number, Posting{entry.title_tf, entry.body_tf, doc.length});
        if (end != nullptr) at = end;
      }
      fn(m_keys.key(m_order[r]), std::string_view(begin, static_cast<std::size_t>(at - begin)));
    }
  }

  // Forgets the gathered postings. The entries' array keeps its memory for the next build(),
  // which gives it back when it needs much less.
  void clear() {
    m_keys.clear();
    m_counts.clear();
    m_order.clear();
    m_ends.clear();
    m_entries.clear();
    m_docs.clear();
  }

 private:
  struct Doc {
    std::uint64_t number = 0;
    std::uint32_t length = 0;
  };
  // One posting: its document (an index into m_docs) and counts (TermFrequency's 16 bits).
  struct Entry {
    std::uint32_t doc = 0;
    std::uint16_t title_tf = 0;
    std::uint16_t body_tf = 0;
  };
  static_assert(sizeof(Entry) == 8);

  bool m_ordered = true;
  StringTable m_keys;
  std::vector<std::uint32_t> m_counts;  // by key index: its entries
  std::vector<std::uint32_t> m_order;   // key indices in key order
  std::vector<std::uint32_t> m_ends;    // by key rank: the end of its run in m_entries
  std::vector<Entry> m_entries;         // grouped by key in key order, by document within a key
  std::vector<Doc> m_docs;
  // Per key table of the documents: key id -> key index + 1 (0: not looked up yet).
  std::unordered_map<const IndexKeys*, std::vector<std::uint32_t>> m_id_maps;
};

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer builds only. Debian's RocksDB is not instrumented, so TSan does not see the
// acquire on a function-local static's guard inside it. BlockBasedTable keeps a static set of
// built-in filter names, built by whichever thread opens the first table file with a Bloom
// filter; when two of DB::Open's table-loading threads get there together, the second one's
// lookup in the set is reported as a race with the first one's construction of it (a TSan CI run
// of session 14; reproduced by opening a database whose filtered family has a dozen table files:
// 26 reports in 150 opens under load, none in 150 with this). Opening one small filtered table file
// on the opening thread, before any RocksDB thread exists, builds that set there.
void build_rocksdb_statics_first(const rocksdb::BlockBasedTableOptions& filtered) {
  static std::once_flag once;
  std::call_once(once, [&filtered] {
    rocksdb::BlockBasedTableOptions table = filtered;
    table.block_cache.reset();
    rocksdb::Options options;
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    const fs::path file =
        fs::temp_directory_path() / ("newswatch-tsan-" + std::to_string(::getpid()) + ".sst");
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options);
    if (writer.Open(file.string()).ok() && writer.Put("k", "v").ok() && writer.Finish().ok()) {
      rocksdb::SstFileReader reader(options);
      (void)reader.Open(file.string());
    }
    std::error_code ec;
    fs::remove(file, ec);
  });
}
#endif

}  // namespace

struct Store::Impl {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  StoreOptions options;
  std::string secondary_dir;
  rocksdb::WriteOptions write_options;
  // Serialises put_article's check-then-write so two workers cannot store one story twice; also
  // guards near_index and the search counters below.
  std::mutex put_mutex;
  Analyzer analyzer;
  std::unique_ptr<NearDupIndex> near_index;  // primary only
  // Every URL key in `urls` and every exact hash in `fingerprints`, as far as Store::open read
  // them and put_articles wrote them since (primary only; guarded by put_mutex). A key they do
  // not hold is absent: the dedup decision asks RocksDB only about the others.
  KeyFilter url_filter, exact_filter;
  bool key_filters = false;  // filled
  // Keys retention deleted since the filters were filled: they stay in them as "maybe" (purge
  // fills the filters again once these are half of what they hold).
  std::uint64_t filter_deletes = 0;
  std::uint64_t search_docs = 0;  // articles in the search index
  // Article ids: the last one handed out (any thread, before put_mutex), and the largest one
  // written to kLastIdKey (under put_mutex).
  std::atomic<std::uint64_t> last_id{0};
  // The in-memory indexes' sizes as of the last write, for memory() (note_memory()).
  std::atomic<std::uint64_t> near_index_bytes{0};
  std::atomic<std::uint64_t> key_filter_bytes{0};
  std::uint64_t written_last_id = 0;
  std::uint64_t search_length = 0;  // their summed lengths in words
  // Stored articles whose postings are not written yet, with their terms. Writing one block per
  // key and flush instead of one key per (term, article) makes ingest several times faster
  // (docs/storage.md); the watermark makes it crash-safe: Store::open indexes the stored
  // articles above it again. Guarded by put_mutex.
  struct PendingDoc {
    std::uint64_t doc = 0;  // article number
    DocTerms terms;
    bool marker = false;  // has an `unindexed` marker (stored before format 6) to delete
  };
  std::vector<PendingDoc> pending_docs;
  std::size_t pending_postings = 0;  // terms of pending_docs
  std::chrono::steady_clock::time_point pending_since{};
  // Serialises postings flushes, which build and write blocks outside put_mutex so that other
  // writers go on meanwhile; guards next_block and block_builder. Taken before put_mutex, never
  // while holding it.
  std::mutex flush_mutex;
  std::uint64_t next_block = 0;
  // Every stored article up to this number is indexed (the watermark). Guarded by flush_mutex.
  std::uint64_t indexed_through = 0;
  // The postings family's options, for the table files of Impl::ingest_postings.
  rocksdb::Options postings_file_options;
  // Serialises read-modify-writes of alert records (delivery marks, also-reported notes).
  std::mutex alert_mutex;
  PendingPostings block_builder;

  ~Impl() {
    if (db && secondary_dir.empty()) {
      std::lock_guard lock(flush_mutex);
      (void)flush_postings();
      // Writing the memtables out now makes the next start skip the WAL replay.
      rocksdb::FlushOptions fo;
      (void)db->Flush(fo, cfs);
    }
    for (auto* h : cfs) {
      if (h && db) db->DestroyColumnFamilyHandle(h);
    }
    db.reset();
    if (!secondary_dir.empty()) {
      std::error_code ec;
      fs::remove_all(secondary_dir, ec);
    }
  }

  rocksdb::ColumnFamilyHandle* cf(Cf c) const { return cfs[c]; }

  // A new article id: one above every id handed out before (kLastIdKey survives restarts).
  // Taken under put_mutex for each new story, so ids follow the order batches are written. Ids of
  // articles stored by builds before format 3 are URL hashes, spread over all 64 bits: a counter
  // meets one with the same odds as two hashes colliding.
  std::uint64_t next_article_id() { return last_id.fetch_add(1, std::memory_order_relaxed) + 1; }

  // True when no column family holds a key: a database whose creation was interrupted (the
  // process killed between RocksDB's create and the format-version write) looks like this.
  bool is_empty() const {
    for (auto* handle : cfs) {
      if (handle == nullptr) continue;
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handle));
      it->SeekToFirst();
      if (it->Valid()) return false;
    }
    return true;
  }

  Result<std::optional<std::string>> get(Cf c, std::string_view key) const {
    if (cf(c) == nullptr) return std::optional<std::string>();  // family of a newer format
    std::string value;
    const auto s =
        db->Get(rocksdb::ReadOptions(), cf(c), rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return from_rocks(s, "read");
    return std::optional<std::string>(std::move(value));
  }

  // Adds the URLs in `urls` that `a` does not list yet.
  static void merge_copies(Article& a, std::vector<std::string> urls) {
    for (std::string& u : urls) {
      if (std::find(a.duplicate_urls.begin(), a.duplicate_urls.end(), u) ==
          a.duplicate_urls.end()) {
        a.duplicate_urls.push_back(std::move(u));
      }
    }
  }

  // The same for the URLs of `copies` (a `copies` value).
  static Status add_copies(Article& a, std::string_view copies) {
    auto urls = decode_url_list(copies);
    if (!urls) return urls.error();
    merge_copies(a, std::move(*urls));
    return Status();
  }

  // The URLs of copies of story `id` found after it was stored (none without a `copies` entry).
  Result<std::vector<std::string>> load_copies(std::string_view id) const {
    auto raw = get(kCopies, id);
    if (!raw) return raw.error();
    if (!raw->has_value()) return std::vector<std::string>();
    return decode_url_list(**raw);
  }

  // The article `id` with the URLs of copies found after it was stored.
  Result<std::optional<Article>> load_article(std::string_view id) const {
    auto raw = get(kArticles, id);
    if (!raw) return raw.error();
    if (!raw->has_value()) return std::optional<Article>();
    auto article = decode_article(**raw);
    if (!article) return article.error();
    auto copies = load_copies(id);
    if (!copies) return copies.error();
    merge_copies(*article, std::move(*copies));
    return std::optional<Article>(std::move(*article));
  }

  // (dedup key, display URL) of the fetched and canonical URL, canonical first. A canonical URL
  // pointing at a site's home page from an article page is a common CMS bug, so it is ignored.
  std::vector<std::pair<std::string, std::string>> url_keys(const Article& a) const {
    std::vector<std::pair<std::string, std::string>> out;
    const auto add = [&](const std::string& url) {
      if (url.empty()) return;
      std::string key = dedup_key(url, options.canon);
      for (const auto& [k, d] : out) {
        if (k == key) return;
      }
      out.emplace_back(std::move(key), canonicalize_url(url, options.canon));
    };
    add(a.canonical_url);
    add(a.url);
    if (out.size() == 2 && is_root_key(out[0].first) && !is_root_key(out[1].first)) {
      out.erase(out.begin());
    }
    return out;
  }

  // The exact-copy hash of `a` (see kMinNearWords); 0 for an article without words.
  static std::uint64_t exact_hash(const Article& a, const TextFingerprints& fp) {
    if (fp.words >= kMinNearWords) return fp.exact;
    return text_fingerprint(a.title + "\n" + a.text);
  }

  // Writes a `urls` entry and adds its key's hash (StringTable::hash_of) to url_filter: the
  // only way put_articles writes one. REQUIRES: put_mutex held (or no other writer).
  void put_url_key(rocksdb::WriteBatch& batch, const std::string& key, std::uint64_t key_hash,
                   const std::string& id) {
    batch.Put(cf(kUrls), key, id);
    url_filter.add(key_hash);
  }

  // Adds the fingerprint and doc-meta entries of a new story to `batch` (the exact hash also to
  // exact_filter) and counts it in the search statistics (the caller writes search_stats_value()
  // into the batch). REQUIRES: put_mutex held (or no other writer).
  void add_index_entries(const Article& a, const TextFingerprints& fp, std::uint64_t exact,
                         std::uint32_t length, const std::string& doc_meta,
                         rocksdb::WriteBatch& batch) {
    const std::string id8 = be64(id_number(a.id));
    if (exact != 0) {
      batch.Put(cf(kFingerprints), exact_key(exact), a.id);
      exact_filter.add(exact);
    }
    if (fp.words >= kMinNearWords && !fp.minhash.empty()) {
      batch.Put(cf(kMinHashes), id8, fp.minhash.to_bytes());
    }
    batch.Put(cf(kDocs), id8, doc_meta);
    search_docs += 1;
    search_length += length;
  }

  // Adds the postings of a stored article to the buffer. REQUIRES: put_mutex held (or no other
  // writer).
  void buffer_postings(std::uint64_t doc, DocTerms terms, bool marker = false) {
    if (pending_docs.empty()) pending_since = std::chrono::steady_clock::now();
    pending_postings += terms.terms.size();
    pending_docs.push_back(PendingDoc{doc, std::move(terms), marker});
  }

  // What flush_postings writes: every buffered article, or those of generations older than the
  // newest buffered article's.
  enum class FlushScope { all, older_generations };

  // The flush that is due, if any. REQUIRES: put_mutex held.
  std::optional<FlushScope> flush_due() const {
    if (pending_docs.empty()) return std::nullopt;
    const auto age = std::chrono::steady_clock::now() - pending_since;
    if (pending_docs.size() >= kFlushArticles || pending_postings >= kFlushPostings ||
        age >= kFlushAgeLarge || (age >= kFlushAge && pending_docs.size() < kIngestArticles)) {
      return FlushScope::all;
    }
    // Articles are buffered in increasing number: the first and the last tell whether a
    // generation is complete.
    if (generation_of(pending_docs.front().doc) != generation_of(pending_docs.back().doc)) {
      return FlushScope::older_generations;
    }
    return std::nullopt;
  }

  // Writes the postings of the buffered articles (all, or those of the generations older than the
  // newest buffered article's) as one block per index key and generation, with the watermark,
  // and deletes the `unindexed` markers of articles stored before format 6 in the same batch.
  // A flush of kIngestArticles or more goes in as a table file (ingest_postings). On failure
  // the articles stay buffered. REQUIRES: flush_mutex held, put_mutex not held.
  Status flush_postings(FlushScope scope = FlushScope::all) {
    std::vector<PendingDoc> docs;
    {
      std::lock_guard lock(put_mutex);
      if (scope == FlushScope::all || pending_docs.empty()) {
        docs.swap(pending_docs);
      } else {
        const std::uint32_t newest = generation_of(pending_docs.back().doc);
        std::vector<PendingDoc> newer;
        for (PendingDoc& d : pending_docs) {
          (generation_of(d.doc) == newest ? newer : docs).push_back(std::move(d));
        }
        pending_docs.swap(newer);
        // The ones left are younger than the newest generation; counting their age from now
        // keeps the age bound from cutting every later generation in two at full speed.
        pending_since = std::chrono::steady_clock::now();
      }
      pending_postings = 0;
      for (const PendingDoc& d : pending_docs) pending_postings += d.terms.terms.size();
    }
    if (docs.empty()) return Status();
    // Delta blocks list articles in increasing number. Writers buffer them in that order (ids
    // are taken under put_mutex); the sort keeps it so for any other caller.
    std::sort(docs.begin(), docs.end(),
              [](const PendingDoc& a, const PendingDoc& b) { return a.doc < b.doc; });
    docs.erase(std::unique(docs.begin(), docs.end(),
                           [](const PendingDoc& a, const PendingDoc& b) { return a.doc == b.doc; }),
               docs.end());
    // The watermark: ids are taken and buffered in increasing order under put_mutex, and a
    // flush takes every buffered article of its generations, so every stored article up to the
    // largest number here is indexed once this is written. Numbers above the last id handed out
    // are URL hashes of formats 1 and 2, which the watermark does not cover.
    const std::uint64_t known = last_id.load(std::memory_order_relaxed);
    std::uint64_t through = indexed_through;
    bool markers = false;
    for (const PendingDoc& d : docs) {
      if (d.doc <= known) through = std::max(through, d.doc);
      markers = markers || d.marker;
    }
    const std::string watermark_key = generation_prefix(generation_of(through));
    const std::string watermark = be64(through) + be64(next_block + 1);
    // Marker deletions need the WAL batch; the watermark must fall into the file's generations
    // (not so with URL-hash ids, whose numbers lie above the last id).
    const bool ingest = docs.size() >= kIngestArticles && !markers && docs.back().doc <= known &&
                        generation_of(through) == generation_of(docs.back().doc);

    // Writes every block and the watermark through put(key, value), keys in increasing order
    // (a table file needs them so; the memtable's skiplist inserts sequential keys faster).
    // False when the articles were out of order (a bug: nothing may be written then).
    const std::string block = be64(next_block | k_delta_block_bit);
    const auto emit = [&](auto&& put) {
      bool watermark_written = false;
      std::string key;
      // One block per generation the articles fall into (one when the flush was due at a
      // generation boundary), all with the same block number.
      for (size_t begin = 0; begin < docs.size();) {
        const std::uint32_t generation = generation_of(docs[begin].doc);
        size_t end = begin + 1;
        while (end < docs.size() && generation_of(docs[end].doc) == generation) ++end;
        block_builder.build(end - begin, [&](size_t i) {
          const PendingDoc& d = docs[begin + i];
          return std::pair{d.doc, &d.terms};
        });
        if (!block_builder.ordered()) {
          block_builder.clear();
          return false;
        }
        const std::string prefix = generation_prefix(generation);
        if (prefix == watermark_key) {
          put(watermark_key, watermark);  // the generation's first key
          watermark_written = true;
        }
        // A key is the term followed by a NUL, so key order is term order.
        block_builder.for_each_sorted([&](const std::string& term, std::string_view entries) {
          key.assign(prefix);
          key.append(term);
          key.push_back('\0');
          key.append(block);
          put(key, entries);
        });
        block_builder.clear();
        begin = end;
      }
      if (!watermark_written) put(watermark_key, watermark);  // never for a table file
      return true;
    };
    rocksdb::Status s;
    if (ingest) {
      const std::string file_path = (fs::path(options.path) / kIngestFileName).string();
      rocksdb::SstFileWriter file(rocksdb::EnvOptions(), postings_file_options, cf(kPostings));
      s = file.Open(file_path);
      if (s.ok() && !emit([&](const std::string& key, std::string_view value) {
            if (s.ok()) s = file.Put(key, rocksdb::Slice(value.data(), value.size()));
          })) {
        return make_error(ErrorCode::internal, "postings: articles out of order");
      }
      if (s.ok()) s = ingest_postings(file, file_path);
      std::error_code ec;
      fs::remove(file_path, ec);  // RocksDB linked it into the database, or it failed
      // A table file that could not be added (a full disk, say) is retried as a batch below.
    }
    if (!ingest || !s.ok()) {
      rocksdb::WriteBatch batch;
      if (!emit([&](const std::string& key, std::string_view value) {
            batch.Put(cf(kPostings), key, rocksdb::Slice(value.data(), value.size()));
          })) {
        return make_error(ErrorCode::internal, "postings: articles out of order");
      }
      for (const PendingDoc& d : docs) {
        if (d.marker) batch.Delete(cf(kUnindexed), be64(d.doc));
      }
      s = db->Write(write_options, &batch);
    }
    if (!s.ok()) {
      std::lock_guard lock(put_mutex);
      for (const PendingDoc& d : docs) pending_postings += d.terms.terms.size();
      docs.insert(docs.end(), std::make_move_iterator(pending_docs.begin()),
                  std::make_move_iterator(pending_docs.end()));
      pending_docs.swap(docs);
      return from_rocks(s, "writing search postings");
    }
    ++next_block;
    indexed_through = through;
    return Status();
  }

  // Finishes `file` and adds it to the postings family. RocksDB links it in (no copy) at the
  // lowest level whose files it does not overlap: for a whole generation that is the bottom
  // level, so no compaction ever rewrites it (at a million articles, compactions of postings
  // written through the memtable took ~18 CPU us per article, with a write amplification of 3.4),
  // and the blocks skip the WAL and the memtable. The file is synced before it is added.
  rocksdb::Status ingest_postings(rocksdb::SstFileWriter& file, const std::string& path) {
    auto s = file.Finish();
    if (!s.ok()) return s;
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;
    // The sequence number is kept in the MANIFEST instead of being written into the file.
    ingest.write_global_seqno = false;
    return db->IngestExternalFile(cf(kPostings), {path}, ingest);
  }

  // An iterator over `c` that sees the writes made before the call and none after (RocksDB's
  // implicit snapshot), created while holding the locks of every outbox writer. RocksDB orders a
  // write before a later read through atomics that ThreadSanitizer cannot see in the
  // uninstrumented library; taken here, the writers' mutexes make that order visible, so the io
  // thread reading an outbox record a worker had just stored is not reported as a race.
  std::unique_ptr<rocksdb::Iterator> iterator_after_writes(Cf c) {
    std::scoped_lock lock(put_mutex, alert_mutex);
    return std::unique_ptr<rocksdb::Iterator>(db->NewIterator(rocksdb::ReadOptions(), cf(c)));
  }

  // flush_postings() of what flush_due() finds due, if anything. REQUIRES: flush_mutex held,
  // put_mutex not.
  Status flush_if_due() {
    std::optional<FlushScope> scope;
    {
      std::lock_guard put_lock(put_mutex);
      scope = flush_due();
    }
    return scope ? flush_postings(*scope) : Status();
  }

  // flush_if_due() unless another flush is running. REQUIRES: no lock held.
  void maybe_flush_postings() {
    std::unique_lock lock(flush_mutex, std::try_to_lock);
    // The articles are stored either way; a failed flush keeps the buffer and is retried.
    if (lock.owns_lock()) (void)flush_if_due();
  }

  // At open: reads the watermark and indexes the stored articles whose postings were not
  // written before the process stopped: those above the watermark and those a build before
  // format 6 marked `unindexed`. REQUIRES: written_last_id loaded.
  Status recover_postings() {
    auto block = get(kDefault, kPostingsBlockKey);
    if (!block) return block.error();
    next_block = block->has_value() ? read_be64(**block) : 0;
    // The newest generation with a watermark: usually the last article's, or one before it when
    // its generation was not flushed yet.
    for (std::uint32_t g = generation_of(written_last_id);; --g) {
      auto mark = get(kPostings, generation_prefix(g));
      if (!mark) return mark.error();
      if (mark->has_value()) {
        if ((*mark)->size() != kWatermarkSize) {
          return make_error(ErrorCode::corruption, "postings: bad watermark record");
        }
        indexed_through = read_be64(**mark);
        next_block = std::max(next_block, read_be64(std::string_view(**mark).substr(8)));
        break;
      }
      if (g == kGenerationBase) break;
    }
    const auto index = [&](std::uint64_t doc, std::string_view record, bool marker) -> Status {
      auto a = decode_article(record);
      if (!a) return a.error();
      buffer_postings(doc, index_terms(analyzer, *a), marker);
      if (const auto due = flush_due()) return flush_postings(*due);
      return Status();
    };
    rocksdb::WriteBatch stale;  // markers of articles purged since
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf(kUnindexed)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::uint64_t doc = read_be64(std::string_view(it->key().data(), it->key().size()));
      auto raw = get(kArticles, hex64(doc));
      if (!raw) return raw.error();
      if (!raw->has_value()) {
        stale.Delete(cf(kUnindexed), it->key());
        continue;
      }
      if (auto st = index(doc, **raw, true); !st.ok()) return st;
    }
    if (!it->status().ok()) return from_rocks(it->status(), "reading unindexed articles");
    if (stale.Count() > 0) {
      if (const auto s = db->Write(write_options, &stale); !s.ok()) {
        return from_rocks(s, "deleting unindexed markers");
      }
    }
    // Articles above the watermark: ids count up, so their keys run from the next number to the
    // last one handed out. (A URL-hash id of formats 1 and 2 lies in that range with odds of
    // the range's width in 2^64.)
    if (written_last_id > indexed_through) {
      const std::string last = hex64(written_last_id);
      std::unique_ptr<rocksdb::Iterator> ait(
          db->NewIterator(rocksdb::ReadOptions(), cf(kArticles)));
      for (ait->Seek(hex64(indexed_through + 1)); ait->Valid() && ait->key().compare(last) <= 0;
           ait->Next()) {
        const std::string id = ait->key().ToString();
        const std::string_view record(ait->value().data(), ait->value().size());
        if (auto st = index(id_number(id), record, false); !st.ok()) return st;
      }
      if (!ait->status().ok()) return from_rocks(ait->status(), "reading unindexed articles");
    }
    return flush_postings();
  }

  std::string search_stats_value() const { return be64(search_docs) + be64(search_length); }

  // Reads the search counters from the database (secondaries call this per query).
  Status load_search_stats(std::uint64_t& docs, std::uint64_t& length) const {
    auto raw = get(kDefault, kSearchStatsKey);
    if (!raw) return raw.error();
    docs = length = 0;
    if (raw->has_value() && (*raw)->size() == 16) {
      docs = read_be64(**raw);
      length = read_be64(std::string_view(**raw).substr(8));
    }
    return Status();
  }

  // Fills url_filter and exact_filter from the `urls` and `fingerprints` families (the keys only).
  Status fill_key_filters() {
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;  // one pass over two whole families
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf(kUrls)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      url_filter.add(StringTable::hash_of(std::string_view(it->key().data(), it->key().size())));
    }
    if (!it->status().ok()) return from_rocks(it->status(), "reading URL keys");
    it.reset(db->NewIterator(ro, cf(kFingerprints)));
    const std::string prefix(1, kExactPrefix);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (it->key().size() != 9) continue;
      exact_filter.add(read_be64(std::string_view(it->key().data() + 1, 8)));
    }
    if (!it->status().ok()) return from_rocks(it->status(), "reading exact hashes");
    key_filters = true;
    return Status();
  }

  // Publishes the in-memory indexes' sizes for memory(), which must not take the put lock (a
  // metrics scrape would wait for a purge). REQUIRES: put_mutex held (or no other writer).
  void note_memory() {
    near_index_bytes.store(near_index ? near_index->memory_bytes() : 0, std::memory_order_relaxed);
    key_filter_bytes.store(url_filter.memory_bytes() + exact_filter.memory_bytes(),
                           std::memory_order_relaxed);
  }

  // Fills the near-duplicate index from the stored MinHash signatures.
  Status rebuild_near_index() {
    near_index = std::make_unique<NearDupIndex>(NearDupOptions{
        options.near_duplicate_threshold, std::max<size_t>(options.expected_articles, 1024), 64});
    // Signatures stored before format 4 ('m' keys in fingerprints), then the minhash family.
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;  // one pass over a whole family
    for (const Cf c : {kFingerprints, kMinHashes}) {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf(c)));
      const std::string prefix = c == kFingerprints ? std::string(1, kMinHashPrefix) : "";
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        const auto key = it->key();
        if (key.size() != prefix.size() + 8) continue;
        auto sig = MinHash::from_bytes(std::string_view(it->value().data(), it->value().size()));
        if (!sig) return make_error(ErrorCode::corruption, "fingerprints: bad MinHash record");
        near_index->insert(read_be64(std::string_view(key.data() + prefix.size(), 8)), *sig);
      }
      if (!it->status().ok()) return from_rocks(it->status(), "reading fingerprints");
    }
    return Status();
  }

  // Format 6 -> 7: the exact hashes and MinHash signatures of every stored story, computed again
  // (the tokenisation of fingerprints changed), then the version, synced. The old ones go first,
  // in one range deletion per kind, so a run cut short is simply repeated at the next open.
  Status refingerprint() {
    const auto started = std::chrono::steady_clock::now();
    if (options.notice) {
      options.notice("upgrading the database to format " + std::string(kFormatVersion) +
                     ": computing the fingerprints of every "
                     "stored article again (about 40 us per article)");
    }
    std::size_t articles = 0;
    rocksdb::WriteBatch batch;
    for (const char prefix : {kExactPrefix, kMinHashPrefix}) {
      batch.DeleteRange(cf(kFingerprints), std::string(1, prefix),
                        std::string(1, static_cast<char>(prefix + 1)));
    }
    batch.DeleteRange(cf(kMinHashes), std::string(), std::string(9, '\xFF'));
    // Stories whose texts now hash alike (they differed only in accents, say): the oldest keeps
    // the entry, as if the later ones had arrived after it.
    std::unordered_set<std::uint64_t> exact_seen;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf(kArticles)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto a = decode_article(std::string_view(it->value().data(), it->value().size()));
      if (!a) return a.error();
      ++articles;
      const TextFingerprints fp = fingerprint_text(a->text);
      if (const std::uint64_t exact = exact_hash(*a, fp);
          exact != 0 && exact_seen.insert(exact).second) {
        batch.Put(cf(kFingerprints), exact_key(exact), a->id);
      }
      if (fp.words >= kMinNearWords && !fp.minhash.empty()) {
        batch.Put(cf(kMinHashes), be64(id_number(a->id)), fp.minhash.to_bytes());
      }
      if (batch.Count() >= 4096) {
        const auto s = db->Write(write_options, &batch);
        if (!s.ok()) return from_rocks(s, "migration");
        batch.Clear();
      }
    }
    if (!it->status().ok()) return from_rocks(it->status(), "migration");
    batch.Put(cf(kDefault), kFormatKey, kFormatVersion);
    rocksdb::WriteOptions synced;
    synced.sync = true;
    const auto s = db->Write(synced, &batch);
    if (!s.ok()) return from_rocks(s, "migration");
    if (options.notice) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      options.notice("upgraded the database to format " + std::string(kFormatVersion) + ": " +
                     std::to_string(articles) + " articles in " + std::to_string(ms.count()) +
                     " ms");
    }
    return Status();
  }

  // Format 1 -> 2: URL keys become dedup keys; fingerprints, postings and doc meta are built for
  // every stored article. Stored articles are all kept, even when they are copies of each other.
  Status migrate_from_1() {
    const auto clear = [&](Cf c) -> Status {
      rocksdb::WriteBatch batch;
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf(c)));
      for (it->SeekToFirst(); it->Valid(); it->Next()) batch.Delete(cf(c), it->key());
      if (!it->status().ok()) return from_rocks(it->status(), "migration");
      const auto s = db->Write(write_options, &batch);
      if (!s.ok()) return from_rocks(s, "migration");
      return Status();
    };
    for (Cf c : {kUrls, kFingerprints, kPostings, kDocs, kUnindexed, kCopies, kMinHashes}) {
      if (auto st = clear(c); !st.ok()) return st;
    }
    search_docs = search_length = 0;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf(kArticles)));
    rocksdb::WriteBatch batch;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto a = decode_article(std::string_view(it->value().data(), it->value().size()));
      if (!a) return a.error();
      for (const auto& [key, display] : url_keys(*a)) batch.Put(cf(kUrls), key, a->id);
      for (const auto& u : a->duplicate_urls)
        batch.Put(cf(kUrls), dedup_key(u, options.canon), a->id);
      TextFingerprints fp;
      DocTerms terms = index_terms(analyzer, *a, &fp);
      add_index_entries(*a, fp, exact_hash(*a, fp), terms.length, encode_doc_meta(doc_meta_of(*a)),
                        batch);
      batch.Put(cf(kDefault), kSearchStatsKey, search_stats_value());
      buffer_postings(id_number(a->id), std::move(terms));
      if (flush_due()) {
        const auto s = db->Write(write_options, &batch);
        if (!s.ok()) return from_rocks(s, "migration");
        batch.Clear();
        if (auto st = flush_postings(); !st.ok()) return st;
      }
    }
    if (!it->status().ok()) return from_rocks(it->status(), "migration");
    batch.Put(cf(kDefault), kFormatKey, kFormatVersion);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    const auto s = db->Write(wo, &batch);
    if (!s.ok()) return from_rocks(s, "migration");
    return flush_postings();
  }
};

Store::Store(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->write_options.sync = options.sync;
  const fs::path path(options.path);
  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  const bool is_db = fs::exists(path / "CURRENT", ec);
  if (exists && !fs::is_directory(path, ec)) {
    return make_error(ErrorCode::io_error, options.path + ": exists and is not a directory");
  }
  if (exists && !is_db && !fs::is_empty(path, ec)) {
    return make_error(ErrorCode::corruption,
                      options.path +
                          ": not a newswatch database (a non-empty directory without "
                          "RocksDB files); refusing to touch it");
  }
  if (options.access == StoreOptions::Access::read_only && !is_db) {
    return make_error(ErrorCode::not_found,
                      options.path + ": no database here yet (has the daemon run?)");
  }

  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.keep_log_file_num = 5;
  db_options.max_background_jobs = 2;
  // One budget for every family's memtables, so that memory stays bounded however the writes
  // spread (each family alone may still reach its write_buffer_size). Without it, at a daemon's
  // trickle of articles every family's memtable grew for most of an hour before its first flush
  // and RSS crept up by ~10 x 16 MiB (session 3's soak: 87 -> 142 MiB in 45 min).
  db_options.db_write_buffer_size = options.write_buffer_bytes;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.cache_index_and_filter_blocks = true;
  // Index and filter blocks in partitions of 4 KB behind a small pinned top level: whole-file
  // index blocks (hundreds of KB per table file at a million articles) were evicted from a
  // 32 MiB cache by data blocks and read back on nearly every lookup, which made the dedup
  // decision p50 ~240 us and p99 ~17 ms at 1M. Each table file records its own index type, so
  // files written before stay readable.
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.metadata_block_size = 4096;
  table.pin_top_level_index_and_filter = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Block checksums by XXH3 instead of CRC32C: Debian's RocksDB is built without SSE 4.2, so its
  // CRC32C runs byte by byte (~1% of ingest CPU with the WAL's). Each table file records its
  // checksum type: files written before stay readable.
  table.checksum = rocksdb::kXXH3;

  // Dedup asks `urls`, `fingerprints`, `outbox` and `alerts` for keys that are mostly absent:
  // a Bloom filter (10 bits per key, ~1% false positives) answers those without reading a data
  // block. The other families are read by keys that exist, or scanned.
  rocksdb::BlockBasedTableOptions filtered = table;
  filtered.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  filtered.partition_filters = true;
#if defined(__SANITIZE_THREAD__)
  build_rocksdb_statics_first(filtered);
#endif
  // Articles (4-5 KB each) in 16 KB blocks: a quarter of the index entries, better compression.
  rocksdb::BlockBasedTableOptions bodies = table;
  bodies.block_size = std::uint64_t{16} << 10;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t i = 0; i < kCfCount; ++i) {
    rocksdb::ColumnFamilyOptions cf_options;
    const bool lookups =
        i == kUrls || i == kFingerprints || i == kOutbox || i == kAlerts || i == kCopies;
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(lookups          ? filtered
                                                                      : i == kArticles ? bodies
                                                                                       : table));
    // The two big families get larger memtables: fewer, larger L0 files and less compaction.
    cf_options.write_buffer_size = i == kArticles || i == kPostings ? 32u << 20 : 16u << 20;
    if (lookups) {
      // The same for the memtables: a new story's keys are absent, and a Bloom filter answers
      // that without a skiplist search per memtable (1.6 MiB per 16 MiB memtable).
      cf_options.memtable_prefix_bloom_size_ratio = 0.1;
      cf_options.memtable_whole_key_filtering = true;
    }
    // Article records arrive plain and RocksDB compresses the family's 16 KB blocks with LZ4 at
    // every level: one compression everywhere, so with ids in write order their files move down
    // the levels without being rewritten, and LZ4 runs in the flush thread beside the writers.
    // Session 17, interleaved 100k runs (five pairs) against LZ4 frames per record in the
    // storing thread (formats 6-9, still readable): median 126.7 -> 124.0 CPU us per article,
    // wall +11%, disk 5,337 -> 4,922 B per article (a 16 KB block compresses better than a
    // 4.4 KB record). (Before format 6, zstd at the bottommost level cost ~20 CPU us per article
    // in compaction.) Postings blocks are delta-coded article numbers and counts that hardly
    // compress: LZ4 at the bottom level, where the table files a flush ingests land, made a 1M
    // database's postings 1,358 MiB -> 1,293 MiB (1.05x) for ~2 CPU us per article in the flush
    // (a tenth of its profile): none. MinHash signatures are random bytes: none. The other
    // families are small; LZ4.
    cf_options.compression =
        i == kPostings || i == kMinHashes ? rocksdb::kNoCompression : rocksdb::kLZ4Compression;
    if (i == kArticles || i == kTimeline || i == kDocs || i == kMinHashes) {
      // Keys by article number or fetch time: each insert lands right after the previous one,
      // so the skiplist search starts from there instead of from the top (one hint for the
      // whole family: every key shares its first four bytes for the next 2^48 articles, or
      // until the year 2^32 s after 1970).
      cf_options.memtable_insert_with_hint_prefix_extractor.reset(
          rocksdb::NewFixedPrefixTransform(4));
    }
    if (i == kPostings) {
      // A flush inserts its blocks in key order, all within one generation (the first 5 bytes):
      // the memtable remembers where the last insert of a prefix went and starts the next one
      // there, instead of searching the skiplist from the top for every key.
      cf_options.memtable_insert_with_hint_prefix_extractor.reset(
          rocksdb::NewFixedPrefixTransform(kGenerationPrefixSize));
    }
    // Level sizes follow the last level's size, so most data sits in the bottommost level and
    // upper levels stay a tenth of it (less space amplification, fewer rewrites; RocksDB's
    // recommended setting, the default from its version 8.4). New article ids increase, so L0
    // files compact into the last files of the base level instead of all of them.
    cf_options.level_compaction_dynamic_level_bytes = true;

    if (i == kPostings) impl->postings_file_options = rocksdb::Options(db_options, cf_options);
    descriptors.emplace_back(kCfNames[i], cf_options);
  }

  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options.access == StoreOptions::Access::read_only) {
    db_options.max_open_files = -1;  // required for secondary instances
    std::string tmpl = (fs::temp_directory_path() / "newswatch-secondary-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) {
      return make_error(ErrorCode::io_error, "cannot create a directory for the secondary");
    }
    impl->secondary_dir = tmpl;
    // A reader opens the families that exist: a database of an older format that the daemon
    // has not upgraded yet lacks the newer ones (their handles stay null: read as empty).
    std::vector<std::string> present;
    s = rocksdb::DB::ListColumnFamilies(db_options, options.path, &present);
    if (!s.ok()) return from_rocks(s, "opening " + options.path);
    std::vector<rocksdb::ColumnFamilyDescriptor> opened;
    std::vector<size_t> slots;
    for (size_t i = 0; i < descriptors.size(); ++i) {
      if (std::find(present.begin(), present.end(), descriptors[i].name) == present.end()) continue;
      opened.push_back(descriptors[i]);
      slots.push_back(i);
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    s = rocksdb::DB::OpenAsSecondary(db_options, options.path, impl->secondary_dir, opened,
                                     &handles, &raw);
    if (s.ok()) {
      impl->cfs.assign(kCfCount, nullptr);
      for (size_t j = 0; j < handles.size(); ++j) impl->cfs[slots[j]] = handles[j];
    }
  } else {
    fs::create_directories(path, ec);
    if (ec) return make_error(ErrorCode::io_error, options.path + ": " + ec.message());
    s = rocksdb::DB::Open(db_options, options.path, descriptors, &impl->cfs, &raw);
  }
  if (!s.ok()) return from_rocks(s, "opening " + options.path);
  impl->db.reset(raw);

  auto version = impl->get(kDefault, kFormatKey);
  if (!version) return version.error();
  if (!version->has_value()) {
    if (options.access == StoreOptions::Access::read_only) {
      return make_error(ErrorCode::corruption, options.path + ": database has no format version");
    }
    // An empty database is ours from a creation that was cut short (a SIGKILL right after
    // RocksDB created it): adopt it. Anything with data in it is someone else's.
    if (is_db && !impl->is_empty()) {
      return make_error(ErrorCode::corruption,
                        options.path + ": a RocksDB database that newswatch did not create");
    }
    rocksdb::WriteOptions synced;
    synced.sync = true;
    const auto ws = impl->db->Put(synced, impl->cf(kDefault), kFormatKey, kFormatVersion);
    if (!ws.ok()) return from_rocks(ws, "writing format version");
  } else if (**version == "1" && options.access == StoreOptions::Access::read_write) {
    if (auto st = impl->migrate_from_1(); !st.ok()) return st.error();
  } else if (**version == "2" || **version == "3" || **version == "4" || **version == "5" ||
             **version == "6") {
    // Format 3 adds delta-encoded postings blocks (new blocks only; plain ones stay readable)
    // and counter article ids (new articles only), format 4 postings generations (new blocks
    // only; keys without a generation stay readable), format 5 compressed article records (new
    // records only; plain ones stay readable), format 6 generations of 16,384 articles with
    // watermarks instead of `unindexed` markers: nothing to rewrite, but builds that know only
    // an older format must no longer open the database. Format 7 fingerprints the normal forms
    // of the search index's words: the exact hashes and MinHash signatures are computed again
    // from the stored articles (refingerprint()). A secondary reads it as it is.
    if (options.access == StoreOptions::Access::read_write && **version != "6") {
      // Every article stored so far is indexed or has an `unindexed` marker (still read at
      // open): the first watermark is the last id handed out, written with the version.
      auto last = impl->get(kDefault, kLastIdKey);
      if (!last) return last.error();
      auto block = impl->get(kDefault, kPostingsBlockKey);
      if (!block) return block.error();
      const std::uint64_t through = last->has_value() ? read_be64(**last) : 0;
      rocksdb::WriteBatch upgrade;
      upgrade.Put(impl->cf(kPostings), generation_prefix(generation_of(through)),
                  be64(through) + be64(block->has_value() ? read_be64(**block) : 0));
      upgrade.Put(impl->cf(kDefault), kFormatKey, "6");
      rocksdb::WriteOptions synced;
      synced.sync = true;
      const auto ws = impl->db->Write(synced, &upgrade);
      if (!ws.ok()) return from_rocks(ws, "writing format version");
    }
    if (options.access == StoreOptions::Access::read_write) {
      if (auto st = impl->refingerprint(); !st.ok()) return st.error();
    }
  } else if (**version == "7" || **version == "8") {
    // Format 8 keeps the URL keys of purged stories, marked (kPurgedMark), and format 9 their
    // exact-text hashes: nothing to rewrite, but a build that knows only an older format must not
    // read a mark as part of an id. A secondary reads a version-7 or -8 database as it is.
    if (options.access == StoreOptions::Access::read_write) {
      rocksdb::WriteOptions synced;
      synced.sync = true;
      const auto ws = impl->db->Put(synced, impl->cf(kDefault), kFormatKey, kFormatVersion);
      if (!ws.ok()) return from_rocks(ws, "writing format version");
    }
  } else if (**version != kFormatVersion) {
    const bool old = **version == "1";
    return make_error(ErrorCode::invalid_argument,
                      options.path + ": database format version " + **version +
                          (old ? " must be migrated first: start the daemon once"
                               : " is not supported by this newswatch (supports " +
                                     std::string(kFormatVersion) + ")"));
  }
  if (options.access == StoreOptions::Access::read_write) {
    if (auto st = impl->load_search_stats(impl->search_docs, impl->search_length); !st.ok()) {
      return st.error();
    }
    auto last_id = impl->get(kDefault, kLastIdKey);
    if (!last_id) return last_id.error();
    if (last_id->has_value()) {
      impl->written_last_id = read_be64(**last_id);
      impl->last_id = impl->written_last_id;
    }
    // The two scans read different families into different structures: side by side, on two
    // cores (1M stories: ~2.0 s of open, see docs/storage.md).
    Status filled;
    std::thread filler([&impl, &filled] { filled = impl->fill_key_filters(); });
    Status rebuilt;
    if (options.near_duplicate_threshold > 0) rebuilt = impl->rebuild_near_index();
    filler.join();
    if (!rebuilt.ok()) return rebuilt.error();
    if (!filled.ok()) return filled.error();
    impl->note_memory();
    // A table file a flush was building when the process stopped.
    fs::remove(path / kIngestFileName, ec);
    if (auto st = impl->recover_postings(); !st.ok()) return st.error();
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

std::string Store::legacy_article_id(std::string_view canonical_url) {
  return hex64(stable_hash64(canonical_url));
}

const char* duplicate_kind_name(DuplicateKind kind) {
  switch (kind) {
    case DuplicateKind::none: return "none";
    case DuplicateKind::url: return "url";
    case DuplicateKind::exact: return "exact";
    case DuplicateKind::near: return "near";
    case DuplicateKind::purged: return "purged";
  }
  return "none";
}

Result<std::optional<std::string>> Store::find_url(std::string_view url) const {
  auto value = m_impl->get(kUrls, dedup_key(url, m_impl->options.canon));
  if (value && value->has_value()) **value = std::string(url_value_id(**value));
  return value;
}

Result<PutOutcome> Store::put_article(Article& article, std::vector<OutboxRecord> alerts) {
  std::vector<PutRequest> one(1);
  one[0].article = std::move(article);
  one[0].alerts = std::move(alerts);
  auto outcomes = put_articles(one);
  article = std::move(one[0].article);
  if (!outcomes) return outcomes.error();
  return std::move(outcomes->front());
}

namespace {

// What put_articles computes for an article before taking the lock.
struct Prepared {
  TextFingerprints fp;
  DocTerms terms;
  std::uint64_t exact = 0;
  std::vector<std::pair<std::string, std::string>> keys;  // Impl::url_keys
  std::vector<std::uint64_t> key_hashes;                  // StringTable::hash_of of each key
  std::string id;                                         // if stored
  std::string encoded;                                    // the record, if stored
  std::string doc_meta;
  bool reencode = false;  // a later copy in the same call added to its duplicate_urls
};

// Appends `display` to the duplicate URLs of `original` unless it is one of its URLs already.
void add_duplicate_url(Article& original, const std::string& display) {
  if (display != original.url && display != original.canonical_url &&
      std::find(original.duplicate_urls.begin(), original.duplicate_urls.end(), display) ==
          original.duplicate_urls.end()) {
    original.duplicate_urls.push_back(display);
  }
}

}  // namespace

Result<std::vector<PutOutcome>> Store::put_articles(std::vector<PutRequest>& requests) {
  Impl& impl = *m_impl;
  if (!impl.secondary_dir.empty()) {
    return make_error(ErrorCode::invalid_argument, "put_article on a read-only store");
  }
  // Fingerprinting, analysis and encoding are the expensive parts and need no lock, so several
  // workers run them at once. Duplicates waste them; they are the minority.
  std::vector<Prepared> prepared(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    Article& a = requests[i].article;
    Prepared& p = prepared[i];
    p.keys = impl.url_keys(a);
    if (p.keys.empty()) return make_error(ErrorCode::invalid_argument, "article without a URL");
    for (const auto& key : p.keys) p.key_hashes.push_back(StringTable::hash_of(key.first));
    p.terms = index_terms(impl.analyzer, a, &p.fp);
    p.exact = Impl::exact_hash(a, p.fp);
    // The id is taken under the lock below, when the article turns out to be a new story, and
    // written into the record there: ids then increase in the order batches are written, so
    // every family keyed by article number only ever appends (ids taken here, before the lock,
    // interleaved the two workers' batches and made L0 files overlap the level below).
    std::string id = std::exchange(a.id, hex64(0));
    std::string duplicate_of = std::exchange(a.duplicate_of, std::string());
    p.encoded = encode_plain_article(a);
    a.id = std::move(id);
    a.duplicate_of = std::move(duplicate_of);
    p.doc_meta = encode_doc_meta(doc_meta_of(a));
  }

  std::vector<PutOutcome> outcomes;
  outcomes.reserve(requests.size());
  bool flush = false;
  {
    std::lock_guard lock(impl.put_mutex);
    // What this call has decided so far, so that its later articles see its earlier ones.
    std::unordered_map<std::string, std::string> new_urls;     // dedup key -> id
    std::unordered_map<std::uint64_t, std::string> new_exact;  // exact hash -> id
    std::map<std::string, size_t> new_stories;                 // id -> request index
    // The `copies` values of stored originals read so far. A copy of a stored story adds its
    // URLs there instead of rewriting the story's record: rewriting old records made every
    // articles compaction overlap the whole family.
    struct CopyList {
      std::vector<std::string> urls;
      bool changed = false;  // by this call: to be written
    };
    std::map<std::string, CopyList> copies;
    std::vector<std::string> alert_keys;  // outbox keys written
    std::vector<std::pair<std::uint64_t, const MinHash*>> near_added;
    const std::uint64_t docs_before = impl.search_docs, length_before = impl.search_length;
    rocksdb::WriteBatch batch;
    const auto find_url = [&](const std::string& key,
                              std::uint64_t key_hash) -> Result<std::optional<std::string>> {
      if (auto it = new_urls.find(key); it != new_urls.end()) {
        return std::optional<std::string>(it->second);
      }
      if (impl.key_filters && !impl.url_filter.may_contain(key_hash)) {
        return std::optional<std::string>();
      }
      return impl.get(kUrls, key);
    };
    const auto undo = [&] {
      impl.search_docs = docs_before;
      impl.search_length = length_before;
      for (const auto& [id, sig] : near_added) impl.near_index->erase(id, *sig);
    };

    for (size_t i = 0; i < requests.size(); ++i) {
      Article& article = requests[i].article;
      Prepared& p = prepared[i];
      PutOutcome outcome;
      const auto decision_start = std::chrono::steady_clock::now();
      std::vector<bool> known(p.keys.size(), false);
      for (size_t k = 0; k < p.keys.size(); ++k) {
        auto existing = find_url(p.keys[k].first, p.key_hashes[k]);
        if (!existing) {
          undo();
          return existing.error();
        }
        if (existing->has_value()) {
          known[k] = true;
          const bool purged = purged_url_value(**existing);
          const std::string_view id = url_value_id(**existing);
          // A stored story's URL over a purged one's: the story learns the other URLs.
          if (outcome.id.empty() || (outcome.duplicate == DuplicateKind::purged && !purged)) {
            outcome.id = id;
            outcome.duplicate = purged ? DuplicateKind::purged : DuplicateKind::url;
          }
        }
      }
      if (outcome.id.empty() && p.exact != 0) {
        if (auto it = new_exact.find(p.exact); it != new_exact.end()) {
          outcome.id = it->second;
          outcome.duplicate = DuplicateKind::exact;
        } else if (!impl.key_filters || impl.exact_filter.may_contain(p.exact)) {
          auto existing = impl.get(kFingerprints, exact_key(p.exact));
          if (!existing) {
            undo();
            return existing.error();
          }
          if (existing->has_value()) {
            // A purged story's text, remembered (format 9): nothing to store, as for its URLs.
            const bool purged = purged_url_value(**existing);
            outcome.id = url_value_id(**existing);
            outcome.duplicate = purged ? DuplicateKind::purged : DuplicateKind::exact;
          }
        }
      }
      if (outcome.id.empty() && impl.near_index && p.fp.words >= kMinNearWords) {
        if (auto match = impl.near_index->find_best(p.fp.minhash)) {
          outcome.id = hex64(match->id);
          outcome.duplicate = DuplicateKind::near;
          outcome.similarity = match->similarity;
        }
      }
      outcome.decision = std::chrono::steady_clock::now() - decision_start;
      if (outcome.duplicate == DuplicateKind::purged) {
        // Seen before, and deleted by retention since: nothing to store. Its URLs not known yet
        // (met at a new address by its text, or beside a remembered URL) are remembered the
        // same way, listed by this sighting's fetch time, so the daemon does not fetch them
        // again at every poll of a feed that lists them.
        article.duplicate_of = outcome.id;
        const std::string mark = kPurgedMark + outcome.id;
        for (size_t k = 0; k < p.keys.size(); ++k) {
          if (known[k]) continue;
          impl.put_url_key(batch, p.keys[k].first, p.key_hashes[k], mark);
          batch.Put(impl.cf(kDefault), purged_listing_key(article.fetched, kUrls, p.keys[k].first),
                    "");
          new_urls[p.keys[k].first] = mark;
        }
        outcomes.push_back(std::move(outcome));
        continue;
      }

      if (!outcome.id.empty()) {
        // A copy: the original learns the new URLs; no story, no postings, no alerts.
        article.duplicate_of = outcome.id;
        Article* original = nullptr;  // stored by this call
        CopyList* stored = nullptr;
        const auto in_call = new_stories.find(outcome.id);
        if (in_call != new_stories.end()) {
          original = &requests[in_call->second].article;
        } else {
          auto it = copies.find(outcome.id);
          if (it == copies.end()) {
            auto urls = impl.load_copies(outcome.id);
            if (!urls) {
              undo();
              return urls.error();
            }
            CopyList list;
            list.urls = std::move(*urls);
            it = copies.emplace(outcome.id, std::move(list)).first;
          }
          stored = &it->second;
        }
        for (size_t k = 0; k < p.keys.size(); ++k) {
          if (known[k]) continue;  // so its URL is listed already
          impl.put_url_key(batch, p.keys[k].first, p.key_hashes[k], outcome.id);
          new_urls[p.keys[k].first] = outcome.id;
          const std::string& display = p.keys[k].second;
          if (original) {
            add_duplicate_url(*original, display);
            prepared[in_call->second].reencode = true;
          } else if (std::find(stored->urls.begin(), stored->urls.end(), display) ==
                     stored->urls.end()) {
            stored->urls.push_back(display);
            stored->changed = true;
          }
        }
        outcomes.push_back(std::move(outcome));
        continue;
      }

      p.id = hex64(impl.next_article_id());
      if (!set_article_id(p.encoded, p.id)) {
        undo();
        return make_error(ErrorCode::internal, "article record without a 16-digit id");
      }
      article.id = p.id;
      article.duplicate_of.clear();
      new_stories.emplace(article.id, i);
      batch.Put(impl.cf(kTimeline), timeline_key(article.fetched, article.id), "");
      for (size_t k = 0; k < p.keys.size(); ++k) {
        impl.put_url_key(batch, p.keys[k].first, p.key_hashes[k], article.id);
        new_urls[p.keys[k].first] = article.id;
      }
      if (p.exact != 0) new_exact.emplace(p.exact, article.id);
      impl.add_index_entries(article, p.fp, p.exact, p.terms.length, p.doc_meta, batch);
      if (impl.near_index && p.fp.words >= kMinNearWords) {
        // Inserted now so that the rest of this call finds it; taken out again if the write
        // fails.
        impl.near_index->insert(id_number(article.id), p.fp.minhash);
        near_added.emplace_back(id_number(article.id), &p.fp.minhash);
      }
      outcome.stored = true;
      outcome.id = article.id;
      for (auto& alert : requests[i].alerts) {
        alert.article_id = article.id;
        const std::string key = alert.key();
        if (std::find(alert_keys.begin(), alert_keys.end(), key) != alert_keys.end()) continue;
        auto pending = impl.get(kOutbox, key);
        auto done = pending ? impl.get(kAlerts, key) : pending;
        if (!done) {
          undo();
          return done.error();
        }
        if (pending->has_value() || done->has_value()) continue;  // exactly once per story
        batch.Put(impl.cf(kOutbox), key, encode_outbox(alert));
        alert_keys.push_back(key);
        ++outcome.alerts_queued;
      }
      outcomes.push_back(std::move(outcome));
    }

    for (const auto& [id, index] : new_stories) {
      const Prepared& p = prepared[index];
      batch.Put(impl.cf(kArticles), id,
                p.reencode ? encode_plain_article(requests[index].article) : p.encoded);
    }
    for (const auto& [id, list] : copies) {
      if (list.changed) batch.Put(impl.cf(kCopies), id, encode_url_list(list.urls));
    }
    std::uint64_t batch_last_id = impl.written_last_id;
    if (!new_stories.empty()) {
      batch.Put(impl.cf(kDefault), kSearchStatsKey, impl.search_stats_value());
      for (const auto& [id, index] : new_stories) {
        batch_last_id = std::max(batch_last_id, id_number(id));
      }
      if (batch_last_id != impl.written_last_id) {
        batch.Put(impl.cf(kDefault), kLastIdKey, be64(batch_last_id));
      }
    }
    if (batch.Count() > 0) {
      const auto s = impl.db->Write(impl.write_options, &batch);
      if (!s.ok()) {
        undo();
        return from_rocks(s, "storing articles");
      }
    }
    impl.written_last_id = batch_last_id;
    impl.note_memory();
    for (const auto& [id, index] : new_stories) {
      impl.buffer_postings(id_number(id), std::move(prepared[index].terms));
    }
    flush = impl.flush_due().has_value();
  }
  if (flush) impl.maybe_flush_postings();
  return outcomes;
}

Result<std::vector<SearchHit>> Store::search(const SearchQuery& query) const {
  if (m_impl->secondary_dir.empty()) {
    std::lock_guard lock(m_impl->flush_mutex);
    if (auto st = m_impl->flush_postings(); !st.ok()) return st.error();
  }
  const Impl& impl = *m_impl;
  auto parsed = parse_query(query.text, impl.analyzer);
  if (!parsed) return parsed.error();
  std::uint64_t docs = 0, total_length = 0;
  if (auto st = impl.load_search_stats(docs, total_length); !st.ok()) return st.error();
  const double avg_length =
      docs == 0 ? 1.0 : static_cast<double>(total_length) / static_cast<double>(docs);

  // Every term is required: score the first term's documents, then keep those the others share.
  std::unordered_map<std::uint64_t, double> scores;
  auto last_id = impl.get(kDefault, kLastIdKey);
  if (!last_id) return last_id.error();
  // Each seek below gets an upper bound (changed before each Seek, as RocksDB allows): the
  // iterator then stops at the end of a block run without reading the data block after it to
  // find the first key past it (about a third of the block reads of a search).
  std::string upper_key(kGenerationPrefixSize + 1, static_cast<char>(0xFF));
  rocksdb::Slice upper(upper_key);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(ro, impl.cf(kPostings)));
  auto spaces = postings_spaces(*it, last_id->has_value() ? read_be64(**last_id) : 0);
  if (!spaces) return spaces.error();
  std::string seek;
  for (size_t t = 0; t < parsed->terms.size(); ++t) {
    const QueryTerm& term = parsed->terms[t];
    // A document may hold several of the term's keys (stems of several languages, prefix
    // expansions): it counts once, with its best posting.
    std::unordered_map<std::uint64_t, Posting> postings;
    for (const auto& k : term.keys) {
      for (const std::string& space : *spaces) {
        seek.assign(space);
        seek.append(k);
        if (!term.prefix) seek.push_back('\0');
        upper_key = after_prefix(seek);
        upper = rocksdb::Slice(upper_key);
        for (it->Seek(seek); it->Valid() && it->key().starts_with(seek); it->Next()) {
          const auto key = it->key();
          if (key.size() < 9 || key[key.size() - 9] != '\0') continue;
          BlockReader entries(std::string_view(it->value().data(), it->value().size()),
                              is_delta_block_key(std::string_view(key.data(), key.size())));
          std::uint64_t doc = 0;
          Posting p;
          while (!entries.done()) {
            if (!entries.next(doc, p)) {
              return make_error(ErrorCode::corruption, "postings: bad block");
            }
            if (t > 0 && !scores.count(doc)) continue;
            auto [pos, inserted] = postings.try_emplace(doc, p);
            const auto weight = [](const Posting& x) {
              return x.body_tf + k_title_boost * x.title_tf;
            };
            if (!inserted && weight(p) > weight(pos->second)) pos->second = p;
          }
        }
        if (!it->status().ok()) return from_rocks(it->status(), "reading postings");
      }
    }
    // df counts only the documents seen; for t > 0 that is within the candidates, a lower bound
    // that slightly raises the idf of later terms. Counting them all would cost a second scan.
    const std::uint64_t df = postings.size();
    std::unordered_map<std::uint64_t, double> next;
    next.reserve(postings.size());
    for (const auto& [doc, p] : postings) {
      const double base = t == 0 ? 0.0 : scores[doc];
      next.emplace(doc, base + bm25(p, df, docs, avg_length));
    }
    scores = std::move(next);
    if (scores.empty()) break;
  }

  std::vector<std::pair<double, std::uint64_t>> ranked;
  ranked.reserve(scores.size());
  for (const auto& [doc, score] : scores) ranked.emplace_back(score, doc);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });

  std::vector<SearchHit> hits;
  for (const auto& [score, doc] : ranked) {
    if (hits.size() >= query.limit) break;
    auto meta_raw = impl.get(kDocs, be64(doc));
    if (!meta_raw) return meta_raw.error();
    if (!meta_raw->has_value()) continue;
    auto meta = decode_doc_meta(**meta_raw);
    if (!meta) return make_error(ErrorCode::corruption, "docs: bad record");
    if (!passes_filters(*meta, query)) continue;
    auto article = get_article(hex64(doc));
    if (!article) return article.error();
    if (!article->has_value()) continue;
    if (!phrases_match(impl.analyzer, **article, *parsed)) continue;
    hits.push_back(make_hit(impl.analyzer, **article, *parsed, score));
  }
  return hits;
}

Status Store::scan_articles(const std::function<bool(const Article&)>& fn) const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(m_impl->db->NewIterator(ro, m_impl->cf(kArticles)));
  // The copies family has the same keys: walked alongside.
  std::unique_ptr<rocksdb::Iterator> copies;
  if (m_impl->cf(kCopies) != nullptr) {
    copies.reset(m_impl->db->NewIterator(ro, m_impl->cf(kCopies)));
    copies->SeekToFirst();
  }
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto a = decode_article(std::string_view(it->value().data(), it->value().size()));
    if (!a) return a.error();
    if (copies) {
      while (copies->Valid() && copies->key().compare(it->key()) < 0) copies->Next();
      if (copies->Valid() && copies->key() == it->key()) {
        const auto v = copies->value();
        if (auto st = Impl::add_copies(*a, std::string_view(v.data(), v.size())); !st.ok()) {
          return st;
        }
      }
    }
    if (!fn(*a)) return Status();
  }
  if (!it->status().ok()) return from_rocks(it->status(), "scanning articles");
  if (copies && !copies->status().ok()) return from_rocks(copies->status(), "scanning copies");
  return Status();
}

Result<std::optional<Article>> Store::get_article(std::string_view id) const {
  return m_impl->load_article(id);
}

Result<std::vector<Article>> Store::list_articles(std::size_t limit, std::size_t offset) const {
  std::vector<Article> out;
  std::unique_ptr<rocksdb::Iterator> it(
      m_impl->db->NewIterator(rocksdb::ReadOptions(), m_impl->cf(kTimeline)));
  std::size_t skipped = 0;
  for (it->SeekToLast(); it->Valid() && out.size() < limit; it->Prev()) {
    if (skipped++ < offset) continue;
    const auto key = it->key();
    if (key.size() < 8) continue;
    auto article = get_article(std::string_view(key.data() + 8, key.size() - 8));
    if (!article) return article.error();
    if (article->has_value()) out.push_back(std::move(**article));
  }
  if (!it->status().ok()) return from_rocks(it->status(), "listing articles");
  return out;
}

Result<std::optional<SourceState>> Store::get_source_state(std::string_view source) const {
  auto raw = m_impl->get(kSources, source);
  if (!raw) return raw.error();
  if (!raw->has_value()) return std::optional<SourceState>();
  auto state = decode_source_state(**raw);
  if (!state) return state.error();
  return std::optional<SourceState>(std::move(*state));
}

Status Store::put_source_state(std::string_view source, const SourceState& state) {
  const auto s =
      m_impl->db->Put(m_impl->write_options, m_impl->cf(kSources),
                      rocksdb::Slice(source.data(), source.size()), encode_source_state(state));
  if (!s.ok()) return from_rocks(s, "storing source state");
  return Status();
}

Result<std::vector<OutboxRecord>> Store::pending_alerts(std::size_t limit) const {
  std::vector<OutboxRecord> out;
  const auto it = m_impl->iterator_after_writes(kOutbox);
  for (it->SeekToFirst(); it->Valid() && out.size() < limit; it->Next()) {
    auto record = decode_outbox(std::string_view(it->value().data(), it->value().size()));
    if (!record) return record.error();
    out.push_back(std::move(*record));
  }
  if (!it->status().ok()) return from_rocks(it->status(), "reading outbox");
  std::sort(out.begin(), out.end(),
            [](const OutboxRecord& a, const OutboxRecord& b) { return a.created < b.created; });
  return out;
}

Result<std::uint64_t> Store::count_pending_alerts() const {
  std::uint64_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it(
      m_impl->db->NewIterator(rocksdb::ReadOptions(), m_impl->cf(kOutbox)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  if (!it->status().ok()) return from_rocks(it->status(), "reading outbox");
  return n;
}

Status Store::update_alert(const OutboxRecord& record) { return update_alerts({record}); }

Result<std::vector<OutboxRecord>> Store::alert_log(std::size_t limit) const {
  std::vector<OutboxRecord> out;
  const auto it = m_impl->iterator_after_writes(kAlerts);
  for (it->SeekToFirst(); it->Valid() && out.size() < limit; it->Next()) {
    auto record = decode_outbox(std::string_view(it->value().data(), it->value().size()));
    if (!record) return record.error();
    out.push_back(std::move(*record));
  }
  if (!it->status().ok()) return from_rocks(it->status(), "reading alert log");
  return out;
}

namespace {
constexpr const char* kAlertRatePrefix = "alert_rate\x1F";
std::string alert_rate_key(std::string_view topic, std::string_view channel) {
  return std::string(kAlertRatePrefix) + std::string(topic) + '\x1F' + std::string(channel);
}
}  // namespace

Status Store::update_alerts(const std::vector<OutboxRecord>& records,
                            const std::optional<AlertRateUpdate>& rate) {
  Impl& impl = *m_impl;
  if (!impl.secondary_dir.empty()) {
    return make_error(ErrorCode::invalid_argument, "update_alerts on a read-only store");
  }
  std::lock_guard lock(impl.alert_mutex);
  rocksdb::WriteBatch batch;
  for (const OutboxRecord& given : records) {
    OutboxRecord record = given;
    const std::string key = record.key();
    // A source noted while this copy was in flight must not be overwritten.
    for (Cf c : {kOutbox, kAlerts}) {
      auto raw = impl.get(c, key);
      if (!raw) return raw.error();
      if (!raw->has_value()) continue;
      auto stored = decode_outbox(**raw);
      if (!stored) continue;
      for (auto& src : stored->also_reported_by) {
        if (std::find(record.also_reported_by.begin(), record.also_reported_by.end(), src) ==
            record.also_reported_by.end()) {
          record.also_reported_by.push_back(std::move(src));
        }
      }
    }
    if (record.state == DeliveryState::pending) {
      batch.Put(impl.cf(kOutbox), key, encode_outbox(record));
    } else {
      batch.Delete(impl.cf(kOutbox), key);
      batch.Put(impl.cf(kAlerts), key, encode_outbox(record));
    }
  }
  if (rate) {
    batch.Put(impl.cf(kDefault), alert_rate_key(rate->topic, rate->channel),
              encode_alert_rate(rate->state));
  }
  // Delivery marks are synced: losing one would resend an alert after a power cut.
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const auto s = impl.db->Write(wo, &batch);
  if (!s.ok()) return from_rocks(s, "updating alerts");
  return Status();
}

Result<std::optional<AlertRateState>> Store::get_alert_rate(std::string_view topic,
                                                            std::string_view channel) const {
  auto raw = m_impl->get(kDefault, alert_rate_key(topic, channel));
  if (!raw) return raw.error();
  if (!raw->has_value()) return std::optional<AlertRateState>();
  auto state = decode_alert_rate(**raw);
  if (!state) return state.error();
  return std::optional<AlertRateState>(std::move(*state));
}

Result<std::size_t> Store::note_also_reported(const std::vector<std::string>& keys,
                                              const std::string& source) {
  Impl& impl = *m_impl;
  if (!impl.secondary_dir.empty()) {
    return make_error(ErrorCode::invalid_argument, "note_also_reported on a read-only store");
  }
  std::lock_guard lock(impl.alert_mutex);
  rocksdb::WriteBatch batch;
  std::size_t changed = 0;
  for (const auto& key : keys) {
    for (Cf c : {kOutbox, kAlerts}) {
      auto raw = impl.get(c, key);
      if (!raw) return raw.error();
      if (!raw->has_value()) continue;
      auto record = decode_outbox(**raw);
      if (!record) return record.error();
      auto& also = record->also_reported_by;
      if (std::find(also.begin(), also.end(), source) != also.end()) continue;
      also.push_back(source);
      batch.Put(impl.cf(c), key, encode_outbox(*record));
      ++changed;
    }
  }
  if (changed == 0) return changed;
  const auto s = impl.db->Write(impl.write_options, &batch);
  if (!s.ok()) return from_rocks(s, "noting a duplicate's source");
  return changed;
}

Result<std::size_t> Store::requeue_dead(const std::function<bool(const OutboxRecord&)>& select,
                                        TimePoint now) {
  Impl& impl = *m_impl;
  if (!impl.secondary_dir.empty()) {
    return make_error(ErrorCode::invalid_argument, "requeue_dead on a read-only store");
  }
  std::lock_guard lock(impl.alert_mutex);
  rocksdb::WriteBatch batch;
  std::size_t moved = 0;
  std::unique_ptr<rocksdb::Iterator> it(
      impl.db->NewIterator(rocksdb::ReadOptions(), impl.cf(kAlerts)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto record = decode_outbox(std::string_view(it->value().data(), it->value().size()));
    if (!record) return record.error();
    if (record->state != DeliveryState::dead || !select(*record)) continue;
    record->state = DeliveryState::pending;
    record->attempts = 0;
    record->next_attempt = now;
    record->delivered_at = TimePoint{};
    record->bundle.clear();
    batch.Delete(impl.cf(kAlerts), it->key());
    batch.Put(impl.cf(kOutbox), it->key(), encode_outbox(*record));
    ++moved;
  }
  if (!it->status().ok()) return from_rocks(it->status(), "reading alert log");
  if (moved == 0) return moved;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const auto s = impl.db->Write(wo, &batch);
  if (!s.ok()) return from_rocks(s, "requeueing alerts");
  return moved;
}

Result<std::uint64_t> Store::purge(TimePoint before, TimePoint forget_urls_before,
                                   const std::function<bool()>& keep_going) {
  Impl& impl = *m_impl;
  if (!impl.secondary_dir.empty()) {
    return make_error(ErrorCode::invalid_argument, "purge on a read-only store");
  }
  // First the URLs of stories purged earlier whose time to be forgotten has come, then the
  // stories.
  for (std::string resume(kPurgedUrlPrefix);;) {
    if (auto st = forget_slice(forget_urls_before, resume); !st.ok()) return st.error();
    if (resume.empty()) break;
    if (keep_going && !keep_going()) return std::uint64_t{0};
  }
  std::uint64_t purged = 0;
  const std::string end = timeline_key(before, "");
  std::string resume;  // the timeline key the next slice starts at
  for (;;) {
    if (auto st = purge_slice(end, forget_urls_before, resume, purged); !st.ok()) {
      return st.error();
    }
    if (resume.empty() || (keep_going && !keep_going())) return purged;
  }
}

Status Store::forget_slice(TimePoint forget_urls_before, std::string& resume) {
  Impl& impl = *m_impl;
  std::lock_guard lock(impl.put_mutex);
  std::unique_ptr<rocksdb::Iterator> listed(
      impl.db->NewIterator(rocksdb::ReadOptions(), impl.cf(kDefault)));
  const std::string forget_end = purged_listing_key(forget_urls_before, kUrls, "");
  rocksdb::WriteBatch batch;
  std::size_t urls = 0;
  listed->Seek(resume);
  resume.clear();
  for (; listed->Valid() && listed->key().compare(forget_end) < 0; listed->Next()) {
    if (urls >= std::max<std::size_t>(1, impl.options.forget_slice_urls)) {
      resume = listed->key().ToString();
      break;
    }
    ++urls;
    batch.Delete(impl.cf(kDefault), listed->key());
    const auto entry = parse_purged_listing(listed->key().ToStringView());
    if (!entry) continue;
    auto value = impl.get(entry->family, entry->key);
    if (!value) return value.error();
    if (value->has_value() && purged_url_value(**value)) {
      batch.Delete(impl.cf(entry->family), entry->key);
      ++impl.filter_deletes;
    }
  }
  if (!listed->status().ok()) return from_rocks(listed->status(), "forgetting purged URLs");
  if (batch.Count() == 0) return Status();
  if (const auto s = impl.db->Write(impl.write_options, &batch); !s.ok()) {
    return from_rocks(s, "forgetting purged URLs");
  }
  return Status();
}

Status Store::purge_slice(const std::string& end, TimePoint forget_urls_before, std::string& resume,
                          std::uint64_t& purged) {
  Impl& impl = *m_impl;
  // Buffered postings of purged articles would otherwise be written after their doc meta is gone.
  std::lock_guard flush_lock(impl.flush_mutex);
  if (auto st = impl.flush_postings(); !st.ok()) return st;
  std::lock_guard lock(impl.put_mutex);
  std::unique_ptr<rocksdb::Iterator> it(
      impl.db->NewIterator(rocksdb::ReadOptions(), impl.cf(kTimeline)));
  rocksdb::WriteBatch batch;
  std::vector<std::pair<std::uint64_t, MinHash>> erased;
  std::unordered_set<std::uint64_t> purged_docs;  // article numbers
  // Their index keys, once each: interned, so told apart by address here (their owners kept
  // alive), and sorted by value for the postings pass below.
  std::unordered_set<const std::string*> purged_keys;
  std::vector<std::shared_ptr<const IndexKeys>> key_owners;
  const auto write = [&]() -> Status {
    batch.Put(impl.cf(kDefault), kSearchStatsKey, impl.search_stats_value());
    const auto s = impl.db->Write(impl.write_options, &batch);
    if (!s.ok()) return from_rocks(s, "purging articles");
    batch.Clear();
    for (const auto& [id, sig] : erased) {
      if (impl.near_index) impl.near_index->erase(id, sig);
    }
    erased.clear();
    impl.note_memory();
    return Status();
  };
  std::set<std::string> url_keys;  // of one story
  std::size_t stories = 0;
  it->Seek(resume);
  resume.clear();
  for (; it->Valid() && it->key().compare(end) < 0; it->Next()) {
    const auto key = it->key();
    if (stories >= std::max<std::size_t>(1, impl.options.purge_slice_stories)) {
      resume = key.ToString();
      break;
    }
    ++stories;
    batch.Delete(impl.cf(kTimeline), key);
    if (key.size() < 8) continue;
    const std::string id(key.data() + 8, key.size() - 8);
    auto loaded = impl.load_article(id);
    if (!loaded) return loaded.error();
    if (!loaded->has_value()) continue;
    const Article* a = &**loaded;
    const std::string id8 = be64(id_number(id));
    batch.Delete(impl.cf(kArticles), id);
    batch.Delete(impl.cf(kCopies), id);
    // Its URL keys and (format 9) exact-text hash, those still its own (a URL key written
    // before the dedup rules changed, or an exact entry after a format-7 migration made texts
    // hash alike, may name another story), are forgotten, or marked purged and listed to be
    // forgotten later.
    const bool forget = a->fetched < forget_urls_before;
    const auto retire = [&](Cf family, const std::string& k) -> Status {
      auto value = impl.get(family, k);
      if (!value) return value.error();
      if (!value->has_value() || **value != a->id) return Status();
      if (forget) {
        batch.Delete(impl.cf(family), k);
        ++impl.filter_deletes;
      } else {
        batch.Put(impl.cf(family), k, kPurgedMark + a->id);
        batch.Put(impl.cf(kDefault), purged_listing_key(a->fetched, family, k), "");
      }
      return Status();
    };
    url_keys.clear();
    for (const auto& [k, display] : impl.url_keys(*a)) url_keys.insert(k);
    for (const auto& u : a->duplicate_urls) url_keys.insert(dedup_key(u, impl.options.canon));
    for (const std::string& k : url_keys) {
      if (auto st = retire(kUrls, k); !st.ok()) return st.error();
    }
    TextFingerprints fp;
    const DocTerms terms = index_terms(impl.analyzer, *a, &fp);
    if (const auto exact = Impl::exact_hash(*a, fp); exact != 0) {
      if (auto st = retire(kFingerprints, exact_key(exact)); !st.ok()) return st.error();
    }
    const std::string mkey = std::string(1, kMinHashPrefix) + id8;  // before format 4
    auto sig_raw = impl.get(kMinHashes, id8);
    if (sig_raw && !sig_raw->has_value()) sig_raw = impl.get(kFingerprints, mkey);
    if (!sig_raw) return sig_raw.error();
    if (sig_raw->has_value()) {
      if (auto sig = MinHash::from_bytes(**sig_raw)) erased.emplace_back(id_number(id), *sig);
      batch.Delete(impl.cf(kMinHashes), id8);
      batch.Delete(impl.cf(kFingerprints), mkey);
    }
    batch.Delete(impl.cf(kDocs), id8);
    for (const TermFrequency& t : terms.terms) purged_keys.insert(t.key);
    if (key_owners.empty() || key_owners.back() != terms.keys) key_owners.push_back(terms.keys);
    purged_docs.insert(id_number(id));
    impl.search_docs -= std::min<std::uint64_t>(impl.search_docs, 1);
    impl.search_length -= std::min<std::uint64_t>(impl.search_length, terms.length);
    ++purged;
    if (batch.Count() > 10000) {
      if (auto st = write(); !st.ok()) return st.error();
    }
  }
  if (!it->status().ok()) return from_rocks(it->status(), "purging articles");
  if (auto st = write(); !st.ok()) return st.error();

  // Then the purged articles' postings: every block of every index key they had is rewritten
  // without their entries, or deleted when nothing is left. Search already skips them (no doc
  // meta), so a crash in between only leaves dead entries behind, as before this step existed.
  std::unique_ptr<rocksdb::Iterator> pit(
      impl.db->NewIterator(rocksdb::ReadOptions(), impl.cf(kPostings)));
  // Blocks of the purged articles' generations (as format 6 and as formats 4-5 numbered them),
  // and those written before format 4, of the spaces the family has: a database created at
  // format 6 or later has neither of the old kinds, and a seek for each key into them cost two
  // of every three seeks (an hour's ~1,100 stories at 1M have ~38,000 index keys).
  // Most entries of a rewritten block are kept stories' outside the purged numbers' range (an
  // hour's stories among a generation's 16,384): told apart without a hash lookup.
  std::set<std::string> wanted{std::string()};
  std::uint64_t lowest = UINT64_MAX, highest = 0;
  for (std::uint64_t doc : purged_docs) {
    wanted.insert(generation_prefix(generation_of(doc)));
    wanted.insert(generation_prefix(format4_generation_of(doc)));
    lowest = std::min(lowest, doc);
    highest = std::max(highest, doc);
  }
  auto present = postings_spaces(*pit, impl.last_id);
  if (!present) return present.error();
  std::vector<const std::string*> keys(purged_keys.begin(), purged_keys.end());
  std::sort(keys.begin(), keys.end(), [](const auto* a, const auto* b) { return *a < *b; });
  keys.erase(
      std::unique(keys.begin(), keys.end(), [](const auto* a, const auto* b) { return *a == *b; }),
      keys.end());
  std::string seek, kept;
  for (const std::string& space : *present) {
    if (!wanted.count(space)) continue;
    bool positioned = false;
    for (const std::string* index_key : keys) {
      seek.assign(space);
      seek.append(*index_key);
      seek.push_back('\0');
      // The keys come in order, so the iterator already stands at or before this key's first
      // block: a few steps forward cost less than a seek through every level.
      if (positioned) {
        for (int step = 0; step < kPurgeSteps && pit->Valid() && pit->key().compare(seek) < 0;
             ++step) {
          pit->Next();
        }
      }
      if (!positioned || (pit->Valid() && pit->key().compare(seek) < 0)) pit->Seek(seek);
      positioned = true;
      for (; pit->Valid() && pit->key().starts_with(seek); pit->Next()) {
        if (pit->key().size() != seek.size() + 8) continue;  // a longer index key
        const std::string_view key(pit->key().data(), pit->key().size());
        const bool delta = is_delta_block_key(key);
        BlockReader entries(std::string_view(pit->value().data(), pit->value().size()), delta);
        kept.clear();
        DeltaBlockWriter kept_delta(kept);
        bool changed = false;
        while (!entries.done()) {
          std::uint64_t doc = 0;
          Posting p;
          if (!entries.next(doc, p)) {
            return make_error(ErrorCode::corruption, "postings: bad block");
          }
          if (doc >= lowest && doc <= highest && purged_docs.count(doc)) {
            changed = true;
          } else if (delta) {
            (void)kept_delta.add(doc, p);  // in increasing order, as read
          } else {
            append_block_entry(kept, doc, p);
          }
        }
        if (!changed) continue;
        if (kept.empty()) {
          batch.Delete(impl.cf(kPostings), pit->key());
        } else {
          batch.Put(impl.cf(kPostings), pit->key(), kept);
        }
        if (batch.Count() > 10000) {
          if (auto st = write(); !st.ok()) return st.error();
        }
      }
      if (!pit->status().ok()) return from_rocks(pit->status(), "purging postings");
    }
  }
  if (auto st = write(); !st.ok()) return st;
  // The near-duplicate index only marks what retention erases; once the marked entries
  // outnumber the live ones (a daemon that has run through its retention horizon), it is built
  // again from the stored signatures, so that its memory follows the live stories (1M: ~1.5 s,
  // once per million purged).
  if (impl.near_index &&
      impl.near_index->erased() >= std::max(kNearRebuildErased, impl.near_index->size())) {
    if (auto st = impl.rebuild_near_index(); !st.ok()) return st;
    impl.note_memory();
  }
  // The same for the key filters, which never drop a key (1M: ~1.2 s per million deletes).
  if (impl.key_filters &&
      impl.filter_deletes >=
          std::max<std::uint64_t>(kNearRebuildErased,
                                  (impl.url_filter.size() + impl.exact_filter.size()) / 2)) {
    impl.key_filters = false;  // until filled again: a half-filled filter would say "absent"
    impl.url_filter = KeyFilter();
    impl.exact_filter = KeyFilter();
    if (auto st = impl.fill_key_filters(); !st.ok()) return st;
    impl.filter_deletes = 0;
    impl.note_memory();
  }
  return Status();
}

Status Store::backup(const std::string& dir) const {
  if (m_impl->secondary_dir.empty()) {
    std::lock_guard lock(m_impl->flush_mutex);
    if (auto st = m_impl->flush_postings(); !st.ok()) return st;
  }
  rocksdb::Checkpoint* raw = nullptr;
  auto s = rocksdb::Checkpoint::Create(m_impl->db.get(), &raw);
  if (!s.ok()) return from_rocks(s, "backup");
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  s = checkpoint->CreateCheckpoint(dir);
  if (!s.ok()) return from_rocks(s, "backup to " + dir);
  return Status();
}

Status Store::flush_index() {
  if (!m_impl->secondary_dir.empty()) return Status();
  std::lock_guard lock(m_impl->flush_mutex);
  return m_impl->flush_postings();
}

Status Store::flush_index_if_due() {
  if (!m_impl->secondary_dir.empty()) return Status();
  std::lock_guard lock(m_impl->flush_mutex);
  return m_impl->flush_if_due();
}

Status Store::catch_up() {
  if (m_impl->secondary_dir.empty()) return Status();
  const auto s = m_impl->db->TryCatchUpWithPrimary();
  if (!s.ok()) return from_rocks(s, "catching up with the daemon");
  return Status();
}

StoreMemory Store::memory() const {
  const Impl& impl = *m_impl;
  StoreMemory m;
  m.near_index = impl.near_index_bytes.load(std::memory_order_relaxed);
  m.key_filters = impl.key_filter_bytes.load(std::memory_order_relaxed);
  std::uint64_t v = 0;
  if (impl.db->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &v)) {
    m.memtables = v;
  }
  // One cache serves every family.
  if (impl.db->GetIntProperty(impl.cf(kArticles), rocksdb::DB::Properties::kBlockCacheUsage, &v)) {
    m.block_cache = v;
  }
  if (impl.db->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem, &v)) {
    m.table_readers = v;
  }
  return m;
}

std::string Store::engine_stats() const {
  std::string out;
  for (size_t i = 0; i < kCfCount; ++i) {
    std::string text;
    if (m_impl->cfs[i] != nullptr &&
        m_impl->db->GetProperty(m_impl->cfs[i], "rocksdb.cfstats-no-file-histogram", &text)) {
      out += text;
    }
  }
  return out;
}

bool Store::wait_for_compactions(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::uint64_t busy = 0;
    for (const char* property : {"rocksdb.num-running-compactions", "rocksdb.num-running-flushes",
                                 "rocksdb.compaction-pending", "rocksdb.mem-table-flush-pending"}) {
      std::uint64_t value = 0;
      if (m_impl->db->GetAggregatedIntProperty(property, &value)) busy += value;
    }
    if (busy == 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Result<StoreStats> Store::stats() const {
  StoreStats st;
  auto count = [&](Cf c) {
    std::uint64_t n = 0;
    std::unique_ptr<rocksdb::Iterator> it(
        m_impl->db->NewIterator(rocksdb::ReadOptions(), m_impl->cf(c)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    return n;
  };
  st.articles = count(kArticles);
  st.urls = count(kUrls);
  {
    std::unique_ptr<rocksdb::Iterator> listed(
        m_impl->db->NewIterator(rocksdb::ReadOptions(), m_impl->cf(kDefault)));
    const rocksdb::Slice prefix(kPurgedUrlPrefix.data(), kPurgedUrlPrefix.size());
    for (listed->Seek(prefix); listed->Valid() && listed->key().starts_with(prefix);
         listed->Next()) {
      const auto entry = parse_purged_listing(listed->key().ToStringView());
      ++(entry && entry->family == kFingerprints ? st.purged_texts : st.purged_urls);
    }
  }
  st.pending_alerts = count(kOutbox);
  st.sources = count(kSources);
  std::unique_ptr<rocksdb::Iterator> it(
      m_impl->db->NewIterator(rocksdb::ReadOptions(), m_impl->cf(kTimeline)));
  const auto time_of = [](const rocksdb::Slice& k) {
    std::uint64_t v = 0;
    for (size_t i = 0; i < 8 && i < k.size(); ++i) {
      v = (v << 8) | static_cast<unsigned char>(k[i]);
    }
    return TimePoint(std::chrono::seconds(static_cast<std::int64_t>(v)));
  };
  it->SeekToFirst();
  if (it->Valid()) st.oldest = time_of(it->key());
  it->SeekToLast();
  if (it->Valid()) st.newest = time_of(it->key());
  {
    std::lock_guard lock(m_impl->put_mutex);
    if (m_impl->near_index) st.near_index_entries = m_impl->near_index->size();
  }
  const StoreMemory memory = this->memory();
  st.near_index_bytes = memory.near_index;
  st.key_filter_bytes = memory.key_filters;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(m_impl->options.path, ec)) {
    if (entry.is_regular_file(ec)) st.disk_bytes += entry.file_size(ec);
  }
  return st;
}

}  // namespace newswatch::storage
