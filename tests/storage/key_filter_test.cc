#include "storage/key_filter.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_set>
#include <vector>

namespace newswatch::storage {
namespace {

TEST(KeyFilter, EmptyHoldsNothing) {
  const KeyFilter filter;
  EXPECT_FALSE(filter.may_contain(0));
  EXPECT_FALSE(filter.may_contain(42));
  EXPECT_EQ(filter.size(), 0u);
}

TEST(KeyFilter, HoldsEveryAddedHashThroughGrowthAndRejectsAlmostAllOthers) {
  std::mt19937_64 rng(3);
  KeyFilter filter;
  std::vector<std::uint64_t> added;
  std::unordered_set<std::uint64_t> seen;
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t h = rng();
    added.push_back(h);
    seen.insert(h);
    filter.add(h);
    if (i == 500) {
      // Before the first doubling...
      for (const std::uint64_t a : added) ASSERT_TRUE(filter.may_contain(a));
    }
  }
  // ...and after eight of them.
  for (const std::uint64_t a : added) ASSERT_TRUE(filter.may_contain(a));
  // 200,000 random tags of 32 bits: about 200,000^2 / 2^33 ~ 5 pairs share one.
  EXPECT_GE(filter.size(), 199980u);
  EXPECT_LE(filter.size(), 200000u);
  EXPECT_GE(filter.memory_bytes(), 200000u * 4 * 4 / 3);
  size_t passed = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t h = rng();
    if (!seen.count(h) && filter.may_contain(h)) ++passed;
  }
  // A never-added hash passes when its tag was added: 200,000 / 2^32 of them, ~9 of 200,000.
  EXPECT_LE(passed, 40u);
}

TEST(KeyFilter, AddingTwiceKeepsOneTagAndHashesFoldingToZeroWork) {
  KeyFilter filter;
  filter.add(7);
  filter.add(7);
  EXPECT_EQ(filter.size(), 1u);
  // Both halves equal: the folded tag is 0, which marks empty slots; it must still be found.
  const std::uint64_t folds_to_zero = 0x1234567812345678ULL;
  EXPECT_FALSE(filter.may_contain(folds_to_zero));
  filter.add(folds_to_zero);
  EXPECT_TRUE(filter.may_contain(folds_to_zero));
  EXPECT_TRUE(filter.may_contain(7));
}

}  // namespace
}  // namespace newswatch::storage
