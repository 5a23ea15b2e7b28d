// Opening what a killed process left behind: a database whose creation was cut short (RocksDB
// created it, the format version was never written) is adopted; a RocksDB database with someone
// else's data is still refused. Found by tests/e2e/crash_test.cc (a SIGKILL 100 ms after start).
#include <rocksdb/db.h>

#include <gtest/gtest.h>

#include "storage/store.h"
#include "tests/support/sandbox.h"

namespace newswatch::storage {
namespace {

class StoreOpenTest : public testing::SandboxTest {
 protected:
  // A bare RocksDB at sandbox()/db, holding `key` in its default family when non-empty.
  std::string raw_database(const std::string& key) {
    const std::string path = (sandbox() / "db").string();
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    EXPECT_TRUE(rocksdb::DB::Open(options, path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    if (!key.empty()) {
      EXPECT_TRUE(db->Put(rocksdb::WriteOptions(), key, "value").ok());
    }
    return path;
  }
};

TEST_F(StoreOpenTest, AnEmptyDatabaseFromAnInterruptedCreationIsAdopted) {
  StoreOptions options;
  options.path = raw_database("");
  auto store = Store::open(options);
  ASSERT_TRUE(store) << store.error().to_string();
  Article a;
  a.url = a.canonical_url = "https://example.org/a";
  a.source = "test";
  a.title = "Title";
  a.text = "Body text of the article.";
  ASSERT_TRUE((*store)->put_article(a, {}));
  store->reset();
  auto again = Store::open(options);  // and it is a newswatch database from now on
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ((*again)->list_articles(10, 0)->size(), 1u);
}

TEST_F(StoreOpenTest, ARocksDbWithOtherDataIsRefused) {
  StoreOptions options;
  options.path = raw_database("someone-elses-key");
  auto store = Store::open(options);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::corruption);
  EXPECT_NE(store.error().message.find("did not create"), std::string::npos)
      << store.error().message;
}

}  // namespace
}  // namespace newswatch::storage
