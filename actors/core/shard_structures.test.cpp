// A shard's entity table and a region's recovery gate, what the runtime relies on in each:
// stable nodes, every key found until it is erased and none after, through growth, erasure in
// runs and shrinking; never more permits out than the cap, and every permit handed on.

#include "actors/core/entity_table.hpp"
#include "actors/core/recovery_gate.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

using fp::actors::detail::entity_table;
using fp::actors::detail::recovery_gate;

namespace {

struct value {
  int n = 0;
};

/// The table agrees with a reference map on every key in `universe`, and lists each member
/// once.
void check_same(const entity_table<value>& t, const std::map<std::string, int>& ref,
                const std::vector<std::string>& universe) {
  REQUIRE(t.size() == ref.size());
  for (auto& k : universe) {
    auto* n = t.find(k);
    auto it = ref.find(k);
    if (it == ref.end()) {
      REQUIRE(n == nullptr);
    } else {
      REQUIRE(n != nullptr);
      CHECK(n->key == k);
      CHECK(n->value.n == it->second);
    }
  }
  std::set<std::string> listed;
  t.for_each([&](const std::string& k, const value& v) {
    CHECK(listed.insert(k).second);
    CHECK(ref.at(k) == v.n);
  });
  CHECK(listed.size() == ref.size());
}

} // namespace

TEST_CASE("the entity table finds every key until it is erased, and its nodes never move") {
  entity_table<value> t;
  CHECK(t.find("absent") == nullptr);
  CHECK_FALSE(t.erase("absent"));

  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i)
    keys.push_back("key-" + std::to_string(i));
  std::map<std::string, int> ref;
  std::map<std::string, const void*> address;
  for (int i = 0; i < static_cast<int>(keys.size()); ++i) {
    auto [n, inserted] = t.try_emplace(keys[i]);
    REQUIRE(inserted);
    CHECK(n->value.n == 0); // value-initialized
    n->value.n = i;
    ref[keys[i]] = i;
    address[keys[i]] = n;
  }
  CHECK(t.capacity() >= 2 * t.size()); // at most half full
  check_same(t, ref, keys);

  // A second emplace finds the node already there.
  auto [again, inserted] = t.try_emplace(keys[7]);
  CHECK_FALSE(inserted);
  CHECK(again->value.n == 7);
  CHECK(static_cast<const void*>(again) == address[keys[7]]);

  // Erase in a seeded random order, checking everything along the way: the backward shift of
  // a run must keep every remaining key reachable, and growth or shrinking must not move nodes.
  std::mt19937 rng{42};
  auto order = keys;
  std::shuffle(order.begin(), order.end(), rng);
  for (std::size_t i = 0; i < order.size(); ++i) {
    REQUIRE(t.erase(order[i]));
    CHECK_FALSE(t.erase(order[i]));
    ref.erase(order[i]);
    if (i % 500 == 0 || ref.size() < 20) {
      check_same(t, ref, keys);
      for (auto& [k, addr] : ref)
        CHECK(static_cast<const void*>(t.find(k)) == address[k]);
    }
  }
  CHECK(t.empty());
  CHECK(t.capacity() <= 16); // mostly-empty tables give their slots back
}

TEST_CASE("the entity table under churn: the same few keys inserted and erased in turn") {
  entity_table<value> t;
  std::map<std::string, int> ref;
  std::vector<std::string> keys;
  for (int i = 0; i < 7; ++i)
    keys.push_back(std::string(1, static_cast<char>('a' + i)));
  for (int round = 0; round < 200; ++round) {
    auto& k = keys[static_cast<std::size_t>(round * 5) % keys.size()];
    if (ref.count(k)) {
      REQUIRE(t.erase(k));
      ref.erase(k);
    } else {
      t.try_emplace(k).first->value.n = round;
      ref[k] = round;
    }
    check_same(t, ref, keys);
  }
}

TEST_CASE(
    "the recovery gate shares given-back permits among its waiters and never exceeds its cap") {
  recovery_gate gate{8};
  CHECK(gate.acquire(5, {}) == 5);
  CHECK(gate.acquire(5, {}) == 3); // what is left
  std::vector<std::uint32_t> woken(4, 0);
  auto waiter = [&](std::size_t i) { return [&woken, i](std::uint32_t n) { woken[i] += n; }; };
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(gate.acquire(4, waiter(i)) == 0); // none free: each waits, in this order
  CHECK(gate.acquire(1, {}) == 0);          // no wake: not queued

  gate.release(5); // the first holder's five over three waiters: 2, 2, 1, in the order they came
  CHECK(woken == std::vector<std::uint32_t>{2, 2, 1, 0});
  gate.release(1); // one of the second holder's three; nobody waits: back to the pool
  CHECK(gate.acquire(4, waiter(3)) == 1);
  CHECK(woken[3] == 0);
  CHECK(gate.high_water() == 8);

  // Out now: 2 (second holder), 5 (the woken), 1 (the last acquire). All given back, all 8
  // are free again, and still no more than 8 at once.
  gate.release(2 + 5 + 1);
  CHECK(gate.acquire(9, {}) == 8);
  CHECK(gate.acquire(1, waiter(3)) == 0);
  gate.release(8);
  CHECK(woken[3] == 8); // the only waiter takes all (it passes on what it does not need)
  CHECK(gate.high_water() == 8);
}
