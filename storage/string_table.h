// StringTable and InlineStringTable: strings to dense indices for the hot loops of ingest
// (index_terms' per-thread memo of words and keys, the store's postings buffer), where
// std::unordered_map's node per entry costs a cache miss per lookup and a rehash of the key per
// table. Internal to storage/.
#pragma once

#include <bit>
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

// Strings to dense indices like StringTable, for a table probed far more often than it grows
// (index_terms()' per-thread word memo): a key of up to k_inline bytes sits zero-padded in its
// 32-byte slot, so a probe reads one cache line where StringTable reads a slot and a std::string.
// Longer keys live in one arena. Indices are 0..size()-1 in insertion order and stay valid until
// clear(). Not thread-safe.
class InlineStringTable {
 public:
  static constexpr std::size_t k_inline = 23;

  // A key prepared for lookup: its hash and, when inline, its padded bytes.
  struct Key {
    std::uint64_t words[3] = {};
    std::uint64_t hash = 0;
  };

  static Key key_of(std::string_view text) {
    Key q;
    if (text.size() <= k_inline) {
      unsigned char block[24] = {};
      block[0] = static_cast<unsigned char>(text.size());
      if (!text.empty()) std::memcpy(block + 1, text.data(), text.size());
      std::memcpy(q.words, block, sizeof block);
      q.hash = short_hash(q.words);
    } else {
      q.words[0] = k_long_marker;
      q.hash = StringTable::hash_of(text);
    }
    return q;
  }

  // key_of(text) for text whose buffer holds at least k_inline + 1 readable bytes from
  // text.data(): three word loads instead of a copy through a padded block.
  static void key_of_padded(std::string_view text, Key& q) {
    if (std::endian::native != std::endian::little || text.size() > k_inline) {
      q = key_of(text);
      return;
    }
    const char* p = text.data();
    const std::uint64_t len = text.size();
    std::uint64_t raw[3];
    std::memcpy(&raw[0], p, 8);
    std::memcpy(&raw[1], p + 7, 8);
    std::memcpy(&raw[2], p + 15, 8);
    // The low `bytes` bytes of a word (all of them from 8 on).
    const auto low = [](std::uint64_t w, std::uint64_t bytes) {
      return bytes >= 8 ? w : w & ((std::uint64_t{1} << (8 * bytes)) - 1);
    };
    const std::uint64_t w[3] = {low(len | (raw[0] << 8), len + 1),
                                low(raw[1], len > 7 ? len - 7 : 0),
                                low(raw[2], len > 15 ? len - 15 : 0)};
    q.words[0] = w[0];
    q.words[1] = w[1];
    q.words[2] = w[2];
    q.hash = short_hash(w);
  }

  // Asks the CPU to load the slot where a lookup of `q` starts; lookups of many keys prefetched
  // some keys ahead overlap their cache misses.
  // Always inlined: GCC 12 finds a function whose only effect is a prefetch "const" and deletes
  // every call to it (the prefetches of session 10 and 11 never ran, which is why they measured
  // as no gain).
  [[gnu::always_inline]] void prefetch(const Key& q) const {
    if (!m_slots.empty()) __builtin_prefetch(&m_slots[q.hash & (m_slots.size() - 1)]);
  }

  // The index of `key`, appended as size() when absent; `inserted` says which.
  std::uint32_t intern(std::string_view key, bool& inserted) {
    return intern(key, key_of(key), inserted);
  }

  // The same for `key` prepared as `q` (key_of(key)).
  std::uint32_t intern(std::string_view key, const Key& q, bool& inserted) {
    if ((m_count + 1) * 4 > m_slots.size() * 3) [[unlikely]] {
      grow();
    }
    const std::size_t mask = m_slots.size() - 1;
    const auto tag = static_cast<std::uint32_t>(q.hash >> 32);
    for (std::size_t i = q.hash & mask;; i = (i + 1) & mask) {
      Slot& slot = m_slots[i];
      if (slot.index == 0) [[unlikely]] {
        inserted = true;
        return insert(slot, key, q, tag);
      }
      if (slot.tag != tag) continue;
      std::uint64_t have[3];
      std::memcpy(have, slot.key, sizeof have);
      if (key.size() <= k_inline) {
        if (have[0] == q.words[0] && have[1] == q.words[1] && have[2] == q.words[2]) {
          inserted = false;
          return slot.index - 1;
        }
      } else if (have[0] == k_long_marker && have[2] == key.size() &&
                 std::string_view(m_arena).substr(have[1], have[2]) == key) {
        inserted = false;
        return slot.index - 1;
      }
    }
  }

  std::size_t size() const { return m_count; }
  bool empty() const { return m_count == 0; }

  // Forgets every key; keeps the allocated slots.
  void clear() {
    m_count = 0;
    m_arena.clear();
    for (Slot& s : m_slots) s = Slot{};
  }

 private:
  // Byte 0 of an inline key is its length (<= 23); a long key's slot holds this marker, then its
  // arena offset and length.
  static constexpr std::uint64_t k_long_marker = 0xFF;

  struct alignas(32) Slot {
    std::uint32_t tag = 0;    // high half of the hash
    std::uint32_t index = 0;  // key index + 1; 0 = free
    unsigned char key[24] = {};
  };
  static_assert(sizeof(Slot) == 32);

  struct Probe {
    std::uint64_t words[3] = {};
    std::uint64_t hash = 0;
  };

  // Hash of an inline key, from its three zero-padded words (byte order dependent, in-process).
  static std::uint64_t short_hash(const std::uint64_t* w) {
    std::uint64_t h = (w[0] ^ 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
    h = (h ^ w[1]) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
    h = (h ^ w[2]) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return h;
  }

  // Fills the free `slot` with `key` (prepared as `q`) as the next index.
  [[gnu::noinline]] std::uint32_t insert(Slot& slot, std::string_view key, const Key& q,
                                         std::uint32_t tag) {
    slot.tag = tag;
    slot.index = static_cast<std::uint32_t>(++m_count);
    if (key.size() <= k_inline) {
      std::memcpy(slot.key, q.words, sizeof slot.key);
    } else {
      const std::uint64_t where[3] = {k_long_marker, m_arena.size(), key.size()};
      std::memcpy(slot.key, where, sizeof slot.key);
      m_arena.append(key);
    }
    return slot.index - 1;
  }

  std::uint64_t hash_of_slot(const Slot& slot) const {
    std::uint64_t w[3];
    std::memcpy(w, slot.key, sizeof w);
    if (w[0] == k_long_marker)
      return StringTable::hash_of(std::string_view(m_arena).substr(w[1], w[2]));
    return short_hash(w);
  }

  [[gnu::noinline]] void grow() {
    std::vector<Slot> old(m_slots.empty() ? 1024 : m_slots.size() * 2);
    old.swap(m_slots);
    const std::size_t mask = m_slots.size() - 1;
    for (const Slot& slot : old) {
      if (slot.index == 0) continue;
      std::size_t i = hash_of_slot(slot) & mask;
      while (m_slots[i].index != 0) i = (i + 1) & mask;
      m_slots[i] = slot;
    }
  }

  std::size_t m_count = 0;
  std::string m_arena;
  std::vector<Slot> m_slots;
};

// A small two-way set-associative cache of short keys (prepared as InlineStringTable::Key) to
// their indices, in front of an InlineStringTable: news text is Zipfian, and a cache of 16,384
// keys in 512 KB answers ~88% of the benches' words from the core's L2 cache, where the whole table
// (megabytes, probed at random) is evicted between articles by their other work. (8,192 keys in
// 256 KB until session 13: the larger cache measured the same while the table's prefetches did
// not run; since they do, 2-5% less CPU per article in interleaved runs; 32,768 keys in 1 MB was no
// better.) A set is
// one cache line; a hit in the second way swaps the two, a miss puts the key first and drops the
// second (least recently used). Long keys are never cached. Not thread-safe.
class HotKeyCache {
 public:
  static constexpr std::size_t k_sets = 8192;

  // The index cached for `q`, or -1.
  std::int64_t find(const InlineStringTable::Key& q) {
    Set& set = m_sets[q.hash & (k_sets - 1)];
    const auto tag = static_cast<std::uint32_t>(q.hash >> 32);
    if (matches(set.way[0], q, tag)) return set.way[0].index - 1;
    if (matches(set.way[1], q, tag)) {
      std::swap(set.way[0], set.way[1]);
      return set.way[0].index - 1;
    }
    return -1;
  }

  // Asks the CPU to load the set where find(q) looks (always inlined, as
  // InlineStringTable::prefetch).
  [[gnu::always_inline]] void prefetch(const InlineStringTable::Key& q) const {
    __builtin_prefetch(&m_sets[q.hash & (k_sets - 1)]);
  }

  // Whether find(q) would answer, without changing the order.
  bool contains(const InlineStringTable::Key& q) const {
    const Set& set = m_sets[q.hash & (k_sets - 1)];
    const auto tag = static_cast<std::uint32_t>(q.hash >> 32);
    return matches(set.way[0], q, tag) || matches(set.way[1], q, tag);
  }

  // Caches `index` for the key `q` of `size` bytes, which find() did not know.
  void insert(const InlineStringTable::Key& q, std::size_t size, std::uint32_t index) {
    if (size > InlineStringTable::k_inline) return;
    Set& set = m_sets[q.hash & (k_sets - 1)];
    set.way[1] = set.way[0];
    set.way[0] = Slot{
        {q.words[0], q.words[1], q.words[2]}, static_cast<std::uint32_t>(q.hash >> 32), index + 1};
  }

 private:
  struct Slot {
    std::uint64_t words[3] = {};  // InlineStringTable::Key::words
    std::uint32_t tag = 0;        // high half of the key's hash
    std::uint32_t index = 0;      // index + 1; 0 = empty
  };
  struct alignas(64) Set {
    Slot way[2];
  };
  static_assert(sizeof(Set) == 64);

  static bool matches(const Slot& s, const InlineStringTable::Key& q, std::uint32_t tag) {
    return s.tag == tag && s.index != 0 && s.words[0] == q.words[0] && s.words[1] == q.words[1] &&
           s.words[2] == q.words[2];
  }

  std::vector<Set> m_sets = std::vector<Set>(k_sets);
};

}  // namespace newswatch::storage
