#include "actors/core/runtime.hpp"

#include "actors/core/errc.hpp"
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

struct node_fixture {
  std::filesystem::path dir;
  std::unique_ptr<journal::journal> j;
  std::unique_ptr<actors::runtime> rt;
  actors::entity_client<counter_def> counters;
  actors::entity_options opts;

  explicit node_fixture(actors::entity_options o = {})
      : opts(o) {
    static std::atomic<int> n{0};
    dir = std::filesystem::temp_directory_path() /
          ("fp-runtime-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(dir);
    open();
  }
  ~node_fixture() {
    close();
    std::filesystem::remove_all(dir);
  }
  void open() {
    journal::options jo;
    jo.dir = dir;
    auto opened = journal::journal::open(jo);
    REQUIRE(opened);
    j = std::move(*opened);
    auto started = actors::runtime::start(*j, {2});
    REQUIRE(started);
    rt = std::move(*started);
    counters = testkit::start_counters(*rt, opts);
  }
  void close() {
    counters = {};
    rt.reset();
    j.reset();
  }
  void restart() {
    close();
    open();
  }
  const actors::entity_type_view& view() const { return *rt->type("counter"); }
};

counter_command add(std::int64_t n, std::int64_t at = 1) {
  return counter_command{counter_op::add, n, at};
}

template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (p())
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return p();
}

} // namespace

TEST_CASE("persist-then-reply: the reply leaves only after the event is in the journal") {
  node_fixture f;
  std::atomic<bool> durable_at_reply{false};
  std::promise<void> done;
  f.counters.send("a", add(5), [&](expected<testkit::counter_reply> r) {
    REQUIRE(r);
    CHECK(r->value == 5);
    durable_at_reply = *f.j->head_seq("counter/a") == 1;
    done.set_value();
  });
  done.get_future().wait();
  CHECK(durable_at_reply);
  auto r = f.counters.ask("a", add(-2));
  REQUIRE(r);
  CHECK(r->value == 3);
  CHECK(r->adds == 2);
  auto rejected = f.counters.ask("a", add(0));
  REQUIRE_FALSE(rejected);
  CHECK(rejected.error() == actors::errc::rejected);
  CHECK(rejected.error().message().find("amount: must not be 0") != std::string::npos);
  CHECK(*f.j->head_seq("counter/a") == 2); // the rejection wrote nothing
}

TEST_CASE("state survives a restart of the actor system") {
  node_fixture f;
  for (int i = 1; i <= 10; ++i)
    REQUIRE(f.counters.ask("acct", add(i)));
  f.restart();
  auto r = f.counters.ask("acct", counter_command{counter_op::get});
  REQUIRE(r);
  CHECK(r->value == 55);
  CHECK(r->adds == 10);
  CHECK(f.view().lifecycle().recovered == 1);
}

TEST_CASE("snapshot + tail equals full replay, byte for byte") {
  actors::entity_options o;
  o.snapshot_every = 3;
  node_fixture f{o};
  for (int i = 1; i <= 11; ++i)
    REQUIRE(f.counters.ask("s", add(i * 7, 1000 + i)));
  REQUIRE(eventually([&] { return f.view().lifecycle().snapshots_taken >= 3; }));
  counter_def::state from_snapshot, from_replay;
  auto rep = f.j->recover(
      "counter/s",
      [&](const journal::record_view& r) {
        from_snapshot = *counter_def::decode_state(r);
        return true;
      },
      [&](const journal::record_view& r) {
        counter_def::apply(from_snapshot, *counter_def::decode(r));
        return true;
      });
  REQUIRE(rep);
  CHECK(rep->used_snapshot);
  CHECK(rep->snapshot_seq == 9);
  (void)f.j->read_entity("counter/s", 1, [&](const journal::record_view& r) {
    counter_def::apply(from_replay, *counter_def::decode(r));
    return true;
  });
  CHECK(counter_def::encode_state(from_snapshot) == counter_def::encode_state(from_replay));
  CHECK(from_replay.value == 7 * 66);
  CHECK(from_replay.last_at_ns == 1011);
}

TEST_CASE("commands sent while an entity persists are stashed and applied in order") {
  node_fixture f;
  constexpr int n = 200;
  std::mutex mu;
  std::vector<std::int64_t> values;
  std::atomic<int> answered{0};
  for (int i = 1; i <= n; ++i)
    f.counters.send("ordered", add(i), [&](expected<testkit::counter_reply> r) {
      std::lock_guard guard{mu};
      values.push_back(r ? r->value : -1);
      answered++;
    });
  REQUIRE(eventually([&] { return answered == n; }));
  std::int64_t sum = 0;
  bool in_order = true;
  for (int i = 1; i <= n; ++i) {
    sum += i;
    in_order = in_order && values[i - 1] == sum;
  }
  CHECK(in_order);
  CHECK(*f.j->head_seq("counter/ordered") == n);
}

TEST_CASE("idle entities passivate and come back from the journal") {
  actors::entity_options o;
  o.passivate_after = 50ms;
  node_fixture f{o};
  REQUIRE(f.counters.ask("p1", add(4)));
  REQUIRE(f.counters.ask("p2", add(6)));
  // The shard counts a passivation when it sees the entity stop, just after the entity left
  // the in-memory registry: wait for both.
  REQUIRE(eventually(
      [&] { return f.view().counts().live == 0 && f.view().lifecycle().passivated == 2; }));
  auto c = f.view().counts();
  CHECK(c.passivated == 2);
  auto r = f.counters.ask("p1", add(1));
  REQUIRE(r);
  CHECK(r->value == 5);
  CHECK(f.view().lifecycle().recovered == 3);
}

TEST_CASE("a tick with more idle entities than one turn passivates them all, a turn at a time") {
  actors::entity_options o;
  o.shards = 1;
  o.passivate_after = 100ms;
  node_fixture f{o};
  REQUIRE(f.counters.ask("kept", add(7)));
  const int n = 3 * 512 + 17; // over three turns' worth (passivations_per_turn, region_impl.hpp)
  for (int i = 0; i < n; ++i)
    REQUIRE(f.counters.ask("idle" + std::to_string(i), counter_command{counter_op::get}));
  REQUIRE(eventually(
      [&] { return f.view().lifecycle().passivated == static_cast<std::uint64_t>(n + 1); }));
  CHECK(f.view().counts().live == 0);
  auto r = f.counters.ask("kept", add(1)); // and the shard still serves, from the journal
  REQUIRE(r);
  CHECK(r->value == 8);
}

TEST_CASE("beyond max_live the least recently used entities passivate") {
  actors::entity_options o;
  o.shards = 1;
  o.max_live = 10;
  node_fixture f{o};
  for (int i = 0; i < 60; ++i)
    REQUIRE(f.counters.ask("k" + std::to_string(i), add(1)));
  REQUIRE(eventually([&] { return f.view().counts().live <= 11; }));
  CHECK(f.view().counts().passivated >= 49);
  auto r = f.counters.ask("k0", add(1));
  REQUIRE(r);
  CHECK(r->value == 2);
}

TEST_CASE("a crashing entity restarts from its journal and its command is re-delivered") {
  node_fixture f;
  REQUIRE(f.counters.ask("c", add(10)));
  counter_def::crash_budget = 1; // the next crash command throws once
  auto r = f.counters.ask("c", counter_command{counter_op::crash});
  REQUIRE(r);
  CHECK(r->value == 10);
  CHECK(f.view().lifecycle().restarted == 1);
  auto after = f.counters.ask("c", add(1));
  REQUIRE(after);
  CHECK(after->value == 11);
}

TEST_CASE("after max_crashes on the same command the entity is quarantined, durably") {
  actors::entity_options o;
  o.max_crashes = 3;
  o.backoff_min = 1ms;
  node_fixture f{o};
  REQUIRE(f.counters.ask("bad", add(1)));
  REQUIRE(f.counters.ask("good", add(1)));
  counter_def::crash_budget = 1000;
  auto r = f.counters.ask("bad", counter_command{counter_op::crash});
  counter_def::crash_budget = 0;
  REQUIRE_FALSE(r);
  CHECK(r.error() == actors::errc::quarantined);
  CHECK(r.error().message().find("crashed 3 times on command crash(0)") != std::string::npos);
  CHECK(f.view().lifecycle().restarted == 3);
  CHECK(f.view().lifecycle().quarantined == 1);
  auto later = f.counters.ask("bad", add(1));
  REQUIRE_FALSE(later);
  CHECK(later.error() == actors::errc::quarantined);
  auto good = f.counters.ask("good", add(1));
  REQUIRE(good);
  CHECK(good->value == 2);
  CHECK(f.view().counts().quarantined == 1);
  auto inspected = f.view().inspect("bad");
  REQUIRE(inspected);
  CHECK((*inspected)["status"] == "quarantined");
  f.restart();
  auto still = f.counters.ask("bad", add(1));
  REQUIRE_FALSE(still);
  CHECK(still.error() == actors::errc::quarantined);
  CHECK(f.view().counts().quarantined == 1);
}

TEST_CASE("concurrent recoveries are capped") {
  actors::entity_options o;
  o.max_concurrent_recoveries = 2;
  node_fixture f{o};
  for (int i = 0; i < 40; ++i)
    REQUIRE(f.j->append("counter/r" + std::to_string(i), 0,
                        {counter_def::encode({3, 1}), counter_def::encode({4, 2})}));
  std::atomic<int> ok{0};
  for (int i = 0; i < 40; ++i)
    f.counters.send("r" + std::to_string(i), counter_command{counter_op::get},
                    [&](expected<testkit::counter_reply> r) {
                      if (r && r->value == 7)
                        ok++;
                    });
  REQUIRE(eventually([&] { return ok == 40; }));
  auto high = f.view().lifecycle().recoveries_in_flight_max;
  CHECK(high >= 1);
  CHECK(high <= 2);
}

TEST_CASE("inspection reads the journal, listing pages by key") {
  node_fixture f;
  for (auto k : {"b", "a", "c"})
    REQUIRE(f.counters.ask(k, add(2)));
  auto a = f.view().inspect("a");
  REQUIRE(a);
  CHECK((*a)["state"]["value"] == 2);
  CHECK((*a)["last_seq"] == 1);
  CHECK((*a)["last_event"]["event_type"] == "counter.added");
  CHECK((*a)["persistence_id"] == "counter/a");
  auto missing = f.view().inspect("zzz");
  REQUIRE_FALSE(missing);
  CHECK(missing.error() == journal::errc::not_found);
  auto page = f.view().list(std::nullopt, "", 2);
  REQUIRE(page);
  REQUIRE(page->size() == 2);
  CHECK((*page)[0].first == "a");
  CHECK((*page)[1].first == "b");
  auto rest = f.view().list(std::nullopt, "b", 10);
  REQUIRE(rest);
  REQUIRE(rest->size() == 1);
  CHECK((*rest)[0].first == "c");
}

TEST_CASE("after shutdown new commands are answered `stopped`, never dropped") {
  node_fixture f;
  REQUIRE(f.counters.ask("x", add(1)));
  f.rt->shutdown(1s);
  auto r = f.counters.ask("x", add(1));
  REQUIRE_FALSE(r);
  CHECK(r.error() == actors::errc::stopped);
}

TEST_CASE("a failed persist answers with the journal's reason and changes nothing") {
  auto dir =
      std::filesystem::temp_directory_path() / ("fp-runtime-persist-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    journal::options jo;
    jo.dir = dir;
    jo.max_record_bytes = 70; // header 48 + "counter/k" + "counter.added" + writer + payload > 70
    auto j = journal::journal::open(jo);
    REQUIRE(j);
    auto rt = actors::runtime::start(**j, {2});
    REQUIRE(rt);
    auto counters = testkit::start_counters(**rt, {});
    auto r = counters.ask("k", add(5));
    REQUIRE_FALSE(r);
    CHECK(r.error() == actors::errc::persist_failed);
    CHECK(r.error().message().find("journal.too_large") != std::string::npos);
    CHECK((*rt)->type("counter")->lifecycle().persist_failures == 1);
    CHECK(*(*j)->head_seq("counter/k") == 0);
    // The entity reloaded from the journal and still serves: its state did not run ahead.
    auto g = counters.ask("k", counter_command{counter_op::get});
    REQUIRE(g);
    CHECK(g->value == 0);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("shutdown with commands in flight: `stopped` means nothing was persisted") {
  node_fixture f;
  constexpr int n = 2000;
  std::mutex mu;
  std::vector<int> outcome(n, -1); // 1 ok, 0 stopped, 2 other
  std::atomic<int> answered{0};
  for (int i = 0; i < n; ++i)
    f.counters.send("k" + std::to_string(i), add(1), [&, i](expected<testkit::counter_reply> r) {
      std::lock_guard guard{mu};
      outcome[i] = r ? 1 : (r.error() == actors::errc::stopped ? 0 : 2);
      answered++;
    });
  f.rt->shutdown(0ms);
  REQUIRE(eventually([&] { return answered == n; }));
  int ok = 0, stopped = 0, wrong = 0;
  for (int i = 0; i < n; ++i) {
    auto head = *f.j->head_seq("counter/k" + std::to_string(i));
    if (outcome[i] == 1)
      ++ok, wrong += head != 1;
    else if (outcome[i] == 0)
      ++stopped, wrong += head != 0;
    else
      ++wrong;
  }
  CHECK(wrong == 0);
  CHECK(ok + stopped == n);
}
