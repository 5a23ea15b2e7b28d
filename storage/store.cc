#include "storage/store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

namespace newswatch::storage {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFormatKey = "newswatch.format_version";
constexpr const char* kFormatVersion = "1";

// Column families, in the order handles are kept.
enum Cf : size_t {
  kDefault = 0,   // meta: format version
  kArticles,      // id -> article record
  kTimeline,      // big-endian fetch time + id -> "" (listing newest first)
  kUrls,          // any URL a story was seen at -> id
  kFingerprints,  // content fingerprints -> id
  kSources,       // source name -> poll state
  kOutbox,        // topic\x1Fid\x1Fchannel -> pending alert
  kAlerts,        // same key -> delivered or dead alert
  kCfCount
};
constexpr const char* kCfNames[kCfCount] = {"default",      "articles", "timeline", "urls",
                                            "fingerprints", "sources",  "outbox",   "alerts"};

Error from_rocks(const rocksdb::Status& s, const std::string& what) {
  const ErrorCode code = s.IsCorruption() ? ErrorCode::corruption
                         : s.IsNotFound() ? ErrorCode::not_found
                         : s.IsIOError()  ? ErrorCode::io_error
                         : s.IsNoSpace()  ? ErrorCode::io_error
                                          : ErrorCode::io_error;
  return make_error(code, what + ": " + s.ToString());
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

}  // namespace

struct Store::Impl {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  StoreOptions options;
  std::string secondary_dir;
  rocksdb::WriteOptions write_options;
  // Serialises put_article's check-then-write so two workers cannot store one URL twice.
  std::mutex put_mutex;

  ~Impl() {
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

  Result<std::optional<std::string>> get(Cf c, std::string_view key) const {
    std::string value;
    const auto s =
        db->Get(rocksdb::ReadOptions(), cf(c), rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return from_rocks(s, "read");
    return std::optional<std::string>(std::move(value));
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
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.cache_index_and_filter_blocks = true;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t i = 0; i < kCfCount; ++i) {
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf_options.write_buffer_size = 16u << 20;
    // Article bodies compress well; zstd gives ~3x on text for little CPU.
    cf_options.compression = i == kArticles ? rocksdb::kZSTD : rocksdb::kLZ4Compression;
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
    s = rocksdb::DB::OpenAsSecondary(db_options, options.path, impl->secondary_dir, descriptors,
                                     &impl->cfs, &raw);
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
    if (is_db) {
      return make_error(ErrorCode::corruption,
                        options.path + ": a RocksDB database that newswatch did not create");
    }
    const auto ws =
        impl->db->Put(rocksdb::WriteOptions(), impl->cf(kDefault), kFormatKey, kFormatVersion);
    if (!ws.ok()) return from_rocks(ws, "writing format version");
  } else if (**version != kFormatVersion) {
    return make_error(ErrorCode::invalid_argument,
                      options.path + ": database format version " + **version +
                          " is not supported by this newswatch (supports " + kFormatVersion + ")");
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

std::string Store::article_id_for(std::string_view canonical_url) {
  return hex64(stable_hash64(canonical_url));
}

Result<std::optional<std::string>> Store::find_url(std::string_view url) const {
  return m_impl->get(kUrls, url);
}

Result<PutOutcome> Store::put_article(Article& article, std::vector<OutboxRecord> alerts) {
  const std::string& primary = article.canonical_url.empty() ? article.url : article.canonical_url;
  std::lock_guard lock(m_impl->put_mutex);
  std::vector<std::string> urls = {primary};
  if (!article.url.empty() && article.url != primary) urls.push_back(article.url);
  for (const auto& u : urls) {
    auto existing = find_url(u);
    if (!existing) return existing.error();
    if (existing->has_value()) return PutOutcome{false, **existing, 0};
  }
  article.id = article_id_for(primary);
  rocksdb::WriteBatch batch;
  batch.Put(m_impl->cf(kArticles), article.id, encode_article(article));
  batch.Put(m_impl->cf(kTimeline), timeline_key(article.fetched, article.id), "");
  for (const auto& u : urls) batch.Put(m_impl->cf(kUrls), u, article.id);
  PutOutcome outcome{true, article.id, 0};
  for (auto& alert : alerts) {
    alert.article_id = article.id;
    const std::string key = alert.key();
    auto pending = m_impl->get(kOutbox, key);
    if (!pending) return pending.error();
    auto done = m_impl->get(kAlerts, key);
    if (!done) return done.error();
    if (pending->has_value() || done->has_value()) continue;  // exactly once per story
    batch.Put(m_impl->cf(kOutbox), key, encode_outbox(alert));
    ++outcome.alerts_queued;
  }
  const auto s = m_impl->db->Write(m_impl->write_options, &batch);
  if (!s.ok()) return from_rocks(s, "storing article " + article.id);
  return outcome;
}

Result<std::optional<Article>> Store::get_article(std::string_view id) const {
  auto raw = m_impl->get(kArticles, id);
  if (!raw) return raw.error();
  if (!raw->has_value()) return std::optional<Article>();
  auto article = decode_article(**raw);
  if (!article) return article.error();
  return std::optional<Article>(std::move(*article));
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
  std::unique_ptr<rocksdb::Iterator> it(
      m_impl->db->NewIterator(rocksdb::ReadOptions(), m_impl->cf(kOutbox)));
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

Status Store::update_alert(const OutboxRecord& record) {
  rocksdb::WriteBatch batch;
  const std::string key = record.key();
  if (record.state == DeliveryState::pending) {
    batch.Put(m_impl->cf(kOutbox), key, encode_outbox(record));
  } else {
    batch.Delete(m_impl->cf(kOutbox), key);
    batch.Put(m_impl->cf(kAlerts), key, encode_outbox(record));
  }
  // Delivery marks are synced: losing one would resend an alert after a power cut.
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const auto s = m_impl->db->Write(wo, &batch);
  if (!s.ok()) return from_rocks(s, "updating alert");
  return Status();
}

Result<std::vector<OutboxRecord>> Store::alert_log(std::size_t limit) const {
  std::vector<OutboxRecord> out;
  std::unique_ptr<rocksdb::Iterator> it(
      m_impl->db->NewIterator(rocksdb::ReadOptions(), m_impl->cf(kAlerts)));
  for (it->SeekToFirst(); it->Valid() && out.size() < limit; it->Next()) {
    auto record = decode_outbox(std::string_view(it->value().data(), it->value().size()));
    if (!record) return record.error();
    out.push_back(std::move(*record));
  }
  if (!it->status().ok()) return from_rocks(it->status(), "reading alert log");
  return out;
}

Status Store::catch_up() {
  if (m_impl->secondary_dir.empty()) return Status();
  const auto s = m_impl->db->TryCatchUpWithPrimary();
  if (!s.ok()) return from_rocks(s, "catching up with the daemon");
  return Status();
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
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(m_impl->options.path, ec)) {
    if (entry.is_regular_file(ec)) st.disk_bytes += entry.file_size(ec);
  }
  return st;
}

}  // namespace newswatch::storage
