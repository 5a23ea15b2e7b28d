// KeyFilter: an in-memory set of 32-bit tags of 64-bit key hashes, in front of RocksDB lookups
// of keys that are mostly absent (a new story's URL keys and exact hash).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace newswatch::storage {

// Answers "certainly never added" for most hashes never added, from one cache line, where a
// RocksDB Get of an absent key probes the memtables and a Bloom filter per level (~5 us each at
// a million articles, three per article: docs/storage.md, session 12). Keeps a 32-bit tag of
// each hash, so a hash never added passes as "maybe" with a chance of about size() / 2^32 (a
// wasted Get, never a wrong answer). Keys are never removed: a deleted key stays a "maybe".
// Open addressing with linear probing at most 3/4 full; a slot's position comes from its tag,
// so the table can double without the original hashes. 4 bytes per slot: ~11 bytes per key on
// average. Not thread-safe.
class KeyFilter {
 public:
  // Adds the key hashed as `hash`.
  void add(std::uint64_t hash) {
    if ((m_count + 1) * 4 > m_slots.size() * 3) grow();
    const std::uint32_t t = tag(hash);
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = t & mask;; i = (i + 1) & mask) {
      if (m_slots[i] == t) return;
      if (m_slots[i] == 0) {
        m_slots[i] = t;
        ++m_count;
        return;
      }
    }
  }

  // False when no key hashed as `hash` was added.
  bool may_contain(std::uint64_t hash) const {
    if (m_slots.empty()) return false;
    const std::uint32_t t = tag(hash);
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = t & mask;; i = (i + 1) & mask) {
      if (m_slots[i] == t) return true;
      if (m_slots[i] == 0) return false;
    }
  }

  // Distinct tags held.
  std::size_t size() const { return m_count; }
  std::size_t memory_bytes() const { return m_slots.capacity() * sizeof(std::uint32_t); }

 private:
  // The two halves folded (the callers' hashes are mixed in both); 0 marks an empty slot.
  static std::uint32_t tag(std::uint64_t hash) {
    const auto t = static_cast<std::uint32_t>(hash ^ (hash >> 32));
    return t == 0 ? 1 : t;
  }

  void grow() {
    std::vector<std::uint32_t> old;
    old.swap(m_slots);
    m_slots.assign(old.empty() ? 1024 : old.size() * 2, 0);
    const std::size_t mask = m_slots.size() - 1;
    for (const std::uint32_t t : old) {
      if (t == 0) continue;
      std::size_t i = t & mask;
      while (m_slots[i] != 0) i = (i + 1) & mask;
      m_slots[i] = t;
    }
  }

  std::vector<std::uint32_t> m_slots;
  std::size_t m_count = 0;
};

}  // namespace newswatch::storage
