#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fp::actors::detail {

/// A shard's entities by key: open addressing with linear probing over (hash, node) pairs, at
/// most half full. Each entity lives in its own node, whose address never changes while it is
/// in the table (entities point at their key and at each other).
///
/// Why not std::unordered_map: a lookup of a key it does not hold (every first command to an
/// entity) reads the bucket, the node before the bucket's first, then each node of the chain
/// for its hash, which sits after the entity's state: four cache misses once a shard holds
/// more entities than the caches do. Here a lookup reads one slot (two for a near neighbour),
/// and a node only when its hash matches.
template <class V>
class entity_table {
public:
  struct node {
    explicit node(std::string_view k)
        : key(k) {}
    const std::string key;
    V value{};
  };

  entity_table() = default;
  entity_table(const entity_table&) = delete;
  entity_table& operator=(const entity_table&) = delete;
  ~entity_table() {
    for (auto& s : slots_)
      delete s.n;
  }

  static std::uint64_t hash(std::string_view key) {
    // std::hash's low bits index the slots; spread them so that keys differing only in their
    // last bytes (key-000001, key-000002, …) do not crowd one run of slots.
    auto h = static_cast<std::uint64_t>(std::hash<std::string_view>{}(key));
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h;
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// Slots allocated (tests and memory accounting).
  std::size_t capacity() const noexcept { return slots_.size(); }

  node* find(std::string_view key) const { return find(key, hash(key)); }

  node* find(std::string_view key, std::uint64_t h) const {
    if (slots_.empty())
      return nullptr;
    for (auto i = h & mask_;; i = (i + 1) & mask_) {
      const auto& s = slots_[i];
      if (s.n == nullptr)
        return nullptr;
      if (s.hash == h && s.n->key == key)
        return s.n;
    }
  }

  /// The node of `key`, inserted (with a value-initialized V) if absent; second: inserted.
  std::pair<node*, bool> try_emplace(std::string_view key) {
    auto h = hash(key);
    if (auto* n = find(key, h))
      return {n, false};
    if ((size_ + 1) * 2 > slots_.size())
      resize(std::max<std::size_t>(min_capacity, slots_.size() * 2));
    auto owned = std::make_unique<node>(key);
    place({h, owned.get()});
    ++size_;
    return {owned.release(), true};
  }

  /// Removes `key` and destroys its node; false if absent.
  bool erase(std::string_view key) {
    if (slots_.empty())
      return false;
    auto h = hash(key);
    auto i = h & mask_;
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].n == nullptr)
        return false;
      if (slots_[i].hash == h && slots_[i].n->key == key)
        break;
    }
    delete slots_[i].n;
    // Backward shift: pull later members of the run into the hole when their home slot is
    // not cyclically in (hole, their slot], so that every lookup still meets them before an
    // empty slot. No tombstones.
    for (auto j = (i + 1) & mask_; slots_[j].n != nullptr; j = (j + 1) & mask_) {
      auto home = slots_[j].hash & mask_;
      bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!stays) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = {};
    --size_;
    // Give the slots back once mostly empty (passivation empties a shard that was full).
    if (slots_.size() > min_capacity && size_ * 8 < slots_.size())
      resize(
          std::max<std::size_t>(min_capacity, std::bit_ceil(std::max<std::size_t>(size_ * 4, 1))));
    return true;
  }

  /// Calls fn(key, value) for every entity, in no particular order. The table must not change
  /// meanwhile.
  template <class F>
  void for_each(F&& fn) const {
    for (const auto& s : slots_)
      if (s.n != nullptr)
        fn(s.n->key, s.n->value);
  }

private:
  static constexpr std::size_t min_capacity = 16;

  struct slot {
    std::uint64_t hash = 0;
    node* n = nullptr;
  };

  void place(slot s) {
    auto i = s.hash & mask_;
    while (slots_[i].n != nullptr)
      i = (i + 1) & mask_;
    slots_[i] = s;
  }

  void resize(std::size_t capacity) {
    std::vector<slot> old(capacity);
    old.swap(slots_);
    mask_ = capacity - 1;
    for (auto& s : old)
      if (s.n != nullptr)
        place(s);
  }

  std::vector<slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

} // namespace fp::actors::detail
