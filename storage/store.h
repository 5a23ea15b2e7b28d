// The article store: one RocksDB with a column family per kind of record (docs/storage.md).
// Every write for one article, including its pending alerts, is one atomic WriteBatch, so a crash
// never leaves half an article or an article without its alerts. RocksDB stays inside store.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/article.h"
#include "core/result.h"
#include "storage/records.h"

namespace newswatch::storage {

struct StoreOptions {
  std::string path;  // database directory; created when missing (read_write only)
  enum class Access { read_write, read_only };
  // read_only opens the live database as a RocksDB secondary instance, safe while the daemon
  // writes; see Store::catch_up().
  Access access = Access::read_write;
  // Block cache for reads. Default 32 MiB; the main knob for the daemon's resident memory.
  std::size_t block_cache_bytes = 32u << 20;
  // fsync the WAL on every article write. Default off: acknowledged writes survive a process
  // crash (kill -9) either way; on makes them survive power loss too at a large ingest cost.
  bool sync = false;
};

struct PutOutcome {
  bool stored = false;            // false: an existing story already had this URL
  std::string id;                 // the new article's id, or the existing story's
  std::size_t alerts_queued = 0;  // outbox records written (already-known ones are skipped)
};

struct StoreStats {
  std::uint64_t articles = 0;
  std::uint64_t urls = 0;
  std::uint64_t pending_alerts = 0;
  std::uint64_t sources = 0;
  std::uint64_t disk_bytes = 0;
  std::optional<TimePoint> oldest;
  std::optional<TimePoint> newest;
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

  // The id an article with this canonical URL gets: stable across runs.
  static std::string article_id_for(std::string_view canonical_url);

  // Returns the id of the story stored under `url` (any URL it was seen at), or nullopt.
  Result<std::optional<std::string>> find_url(std::string_view url) const;

  // Stores `article` (its id is set from canonical_url, else url) with `alerts` (outbox records
  // for it; article_id is filled in) in one batch. When any of its URLs is already known, nothing
  // is written and the outcome names the existing story.
  Result<PutOutcome> put_article(Article& article, std::vector<OutboxRecord> alerts);

  Result<std::optional<Article>> get_article(std::string_view id) const;

  // Newest first (by fetch time), skipping `offset`.
  Result<std::vector<Article>> list_articles(std::size_t limit, std::size_t offset = 0) const;

  Result<std::optional<SourceState>> get_source_state(std::string_view source) const;
  Status put_source_state(std::string_view source, const SourceState& state);

  // Pending outbox records, oldest first.
  Result<std::vector<OutboxRecord>> pending_alerts(std::size_t limit) const;
  // Writes `record` back: pending records stay in the outbox (attempt counters updated);
  // delivered and dead ones leave it and enter the delivery log, in one batch.
  Status update_alert(const OutboxRecord& record);
  // Delivered and dead-lettered alerts, any order.
  Result<std::vector<OutboxRecord>> alert_log(std::size_t limit) const;

  // Secondary instances only: read what the primary wrote since. No-op for the primary.
  Status catch_up();

  Result<StoreStats> stats() const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace newswatch::storage
