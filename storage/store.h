// The article store: one RocksDB with a column family per kind of record (docs/storage.md).
// Every write for one article, including its pending alerts, is one atomic WriteBatch, so a crash
// never leaves half an article or an article without its alerts. RocksDB stays inside store.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/article.h"
#include "core/result.h"
#include "storage/records.h"
#include "storage/search.h"
#include "storage/url_canon.h"

namespace newswatch::storage {

struct StoreOptions {
  std::string path;  // database directory; created when missing (read_write only)
  enum class Access { read_write, read_only };
  // read_only opens the live database as a RocksDB secondary instance, safe while the daemon
  // writes; see Store::catch_up().
  Access access = Access::read_write;
  // Block cache for reads. Default 32 MiB; the main knob for the daemon's resident memory.
  std::size_t block_cache_bytes = 32u << 20;
  // Memtables of all column families together: the largest is flushed when they exceed it.
  // Larger flushes less often (fewer, larger files, less compaction CPU) and holds more memory.
  // Default 64 MiB (read_write only).
  std::size_t write_buffer_bytes = 64u << 20;
  // fsync the WAL on every article write. Default off: acknowledged writes survive a process
  // crash (kill -9) either way; on makes them survive power loss too at a large ingest cost.
  bool sync = false;
  // Estimated shingle Jaccard at or above which a text is a near copy of a stored one
  // (docs/dedup.md). Default 0.35; 0 or less turns near-duplicate detection off.
  double near_duplicate_threshold = 0.35;
  // Sizes the in-memory near-duplicate index (about 90 bytes per stored article at this size;
  // more articles still work, with longer chains). Default one million.
  std::size_t expected_articles = 1000000;
  // Retention (purge()) works in slices, each under one hold of the write lock: this many
  // stories (at a million stored, ~2 s each, most of it rewriting their postings blocks;
  // `ingest_bench --purge`), and before them this many remembered URLs to forget (a read and two
  // deletes each). Smaller slices only in tests.
  std::size_t purge_slice_stories = 8192;
  std::size_t forget_slice_urls = 65536;
  // Tracking parameters, host prefixes and AMP/print variants for URL dedup keys. Changing them
  // leaves existing keys as they are; new URLs are keyed with the new rules.
  CanonOptions canon;
  // Told one line when open() starts and ends a one-off task that can take long (a format
  // migration: about 40 µs per stored article), so that the daemon can log it. Optional.
  std::function<void(const std::string&)> notice;
};

// Why put_article did not store an article as a new story.
enum class DuplicateKind {
  none,    // stored as a new story
  url,     // one of its URLs (fetched or canonical, by dedup key) is known
  exact,   // same normalised text as a stored story
  near,    // a near copy (MinHash similarity >= the threshold) of a stored story
  purged,  // one of its URLs, or its exact text, is a story's that retention deleted but still
           // remembers (purge)
};

// "none", "url", "exact", "near", "purged".
const char* duplicate_kind_name(DuplicateKind kind);

struct PutOutcome {
  bool stored = false;  // false: a duplicate of an existing story (see duplicate)
  std::string id;       // the new article's id, or the existing story's
  DuplicateKind duplicate = DuplicateKind::none;
  double similarity = 0;          // near: the estimated Jaccard similarity
  std::size_t alerts_queued = 0;  // outbox records written (never for duplicates)
  // Time the duplicate decision took (URL, exact-text and near-copy lookups, under the store's
  // lock; fingerprinting before it is not included). For benchmarks and metrics.
  std::chrono::nanoseconds decision{0};
};

// One article for Store::put_articles, with the outbox records to queue for it.
struct PutRequest {
  Article article;
  std::vector<OutboxRecord> alerts;
};

struct StoreStats {
  std::uint64_t articles = 0;
  std::uint64_t urls = 0;          // URL keys, purged stories' included
  std::uint64_t purged_urls = 0;   // of those, the ones of stories deleted by retention
  std::uint64_t purged_texts = 0;  // exact-text hashes of stories deleted by retention, remembered
  std::uint64_t pending_alerts = 0;
  std::uint64_t sources = 0;
  std::uint64_t disk_bytes = 0;
  std::uint64_t near_index_entries = 0;  // primary only
  std::uint64_t near_index_bytes = 0;
  std::uint64_t key_filter_bytes = 0;  // the URL-key and exact-hash filters (primary only)
  std::optional<TimePoint> oldest;
  std::optional<TimePoint> newest;
};

// Where the store's memory goes, in bytes (Store::memory()).
struct StoreMemory {
  std::uint64_t near_index = 0;     // the in-memory near-duplicate index (primary only)
  std::uint64_t key_filters = 0;    // the URL-key and exact-hash filters (primary only)
  std::uint64_t memtables = 0;      // RocksDB's memtables, every family
  std::uint64_t block_cache = 0;    // RocksDB's block cache, in use
  std::uint64_t table_readers = 0;  // table file readers outside the block cache
};

// The rate-limit memory of one (topic, channel), written with the alerts it counted.
struct AlertRateUpdate {
  std::string topic;
  std::string channel;
  AlertRateState state;
};

// Thread-safe: any thread may call any method (RocksDB serialises writes).
class Store {
 public:
  // Opens or creates the database. Errors: io_error (permissions, disk), corruption (a damaged
  // database, or a directory that is not a newswatch database), invalid_argument (format
  // version from the future).
  static Result<std::unique_ptr<Store>> open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The id this build's ancestors gave an article with this canonical URL (a hash of it; such ids
  // stay valid). New articles get increasing, time-ordered ids instead (docs/storage.md).
  static std::string legacy_article_id(std::string_view canonical_url);

  // Returns the id of the story stored under `url` or any variant with the same dedup key
  // (storage::dedup_key: tracking parameters, http/https, www/m/amp hosts...), or nullopt. Also
  // the id of a story that retention deleted while its URLs are remembered (purge): known, and
  // not to be fetched again.
  Result<std::optional<std::string>> find_url(std::string_view url) const;

  // Stores `article` with `alerts` (outbox records for it; article_id is filled in) in one batch,
  // together with its URL keys, fingerprints and search postings; its id is set from the
  // canonical form of canonical_url, else url. A duplicate (by URL, exact text, or near text, in
  // that order) is not stored: the original gains the new URLs in duplicate_urls, no alert is
  // queued, `article.duplicate_of` is set and the outcome names the original and the kind.
  // Primary only.
  Result<PutOutcome> put_article(Article& article, std::vector<OutboxRecord> alerts);

  // put_article for several articles at once, in order, with one outcome per request: an article
  // that copies an earlier one of the same call counts as its duplicate. Cheaper per article than
  // single puts (one lock, one write). On error nothing of the call is stored.
  // Primary only.
  Result<std::vector<PutOutcome>> put_articles(std::vector<PutRequest>& requests);

  // Writes the search postings buffered since the last flush (put_article buffers them and
  // writes them when a generation of 16,384 articles is complete, or once 2 seconds have gathered,
  // at the next put; docs/storage.md). Secondaries see an article in search results only after
  // this. Articles stored but not yet indexed are indexed again at open after a crash.
  Status flush_index();
  // The same when a flush is due by those rules (also by age without a put): the daemon calls
  // it every 2 seconds, so an article is searchable within ~4 seconds at a daemon's pace, and a
  // fast ingest still writes whole generations (8 seconds at most; docs/storage.md).
  Status flush_index_if_due();

  // Ranked full-text search (storage/search.h); works on primary and secondary instances. On
  // the primary it flushes the postings buffer first.
  Result<std::vector<SearchHit>> search(const SearchQuery& query) const;

  Result<std::optional<Article>> get_article(std::string_view id) const;

  // Calls `fn` for every stored article in id order until it returns false. Does not fill the
  // block cache (export, full scans).
  Status scan_articles(const std::function<bool(const Article&)>& fn) const;

  // Newest first (by fetch time), skipping `offset`.
  Result<std::vector<Article>> list_articles(std::size_t limit, std::size_t offset = 0) const;

  Result<std::optional<SourceState>> get_source_state(std::string_view source) const;
  Status put_source_state(std::string_view source, const SourceState& state);

  // Pending outbox records, oldest first.
  Result<std::vector<OutboxRecord>> pending_alerts(std::size_t limit) const;
  // How many there are, without decoding them (the metrics gauge, per scrape).
  Result<std::uint64_t> count_pending_alerts() const;
  // Writes `record` back: pending records stay in the outbox (attempt counters updated);
  // delivered and dead ones leave it and enter the delivery log, in one batch.
  Status update_alert(const OutboxRecord& record);
  // Delivered and dead-lettered alerts, any order.
  Result<std::vector<OutboxRecord>> alert_log(std::size_t limit) const;

  // --- alert throttling and folding (alerts/throttle.h) -------------------------------------
  // Writes every record as update_alert does, and `rate` when given, in ONE synced batch: a
  // message carrying several alerts is recorded whole or not at all, together with the rate
  // limit's memory of it. Sources noted by note_also_reported meanwhile are kept. Primary only.
  Status update_alerts(const std::vector<OutboxRecord>& records,
                       const std::optional<AlertRateUpdate>& rate = std::nullopt);
  // The send times recorded for (topic, channel), or nullopt. Any instance.
  Result<std::optional<AlertRateState>> get_alert_rate(std::string_view topic,
                                                       std::string_view channel) const;
  // Adds `source` to also_reported_by of the alerts with these keys (OutboxRecord::key()),
  // pending or logged; missing keys are skipped. Returns how many records changed. Primary only.
  Result<std::size_t> note_also_reported(const std::vector<std::string>& keys,
                                         const std::string& source);
  // Moves the dead-lettered alerts that `select` picks back to the outbox as fresh pending
  // alerts (attempts 0, due at `now`, out of any bundle), in one synced batch. Returns how many.
  // Primary only.
  Result<std::size_t> requeue_dead(const std::function<bool(const OutboxRecord&)>& select,
                                   TimePoint now);

  // Retention: deletes every story fetched before `before` with its MinHash, doc meta and
  // search postings (every block of each of its index keys is rewritten without it). Its URL
  // keys and its exact-text hash stay, marked purged, while the story was fetched at or after
  // `forget_urls_before`: find_url still finds the URLs, and put_article stores nothing for an
  // article at one of them or with the same normalised text (DuplicateKind::purged), so a feed
  // that keeps listing an old story, or an outlet that republishes it at a new URL, does not
  // bring it back. Those of stories fetched before `forget_urls_before`, purged now or earlier,
  // are deleted (pass `before` to forget them with their stories). Alerts and the delivery log are
  // kept. Returns the number of stories purged. Works in slices (URLs to forget first, then a
  // few thousand stories at a time; ~2 s each at a million), each under the write lock, so writers
  // wait for one slice, not the whole purge; between slices it stops early, returning the count
  // so far, when `keep_going` returns false (a draining daemon; the next purge goes on). Primary
  // only.
  Result<std::uint64_t> purge(TimePoint before, TimePoint forget_urls_before,
                              const std::function<bool()>& keep_going = {});

  // Writes a consistent copy of the database to `dir` (must not exist) as a RocksDB checkpoint:
  // hard links to the table files plus a copy of the rest. Open the copy like any database.
  Status backup(const std::string& dir) const;

  // Secondary instances only: read what the primary wrote since. No-op for the primary.
  Status catch_up();

  Result<StoreStats> stats() const;

  // The memory figures, cheaply and without waiting for writers or a purge (the in-memory
  // indexes' sizes as of the last write): for a metrics scrape.
  StoreMemory memory() const;

  // RocksDB's compaction statistics per column family (its "rocksdb.cfstats" text), for
  // benchmarks and debugging.
  std::string engine_stats() const;

  // Waits until RocksDB runs and owes no flush or compaction, or `timeout` passes; false on
  // timeout. For benchmarks that measure a settled database.
  bool wait_for_compactions(std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  // One slice of purge(): from the timeline key `resume` (then set to where the next slice
  // starts, or cleared at `end`).
  Status purge_slice(const std::string& end, TimePoint forget_urls_before, std::string& resume,
                     std::uint64_t& purged);
  // One slice of purge()'s forgetting of remembered URLs: from the listing key `resume` (then
  // set to where the next slice starts, or cleared when none is left to forget).
  Status forget_slice(TimePoint forget_urls_before, std::string& resume);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace newswatch::storage
