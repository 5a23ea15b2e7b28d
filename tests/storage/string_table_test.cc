// InlineStringTable and the HotKeyCache in front of it (storage/string_table.h): the word memo of
// index_terms() relies on both giving every key one stable index.
#include "storage/string_table.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace newswatch::storage {
namespace {

TEST(InlineStringTable, InternsShortAndLongKeysOnce) {
  InlineStringTable table;
  std::map<std::string, std::uint32_t> seen;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 5000; ++i) {
      // Keys of 1 to 40 bytes: inline up to 23, in the arena beyond.
      const std::string key = std::string(static_cast<size_t>(i % 40), 'x') + std::to_string(i);
      bool inserted = false;
      const std::uint32_t index = table.intern(key, inserted);
      EXPECT_EQ(inserted, round == 0) << key;
      if (round == 0) {
        EXPECT_EQ(index, seen.size()) << key;
        seen.emplace(key, index);
      } else {
        EXPECT_EQ(index, seen.at(key)) << key;
      }
    }
  }
  EXPECT_EQ(table.size(), seen.size());
}

// Short keys whose cache set is the same as the first one's.
std::vector<std::string> keys_in_one_set(size_t count) {
  std::vector<std::string> out;
  std::uint64_t set = 0;
  for (int i = 0; out.size() < count; ++i) {
    const std::string key = "w" + std::to_string(i);
    const InlineStringTable::Key q = InlineStringTable::key_of(key);
    const std::uint64_t s = q.hash & (HotKeyCache::k_sets - 1);
    if (out.empty()) set = s;
    if (s == set) out.push_back(key);
  }
  return out;
}

TEST(HotKeyCache, KeepsTheTwoMostRecentlyUsedKeysOfASet) {
  HotKeyCache cache;
  const std::vector<std::string> keys = keys_in_one_set(3);
  const auto q = [&](size_t i) { return InlineStringTable::key_of(keys[i]); };
  EXPECT_EQ(cache.find(q(0)), -1);
  cache.insert(q(0), keys[0].size(), 10);
  cache.insert(q(1), keys[1].size(), 11);
  EXPECT_TRUE(cache.contains(q(0)));
  EXPECT_TRUE(cache.contains(q(1)));
  EXPECT_EQ(cache.find(q(0)), 10);  // now the most recent; key 1 is next to go
  cache.insert(q(2), keys[2].size(), 12);
  EXPECT_EQ(cache.find(q(1)), -1);
  EXPECT_EQ(cache.find(q(0)), 10);
  EXPECT_EQ(cache.find(q(2)), 12);
}

TEST(HotKeyCache, TellsKeysWithTheSameSetApartAndSkipsLongKeys) {
  HotKeyCache cache;
  // Many keys, most sharing sets with others: every answer is the index cached for that key.
  std::map<std::string, std::uint32_t> cached;
  for (std::uint32_t i = 0; i < 20000; ++i) {
    const std::string key = "k" + std::to_string(i * 7919);
    const InlineStringTable::Key q = InlineStringTable::key_of(key);
    const std::int64_t found = cache.find(q);
    if (found >= 0) {
      EXPECT_EQ(found, cached.at(key)) << key;
    } else {
      cache.insert(q, key.size(), i);
      cached[key] = i;
    }
    // Revisit an earlier key now and then: a hit must give its own index.
    const std::string earlier = "k" + std::to_string((i / 3) * 7919);
    const std::int64_t again = cache.find(InlineStringTable::key_of(earlier));
    if (again >= 0) {
      EXPECT_EQ(again, cached.at(earlier)) << earlier;
    }
  }
  const std::string long_key(30, 'z');
  const InlineStringTable::Key q = InlineStringTable::key_of(long_key);
  cache.insert(q, long_key.size(), 1);
  EXPECT_EQ(cache.find(q), -1);
}

}  // namespace
}  // namespace newswatch::storage
