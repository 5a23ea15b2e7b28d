// A raw RocksDB view of a closed Store directory, for storage tests that inspect or rewrite what
// the Store wrote (format downgrades, postings checks). Header-only, so only the suites that
// include it (they link newswatch_storage, hence RocksDB) need the library.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/postings_block.h"

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

struct PostingsEntry {
  std::uint64_t doc = 0;
  storage::Posting posting;
};

// Calls fn(key, entries) for every postings block of the closed database at `path`, in key
// order: the key as stored (a generation prefix from format 4 on, the index key, a NUL, the block
// number) and the block's entries, decoded as the block number's top bit says (delta or plain).
// Generation watermarks (a generation prefix alone) are skipped. A block that does not decode
// fails the test.
template <typename Fn>
void for_each_postings_block(const std::string& path, Fn&& fn) {
  const auto raw = RawDb::open(path, RawDb::Access::read_only);
  ASSERT_TRUE(raw.ok()) << raw.error();
  auto* postings = raw.family("postings");
  ASSERT_NE(postings, nullptr);
  std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), postings));
  std::vector<PostingsEntry> entries;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    if (key.size() == 5 && key[0] == '\0') continue;
    ASSERT_GT(key.size(), 9u) << "postings key too short";
    storage::BlockReader block(std::string_view(it->value().data(), it->value().size()),
                               storage::is_delta_block_key(key));
    entries.clear();
    while (!block.done()) {
      PostingsEntry e;
      ASSERT_TRUE(block.next(e.doc, e.posting)) << "bad block " << key;
      entries.push_back(e);
    }
    fn(key, entries);
  }
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
}

}  // namespace newswatch::testing
