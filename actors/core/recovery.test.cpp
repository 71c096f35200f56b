// A crowd of entities coming back at once is recovered in batches (journal::recover_many):
// each one must end exactly as a recovery of it alone would leave it.

#include "actors/core/errc.hpp"
#include "actors/core/runtime.hpp"
#include "actors/testkit/counter.hpp"
#include "journal/journal.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unistd.h>

using namespace fp;
using namespace std::chrono_literals;
using testkit::counter_command;
using testkit::counter_def;
using testkit::counter_op;

namespace {

struct outcome {
  bool ok = false;
  testkit::counter_reply reply;
  std::string error;
};

/// One `get` to every key at once (so the shards recover them together), waits for all.
std::vector<outcome> get_all(const actors::entity_client<counter_def>& c,
                             const std::vector<std::string>& keys) {
  std::vector<outcome> out(keys.size());
  std::mutex mu;
  std::atomic<std::size_t> answered{0};
  for (std::size_t i = 0; i < keys.size(); ++i)
    c.send(keys[i], counter_command{counter_op::get}, [&, i](expected<testkit::counter_reply> r) {
      std::lock_guard guard{mu};
      out[i].ok = r.has_value();
      if (r)
        out[i].reply = *r;
      else
        out[i].error = r.error().to_string();
      answered++;
    });
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (answered < keys.size() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(2ms);
  REQUIRE(answered == keys.size());
  return out;
}

/// The state of `pid` as journal::recover alone rebuilds it (snapshot + tail), the reference.
struct alone {
  bool ok = false;
  bool quarantined = false;
  counter_def::state s;
};

alone recover_alone(const journal::journal& j, const std::string& pid) {
  alone a;
  bool decode_failed = false;
  auto rep = j.recover(
      pid,
      [&](const journal::record_view& r) {
        auto d = counter_def::decode_state(r);
        if (d)
          a.s = *d;
        return static_cast<bool>(d);
      },
      [&](const journal::record_view& r) {
        if (r.event_type == "$quarantined") {
          a.quarantined = true;
          return true;
        }
        auto e = counter_def::decode(r);
        if (!e) {
          decode_failed = true;
          return false;
        }
        counter_def::apply(a.s, *e);
        return true;
      });
  a.ok = rep.has_value() && !decode_failed;
  return a;
}

} // namespace

TEST_CASE("entities recovered together end exactly as each recovered alone") {
  auto dir =
      std::filesystem::temp_directory_path() / ("fp-recovery-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i)
    keys.push_back("k" + std::to_string(i));
  actors::entity_options o;
  o.snapshot_every = 4; // most entities recover from a snapshot plus a tail
  o.max_crashes = 1;    // one crash on a command quarantines
  o.backoff_min = 1ms;
  o.max_concurrent_recoveries = 32; // several batches, each of many entities
  {
    journal::options jo;
    jo.dir = dir;
    jo.index_flush_records = 64; // part of the streams flushed, part in the index delta
    jo.index_flush_per_stream = 0;
    auto j = journal::journal::open(jo);
    REQUIRE(j);
    auto rt = actors::runtime::start(**j, {2});
    REQUIRE(rt);
    auto counters = testkit::start_counters(**rt, o);
    for (int i = 0; i < 300; ++i)
      for (int n = 0; n < i % 11; ++n)
        REQUIRE(counters.ask(keys[i], counter_command{counter_op::add, i + n, 1000 + n}));
    // Two poison commands: those entities are quarantined, durably.
    counter_def::crash_budget = 2;
    for (int i : {7, 29})
      REQUIRE_FALSE(counters.ask(keys[i], counter_command{counter_op::crash}));
    counter_def::crash_budget = 0;
    // One stream an entity cannot decode: it must fail closed, the others must not mind.
    REQUIRE((*j)->append("counter/" + keys[100], *(*j)->head_seq("counter/" + keys[100]),
                         {journal::event_data{"counter.added", 1, "not msgpack"}}));
    // Snapshots are written asynchronously: let them land before the restart.
    std::uint64_t expected_snapshots = 0;
    for (int i = 0; i < 300; ++i)
      expected_snapshots += static_cast<std::uint64_t>(i % 11) / 4;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while ((*rt)->type("counter")->lifecycle().snapshots_taken < expected_snapshots &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
  }
  journal::options jo;
  jo.dir = dir;
  jo.index_flush_records = 64;
  jo.index_flush_per_stream = 0;
  auto j = journal::journal::open(jo);
  REQUIRE(j);
  auto rt = actors::runtime::start(**j, {2});
  REQUIRE(rt);
  auto counters = testkit::start_counters(**rt, o);
  auto got = get_all(counters, keys);
  int snapshots_used = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    INFO("entity " << keys[i]);
    auto ref = recover_alone(**j, "counter/" + keys[i]);
    if (i == 100) {
      CHECK_FALSE(ref.ok);
      CHECK_FALSE(got[i].ok);
      CHECK(got[i].error.find("actors.recovery_failed") != std::string::npos);
      continue;
    }
    REQUIRE(ref.ok);
    if (ref.quarantined) {
      CHECK((i == 7 || i == 29));
      CHECK_FALSE(got[i].ok);
      CHECK(got[i].error.find("actors.quarantined") != std::string::npos);
      CHECK(got[i].error.find("crashed 1 times on command crash(0)") != std::string::npos);
      continue;
    }
    REQUIRE(got[i].ok);
    CHECK(got[i].reply.value == ref.s.value);
    CHECK(got[i].reply.adds == ref.s.adds);
    CHECK(got[i].reply.adds == i % 11);
    auto inspected = (*rt)->type("counter")->inspect(keys[i]);
    if (i % 11 == 0)
      continue; // no events: nothing to inspect
    REQUIRE(inspected);
    CHECK((*inspected)["state"]["last_at_ns"] == ref.s.last_at_ns);
    snapshots_used += (*inspected)["snapshot_seq"].get<int>() > 0;
  }
  CHECK(snapshots_used > 100);
  auto life = (*rt)->type("counter")->lifecycle();
  CHECK(life.recovered == keys.size());
  CHECK(life.recoveries_in_flight_max <= 32);
  auto counts = (*rt)->type("counter")->counts();
  CHECK(counts.quarantined == 2);
  // The quarantined ones stay quarantined for every later command, too.
  auto later = counters.ask(keys[7], counter_command{counter_op::add, 1, 1});
  REQUIRE_FALSE(later);
  CHECK(later.error() == actors::errc::quarantined);
  counters = {};
  (*rt).reset();
  (*j).reset();
  std::filesystem::remove_all(dir);
}
