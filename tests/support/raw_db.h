// A raw RocksDB view of a closed Store directory, for storage tests that inspect or rewrite what
// the Store wrote (format downgrades, postings checks). Header-only, so only the suites that
// include it (they link newswatch_storage, hence RocksDB) need the library.
#pragma once

#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace newswatch::testing {

// Every column family of the database at a path, opened at once. The destructor closes the
// handles, then the database; iterators taken from it must be gone by then.
class RawDb {
 public:
  enum class Access { read_only, read_write };

  // Opens the database at `path` with all its column families and default options. Never throws:
  // on failure ok() is false and error() says why.
  static RawDb open(const std::string& path, Access access) {
    RawDb out;
    std::vector<std::string> names;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
    if (!s.ok()) {
      out.m_error = s.ToString();
      return out;
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* raw = nullptr;
    s = access == Access::read_only
            ? rocksdb::DB::OpenForReadOnly(rocksdb::Options(), path, descriptors, &out.m_handles,
                                           &raw)
            : rocksdb::DB::Open(rocksdb::Options(), path, descriptors, &out.m_handles, &raw);
    out.m_db.reset(raw);
    if (!s.ok()) out.m_error = s.ToString();
    return out;
  }

  RawDb(RawDb&& other) noexcept
      : m_db(std::move(other.m_db)),
        m_handles(std::exchange(other.m_handles, {})),
        m_error(std::move(other.m_error)) {}
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  RawDb& operator=(RawDb&&) = delete;
  ~RawDb() {
    if (!m_db) return;
    for (auto* h : m_handles) m_db->DestroyColumnFamilyHandle(h);
  }

  bool ok() const { return m_db != nullptr && m_error.empty(); }
  const std::string& error() const { return m_error; }
  rocksdb::DB* db() const { return m_db.get(); }

  // The handle of the column family called `name`, or nullptr when the database has none.
  rocksdb::ColumnFamilyHandle* family(std::string_view name) const {
    for (auto* h : m_handles) {
      if (h->GetName() == name) return h;
    }
    return nullptr;
  }

 private:
  RawDb() = default;

  std::unique_ptr<rocksdb::DB> m_db;
  std::vector<rocksdb::ColumnFamilyHandle*> m_handles;
  std::string m_error;
};

}  // namespace newswatch::testing
