// StringTable: strings to dense indices for the hot loops of ingest (index_terms' per-thread word
// memo, the store's postings buffer), where std::unordered_map's node per entry costs a cache
// miss per lookup and a rehash of the key per table. Internal to storage/.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace newswatch::storage {

// Open addressing over (hash tag, index) slots; keys live in one vector, indices are 0..size()-1
// in insertion order and stay valid until clear(). Not thread-safe.
class StringTable {
 public:
  // The hash every method takes with its key: eight bytes at a time with a final mix (in-process
  // only; it depends on the byte order).
  static std::uint64_t hash_of(std::string_view key) {
    const char* p = key.data();
    std::size_t n = key.size();
    std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
    while (n >= 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, p, 8);
      h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
      h ^= h >> 29;
      p += 8;
      n -= 8;
    }
    if (n > 0) {
      std::uint64_t w = 0;
      std::memcpy(&w, p, n);
      h = (h ^ w) * 0x94d049bb133111ebULL;
    }
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return h;
  }

  // The index of `key` (hash_of(key) is `hash`), appended as size() when absent; `inserted` says
  // which.
  std::uint32_t intern(std::string_view key, std::uint64_t hash, bool& inserted) {
    if ((m_keys.size() + 1) * 2 > m_slots.size()) grow();
    const std::size_t mask = m_slots.size() - 1;
    const auto tag = static_cast<std::uint32_t>(hash >> 32);
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot& slot = m_slots[i];
      if (slot.index == 0) {
        slot = Slot{tag, static_cast<std::uint32_t>(m_keys.size() + 1)};
        m_keys.emplace_back(key);
        m_hashes.push_back(hash);
        inserted = true;
        return slot.index - 1;
      }
      if (slot.tag == tag && m_keys[slot.index - 1] == key) {
        inserted = false;
        return slot.index - 1;
      }
    }
  }

  const std::string& key(std::uint32_t index) const { return m_keys[index]; }
  std::uint64_t hash(std::uint32_t index) const { return m_hashes[index]; }
  std::size_t size() const { return m_keys.size(); }
  bool empty() const { return m_keys.empty(); }

  // Forgets every key; keeps the allocated slots.
  void clear() {
    m_keys.clear();
    m_hashes.clear();
    for (Slot& s : m_slots) s = Slot{};
  }

 private:
  struct Slot {
    std::uint32_t tag = 0;    // high half of the hash
    std::uint32_t index = 0;  // key index + 1; 0 = free
  };

  void grow() {
    m_slots.assign(m_slots.empty() ? 1024 : m_slots.size() * 2, Slot{});
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t n = 0; n < m_keys.size(); ++n) {
      std::size_t i = m_hashes[n] & mask;
      while (m_slots[i].index != 0) i = (i + 1) & mask;
      m_slots[i] =
          Slot{static_cast<std::uint32_t>(m_hashes[n] >> 32), static_cast<std::uint32_t>(n + 1)};
    }
  }

  std::vector<std::string> m_keys;
  std::vector<std::uint64_t> m_hashes;
  std::vector<Slot> m_slots;
};

}  // namespace newswatch::storage
