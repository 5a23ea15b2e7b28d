#include "storage/rocks_baseline.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <chrono>
#include <memory>

namespace newswatch::storage {

Result<double> time_raw_puts(const std::string& path,
                             const std::vector<std::pair<std::string, std::string>>& records) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.error_if_exists = true;
  options.max_background_jobs = 2;
  options.write_buffer_size = 16u << 20;  // as the store's column families
  options.compression = rocksdb::kLZ4Compression;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, path, &raw);
  if (!s.ok()) return make_error(ErrorCode::io_error, "opening " + path + ": " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  const rocksdb::WriteOptions wo;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [key, value] : records) {
    s = db->Put(wo, key, value);
    if (!s.ok()) return make_error(ErrorCode::io_error, "writing: " + s.ToString());
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace newswatch::storage
