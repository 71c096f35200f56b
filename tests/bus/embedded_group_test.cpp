// Consumer groups of the embedded bus beyond the conformance suite: the revoke/assign handoff
// (the old owner commits in on_revoked, the new owner starts there), session expiry, the
// checkpoint rule, assignment strategies and the reset policy.

#include "bus/embedded/embedded_bus.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <unistd.h>

using namespace fp::bus;

namespace {

const admin_context who{"test", "group test", "2026-01-01T00:00:00Z"};

struct fixture {
  std::filesystem::path dir;
  std::unique_ptr<fp::journal::journal> journal;
  std::unique_ptr<event_bus> bus;

  explicit fixture(assignment_strategy s = assignment_strategy::range) {
    static std::atomic<int> counter{0};
    dir = std::filesystem::temp_directory_path() /
          ("fp-bus-group-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    fp::journal::options o;
    o.dir = dir;
    journal = fp::journal::journal::open(o).value();
    embedded_options eo;
    eo.assignment = s;
    bus = open_embedded_bus(*journal, eo).value();
    REQUIRE(bus->create_topic({std::string(control_topic), 1, -1, -1}, who).has_value());
    REQUIRE(bus->create_topic({"t", 4, -1, -1}, who).has_value());
  }
  ~fixture() {
    bus.reset();
    journal.reset();
    std::filesystem::remove_all(dir);
  }
  void produce_each(int per_partition) {
    for (int i = 0; i < per_partition; ++i)
      for (int p = 0; p < 4; ++p)
        REQUIRE(bus->produce({"t", "k", "p" + std::to_string(p) + "-" + std::to_string(i), {}, p})
                    .has_value());
  }
};

group_options opts(std::string member,
                   std::chrono::milliseconds session = std::chrono::seconds(30)) {
  group_options g;
  g.group_id = "g";
  g.topics = {"t"};
  g.member_name = std::move(member);
  g.session_timeout = session;
  return g;
}

std::set<std::int32_t> parts(const consumer& c) {
  std::set<std::int32_t> out;
  for (auto& tp : c.assignment())
    out.insert(tp.partition);
  return out;
}

} // namespace

TEST_CASE("embedded groups: the old owner commits in on_revoked, the new owner starts there") {
  fixture f;
  f.produce_each(5);
  consumer* a_ptr = nullptr;
  std::vector<message> a_got;
  std::vector<topic_partition> revoked, assigned_b;
  auto ga = opts("a");
  ga.on_revoked = [&](const std::vector<topic_partition>& tps) {
    revoked = tps;
    // Commit what was processed of the partitions being taken away, and only that.
    std::vector<topic_partition_offset> done;
    for (auto& tp : tps) {
      std::int64_t next = 0;
      for (auto& m : a_got)
        if (m.partition == tp.partition)
          next = std::max(next, m.offset + 1);
      done.push_back({tp.topic, tp.partition, next});
    }
    REQUIRE(a_ptr->commit(done).has_value());
  };
  auto a = f.bus->subscribe(ga);
  REQUIRE(a.has_value());
  a_ptr = a->get();
  // a reads 2 records of partition 2 and 3 (and everything else), before b joins.
  auto first = (*a)->poll(100, std::chrono::milliseconds(100));
  REQUIRE(first.has_value());
  CHECK(first->size() == 20);
  for (auto& m : *first)
    if (m.offset < 2)
      a_got.push_back(m);
  auto gb = opts("b");
  std::vector<topic_partition> revoked_b;
  gb.on_assigned = [&](const std::vector<topic_partition>& tps) { assigned_b = tps; };
  gb.on_revoked = [&](const std::vector<topic_partition>& tps) { revoked_b = tps; };
  auto b = f.bus->subscribe(gb);
  REQUIRE(b.has_value());
  // b gets nothing until a has given its partitions up.
  auto early = (*b)->poll(100, std::chrono::milliseconds(10));
  REQUIRE(early.has_value());
  CHECK(early->empty());
  CHECK((*b)->assignment().empty());
  REQUIRE((*a)->poll(100, std::chrono::milliseconds(10)).has_value());
  CHECK(revoked == std::vector<topic_partition>{{"t", 2}, {"t", 3}});
  CHECK(parts(**a) == std::set<std::int32_t>{0, 1});
  auto got = (*b)->poll(100, std::chrono::milliseconds(100));
  REQUIRE(got.has_value());
  CHECK(assigned_b == std::vector<topic_partition>{{"t", 2}, {"t", 3}});
  CHECK(parts(**b) == std::set<std::int32_t>{2, 3});
  REQUIRE(got->size() == 6); // offsets 2..4 of partitions 2 and 3
  for (auto& m : *got)
    CHECK(m.offset >= 2);
  CHECK(f.bus->stats().rebalances >= 2);
  // Closing revokes (the member may commit there) and hands the partitions back to a.
  (*b)->close();
  CHECK(revoked_b == std::vector<topic_partition>{{"t", 2}, {"t", 3}});
  CHECK((*b)->assignment().empty());
  auto back = (*a)->poll(100, std::chrono::milliseconds(100));
  REQUIRE(back.has_value());
  CHECK(parts(**a) == std::set<std::int32_t>{0, 1, 2, 3});
  auto closed = (*b)->poll(1, std::chrono::milliseconds(1));
  REQUIRE_FALSE(closed.has_value());
  CHECK(closed.error().is(errc::closed));
}

TEST_CASE("embedded groups: a member that stops polling is removed after its session timeout") {
  fixture f;
  f.produce_each(1);
  auto a = f.bus->subscribe(opts("a", std::chrono::milliseconds(200)));
  REQUIRE(a.has_value());
  REQUIRE((*a)->poll(100, std::chrono::milliseconds(10)).has_value());
  CHECK(parts(**a).size() == 4);
  auto b = f.bus->subscribe(opts("b"));
  REQUIRE(b.has_value());
  std::vector<message> got;
  for (int i = 0; i < 100 && parts(**b).size() < 4; ++i) {
    auto batch = (*b)->poll(100, std::chrono::milliseconds(100));
    REQUIRE(batch.has_value());
    got.insert(got.end(), batch->begin(), batch->end());
  }
  CHECK(parts(**b).size() == 4);
  CHECK(got.size() == 4); // a never committed: everything is delivered again
  auto late = (*a)->commit({{"t", 0, 1}});
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error().is(errc::not_assigned));
}

TEST_CASE("embedded groups: checkpoints never move back unless the member seeked below them") {
  fixture f;
  f.produce_each(10);
  auto a = f.bus->subscribe(opts("a"));
  REQUIRE(a.has_value());
  REQUIRE((*a)->poll(100, std::chrono::milliseconds(10)).has_value());
  REQUIRE((*a)->commit({{"t", 0, 5}}).has_value());
  auto back = (*a)->commit({{"t", 0, 3}});
  REQUIRE_FALSE(back.has_value());
  CHECK(back.error().is(errc::invalid_argument));
  CHECK(back.error().message().find("back from 5") != std::string::npos);
  auto beyond = (*a)->commit({{"t", 0, 11}});
  REQUIRE_FALSE(beyond.has_value());
  CHECK(beyond.error().is(errc::offset_out_of_range));
  REQUIRE((*a)->seek({"t", 0, 2}).has_value());
  REQUIRE((*a)->commit({{"t", 0, 3}}).has_value()); // an intended replay
  auto lag = f.bus->lag("g", "t");
  REQUIRE(lag.has_value());
  CHECK((*lag)[0].committed == 3);
  CHECK((*lag)[0].lag == 7);
}

TEST_CASE("embedded groups: range and round-robin assignment, reset latest") {
  for (auto s : {assignment_strategy::range, assignment_strategy::round_robin}) {
    fixture f(s);
    f.produce_each(3);
    auto a = f.bus->subscribe(opts("a"));
    REQUIRE(a.has_value());
    REQUIRE((*a)->poll(100, std::chrono::milliseconds(10)).has_value());
    auto gb = opts("b");
    gb.reset = offset_reset::latest;
    auto b = f.bus->subscribe(gb);
    REQUIRE(b.has_value());
    REQUIRE((*a)->poll(100, std::chrono::milliseconds(10)).has_value());
    auto got = (*b)->poll(100, std::chrono::milliseconds(10));
    REQUIRE(got.has_value());
    CHECK(got->empty()); // latest: starts at high, no checkpoint taken over
    if (s == assignment_strategy::range) {
      CHECK(parts(**a) == std::set<std::int32_t>{0, 1});
      CHECK(parts(**b) == std::set<std::int32_t>{2, 3});
    } else {
      CHECK(parts(**a) == std::set<std::int32_t>{0, 2});
      CHECK(parts(**b) == std::set<std::int32_t>{1, 3});
    }
  }
}
