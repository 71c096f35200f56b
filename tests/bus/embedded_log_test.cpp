// The embedded log's own semantics: checksums, wake-up on new records (and only on those a
// consumer reads), batching into the journal's group commit, map growth, events and records in
// one write, and bad input.

#include "bus/admin_event.hpp"
#include "bus/embedded/embedded_bus.hpp"
#include "bus/partitioner.hpp"
#include "tests/bus/embedded_fixture.hpp"

#include <doctest/doctest.h>
#include <lmdb.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <unistd.h>

using namespace fp::bus;
using namespace fp::bus::test;

TEST_CASE("embedded: a damaged record fails its checksum and is counted") {
  fixture f;
  REQUIRE(f.bus->create_topic({"t", 1, -1, -1}, who).has_value());
  f.produce("t", "first value");
  f.produce("t", "second value");
  f.close();
  { // Flip one byte of the second record's value, with raw LMDB.
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 32);
    REQUIRE(mdb_env_open(env, f.dir.c_str(), 0, 0644) == 0);
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    MDB_dbi dbi;
    REQUIRE(mdb_dbi_open(txn, "bus.log", 0, &dbi) == 0);
    std::string key = std::string("t") + '\0' + std::string(4, '\0') + std::string(7, '\0') + '\1';
    MDB_val k{key.size(), key.data()}, v;
    REQUIRE(mdb_get(txn, dbi, &k, &v) == 0);
    std::string bytes(static_cast<char*>(v.mv_data), v.mv_size);
    bytes[bytes.size() - 1] ^= 0x20;
    MDB_val nv{bytes.size(), bytes.data()};
    REQUIRE(mdb_put(txn, dbi, &k, &nv, 0) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
  }
  f.open();
  auto c = f.bus->assign({{"t", 0, 0}});
  REQUIRE(c.has_value());
  auto first = (*c)->poll(1, std::chrono::milliseconds(10));
  REQUIRE(first.has_value());
  CHECK(first->size() == 1);
  auto bad = (*c)->poll(1, std::chrono::milliseconds(10));
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().is(errc::corrupt));
  CHECK(bad.error().message().find("t/0@1") != std::string::npos);
  CHECK(f.bus->stats().bad_records == 1);
}

TEST_CASE("embedded: a waiting consumer wakes on a new record") {
  fixture f;
  REQUIRE(f.bus->create_topic({"t", 1, -1, -1}, who).has_value());
  auto c = f.bus->assign({{"t", 0, 0}});
  REQUIRE(c.has_value());
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    f.produce("t", "hello");
  });
  auto got = (*c)->poll(10, std::chrono::seconds(30));
  producer.join();
  REQUIRE(got.has_value());
  REQUIRE(got->size() == 1);
  CHECK((*got)[0].value == "hello");
}

namespace {
/// The calling thread's voluntary context switches so far (each time it blocked).
long voluntary_switches() {
  std::ifstream in("/proc/thread-self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("voluntary_ctxt_switches:", 0) == 0)
      return std::stol(line.substr(line.find(':') + 1));
  return -1;
}
} // namespace

TEST_CASE("embedded: a waiting consumer sleeps through commits to partitions it does not read") {
  fixture f;
  REQUIRE(f.bus->create_topic({"busy", 2, -1, -1}, who).has_value());
  REQUIRE(f.bus->create_topic({"quiet", 1, -1, -1}, who).has_value());
  // Reads quiet/0 and busy/1; every commit below goes to busy/0 until the last one.
  auto c = f.bus->assign({{"quiet", 0, 0}, {"busy", 1, 0}});
  REQUIRE(c.has_value());
  std::promise<void> waiting;
  long switches = -1;
  fp::expected<std::vector<message>> got = std::vector<message>{};
  std::thread reader([&] {
    auto before = voluntary_switches();
    waiting.set_value();
    got = (*c)->poll(10, std::chrono::seconds(30));
    switches = voluntary_switches() - before;
  });
  waiting.get_future().wait();
  constexpr int commits = 300;
  for (int i = 0; i < commits; ++i)
    f.produce("busy", "other-" + std::to_string(i), 0);
  f.produce("busy", "mine", 1);
  reader.join();
  REQUIRE(got.has_value());
  REQUIRE(got->size() == 1);
  CHECK((*got)[0].value == "mine");
  CHECK((*got)[0].partition == 1);
  // Woken once per commit, it would have blocked at least `commits` times.
  REQUIRE(switches >= 0);
  CHECK(switches < commits / 10);
}

TEST_CASE("embedded: concurrent async produces share the journal's group commits") {
  fixture f;
  REQUIRE(f.bus->create_topic({"t", 8, -1, -1}, who).has_value());
  auto commits_before = f.journal->stats().commits;
  std::atomic<int> ok{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < 8; ++t)
    producers.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i)
        f.bus->produce_async(
            {"t", "k" + std::to_string(t * 1000 + i), std::string(300, 'v'), {}, {}},
            [&](fp::expected<fp::origin_offset> o) {
              if (o)
                ++ok;
            });
    });
  for (auto& p : producers)
    p.join();
  REQUIRE(f.bus->flush(std::chrono::seconds(60)).has_value());
  CHECK(ok == 2000);
  CHECK(f.journal->stats().commits - commits_before < 2000);
  std::int64_t total = 0;
  auto info = f.bus->describe_topic("t");
  REQUIRE(info.has_value());
  for (auto& p : info->partitions)
    total += p.high;
  CHECK(total == 2000);
  CHECK((f.journal->env_flags() & (MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC | MDB_WRITEMAP)) ==
        0);
}

TEST_CASE("embedded: bad input is refused, naming the field and rule") {
  fixture f;
  REQUIRE(f.bus->create_topic({"t", 2, -1, -1}, who).has_value());
  auto big = f.bus->produce({"t", "k", std::string(2u << 20, 'x'), {}, {}});
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().is(errc::too_large));
  auto no_ctx = f.bus->create_topic({"u", 1, -1, -1}, {"", "why", "2026-01-01T00:00:00Z"});
  REQUIRE_FALSE(no_ctx.has_value());
  CHECK(no_ctx.error().message().find("actor") != std::string::npos);
  group_options g;
  g.group_id = "bad group";
  g.topics = {"t"};
  auto sub = f.bus->subscribe(g);
  REQUIRE_FALSE(sub.has_value());
  CHECK(sub.error().message().find("group_id") != std::string::npos);
  g.group_id = "g";
  g.topics = {"missing"};
  sub = f.bus->subscribe(g);
  REQUIRE_FALSE(sub.has_value());
  CHECK(sub.error().is(errc::unknown_topic));
  auto far = f.bus->assign({{"t", 0, 5}});
  REQUIRE_FALSE(far.has_value());
  CHECK(far.error().is(errc::offset_out_of_range));
  auto c = f.bus->assign({{"t", 0, 0}});
  REQUIRE(c.has_value());
  auto commit = (*c)->commit({{"t", 0, 0}});
  REQUIRE_FALSE(commit.has_value());
  CHECK(commit.error().is(errc::invalid_argument));
  auto unknown_retention = f.bus->set_retention("missing", 1, 1, who);
  REQUIRE_FALSE(unknown_retention.has_value());
  CHECK(unknown_retention.error().is(errc::unknown_topic));
}

TEST_CASE("embedded: the control topic comes first, and its own creation is on it") {
  fixture f(false);
  auto early = f.bus->create_topic({"t", 1, -1, -1}, who);
  REQUIRE_FALSE(early.has_value());
  CHECK(early.error().is(errc::unknown_topic));
  CHECK(early.error().message().find(std::string(control_topic)) != std::string::npos);
  REQUIRE(f.bus->create_topic({std::string(control_topic), 1, -1, -1}, who).has_value());
  auto got = read_all(*f.bus, std::string(control_topic), 0, 1);
  REQUIRE(got.size() == 1);
  auto e = decode_admin_event(got[0].value);
  REQUIRE(e.has_value());
  CHECK(e->targets == std::vector<std::string>{std::string(control_topic)});
  CHECK(f.bus->stats().topics_created == 1);
}

namespace {

/// Appends one event to `acct-1` with a record to topic `t` staged into the same write (told
/// to expect `expect` when given); the outcome, the origins and `moved_to()`.
std::tuple<fp::expected<fp::journal::append_result>, std::vector<fp::origin_offset>, std::int64_t>
staged_append(fixture& f, std::uint64_t expected_seq, std::string value,
              std::optional<std::int64_t> expect = std::nullopt) {
  auto staged = stage_publish(*f.bus, {{"t", "acct-1", std::move(value), {}, {}}});
  REQUIRE_MESSAGE(staged.has_value(), (staged ? "" : staged.error().to_string()));
  if (expect)
    staged->expect(*expect);
  std::promise<fp::expected<fp::journal::append_result>> p;
  f.journal->append_async(
      "acct-1", expected_seq, {{"opened", 1, "payload"}}, staged->fn,
      [&](fp::expected<fp::journal::append_result> r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  auto origins = staged->complete(r.has_value());
  return {std::move(r), std::move(origins), staged->moved_to()};
}

} // namespace

TEST_CASE("embedded: a journal event and the record it publishes are one atomic write") {
  fixture f;
  REQUIRE(f.bus->create_topic({"t", 2, -1, -1}, who).has_value());
  auto append = [&](std::uint64_t expected_seq, std::string value) {
    auto [r, origins, moved_to] = staged_append(f, expected_seq, std::move(value));
    return std::pair{std::move(r), origins};
  };
  auto [ok, origins] = append(0, "published with seq 1");
  REQUIRE_MESSAGE(ok.has_value(), (ok ? "" : ok.error().to_string()));
  REQUIRE(origins.size() == 1);
  auto p = partition_for("acct-1", 2);
  CHECK(origins[0] == fp::origin_offset{"t", p, 0});
  auto [conflict, none] = append(0, "never published");
  REQUIRE_FALSE(conflict.has_value());
  CHECK(conflict.error().is(fp::journal::errc::seq_conflict));
  CHECK(none.empty());
  CHECK(f.part("t", p).high == 1);
  CHECK(f.produce("t", "next", p).offset == 1); // no gap, nothing half-written
  auto c = f.bus->assign({{"t", p, 0}});
  REQUIRE(c.has_value());
  auto got = (*c)->poll(10, std::chrono::milliseconds(100));
  REQUIRE(got.has_value());
  REQUIRE(got->size() == 2);
  CHECK((*got)[0].value == "published with seq 1");
  CHECK((*got)[1].value == "next");
  auto unknown = stage_publish(*f.bus, {{"missing", "k", "v", {}, {}}});
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().is(errc::unknown_topic));
}

TEST_CASE("embedded: a staged record told its offset is refused, with nothing written, when "
          "the offset moved") {
  fixture f;
  REQUIRE(f.bus->create_topic({"t", 1, -1, -1}, who).has_value());
  auto append = [&](std::uint64_t expected_seq, std::int64_t expect, std::string value) {
    return staged_append(f, expected_seq, std::move(value), expect);
  };
  CHECK(f.produce("t", "someone else's", 0).offset == 0);
  auto [refused, none, moved_to] = append(0, 0, "expects offset 0");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().is(errc::offset_moved));
  CHECK(none.empty());
  CHECK(moved_to == 1);
  CHECK(f.part("t", 0).high == 1);
  auto head = f.journal->head_seq("acct-1");
  REQUIRE(head.has_value());
  CHECK(*head == 0); // the event was not written either
  auto [ok, origins, unmoved] = append(0, 1, "expects offset 1");
  REQUIRE_MESSAGE(ok.has_value(), (ok ? "" : ok.error().to_string()));
  REQUIRE(origins.size() == 1);
  CHECK(origins[0] == fp::origin_offset{"t", 0, 1});
  CHECK(unmoved == -1);
  CHECK(f.part("t", 0).high == 2);
}

TEST_CASE("embedded: produce batches retried after the map grows keep gap-free offsets") {
  auto dir = std::filesystem::temp_directory_path() / ("fp-bus-grow-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    fp::journal::options o;
    o.dir = dir;
    o.initial_map_bytes = 1 << 20;
    auto j = fp::journal::journal::open(o).value();
    auto b = open_embedded_bus(*j).value();
    REQUIRE(b->create_topic({std::string(control_topic), 1, -1, -1}, who).has_value());
    REQUIRE(b->create_topic({"t", 2, -1, -1}, who).has_value());
    std::mutex mu;
    std::map<int, fp::origin_offset> acked;
    for (int i = 0; i < 6000; ++i)
      b->produce_async({"t", "k" + std::to_string(i % 2), std::string(300, 'a' + i % 26), {}, {}},
                       [&, i](fp::expected<fp::origin_offset> r) {
                         std::lock_guard g{mu};
                         if (r) // a failure shows as a missing ack below
                           acked[i] = *r;
                       });
    REQUIRE(b->flush(std::chrono::seconds(60)).has_value());
    CHECK(j->stats().map_resizes > 0);
    REQUIRE(acked.size() == 6000);
    std::map<int, std::int64_t> next;
    for (auto& [i, o] : acked)
      CHECK(o.offset == next[o.partition]++);
    auto c = b->assign({{"t", 0, 0}, {"t", 1, 0}});
    REQUIRE(c.has_value());
    std::size_t n = 0;
    for (int i = 0; i < 100 && n < 6000; ++i) {
      auto got = (*c)->poll(4096, std::chrono::milliseconds(100));
      REQUIRE(got.has_value());
      n += got->size();
    }
    CHECK(n == 6000);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("embedded: closing the bus gives every produce in flight its outcome") {
  fixture f;
  REQUIRE(f.bus->create_topic({"t", 4, -1, -1}, who).has_value());
  std::atomic<int> acked{0}, failed{0};
  for (int i = 0; i < 500; ++i)
    f.bus->produce_async({"t", "k" + std::to_string(i), "v", {}, {}},
                         [&](fp::expected<fp::origin_offset> r) { ++(r ? acked : failed); });
  f.bus.reset(); // waits for every outcome
  CHECK(acked + failed == 500);
  CHECK(failed == 0);
  f.close();
  f.open();
  std::int64_t total = 0;
  auto info = f.bus->describe_topic("t");
  REQUIRE(info.has_value());
  for (auto& p : info->partitions)
    total += p.high;
  CHECK(total == 500);
}
