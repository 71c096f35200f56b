#include "journal/journal.hpp"

#include "journal/verify.hpp"

#include <doctest/doctest.h>
#include <lmdb.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>

using namespace fp::journal;

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path() /
           ("fp-journal-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::remove_all(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  static std::atomic<int>& counter() {
    static std::atomic<int> c{0};
    return c;
  }
};

std::unique_ptr<journal> open_at(const std::filesystem::path& dir, options o = {}) {
  o.dir = dir;
  auto j = journal::open(o);
  REQUIRE_MESSAGE(j.has_value(), (j ? "" : j.error().to_string()));
  return std::move(*j);
}

event_data ev(std::string type, std::string payload) {
  return event_data{std::move(type), 1, std::move(payload)};
}

} // namespace

TEST_CASE("append acks seqs and global seqs, and reads return them") {
  temp_dir dir;
  auto j = open_at(dir.path);
  auto r1 = j->append("acct-1", 0, {ev("opened", "a"), ev("deposited", "bb")});
  REQUIRE(r1);
  CHECK(r1->first_seq == 1);
  CHECK(r1->last_seq == 2);
  CHECK(r1->first_global == 1);
  CHECK(r1->last_global == 2);
  CHECK(r1->commit_id >= 1);
  auto r2 = j->append("acct-2", 0, {ev("opened", "c")});
  REQUIRE(r2);
  CHECK(r2->first_global == 3);
  CHECK(*j->head_seq("acct-1") == 2);
  CHECK(*j->head_seq("acct-2") == 1);
  CHECK(*j->head_seq("acct-3") == 0);

  std::vector<std::string> payloads;
  auto n = j->read_entity("acct-1", 1, [&](const record_view& r) {
    payloads.emplace_back(r.payload);
    CHECK(r.persistence_id == "acct-1");
    CHECK(r.writer == "fp");
    return true;
  });
  REQUIRE(n);
  CHECK(*n == 2);
  CHECK(payloads == std::vector<std::string>{"a", "bb"});

  std::vector<std::uint64_t> globals;
  auto next = j->read_global(1, 100, [&](const record_view& r) {
    globals.push_back(r.global_seq);
    return true;
  });
  REQUIRE(next);
  CHECK(*next == 4);
  CHECK(globals == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("a stale expected seq is a conflict and writes nothing") {
  temp_dir dir;
  auto j = open_at(dir.path);
  REQUIRE(j->append("x", 0, {ev("e", "1")}));
  auto bad = j->append("x", 0, {ev("e", "overwrite?")});
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == errc::seq_conflict);
  CHECK(bad.error().message().find("expected seq 0, head is 1") != std::string::npos);
  std::string first;
  (void)j->read_entity("x", 1, [&](const record_view& r) {
    first = std::string(r.payload);
    return true;
  });
  CHECK(first == "1");
  CHECK(*j->head_seq("x") == 1);
  CHECK(j->stats().seq_conflicts == 1);
  // The global sequence did not move for the rejected append.
  auto r = j->append("y", 0, {ev("e", "2")});
  REQUIRE(r);
  CHECK(r->first_global == 2);
}

TEST_CASE("the environment never weakens fsync, and every ack follows a durable commit") {
  temp_dir dir;
  auto j = open_at(dir.path);
  auto flags = j->env_flags();
  CHECK((flags & MDB_NOSYNC) == 0);
  CHECK((flags & MDB_NOMETASYNC) == 0);
  CHECK((flags & MDB_MAPASYNC) == 0);
  CHECK((flags & MDB_WRITEMAP) == 0);
  std::atomic<int> acks{0};
  std::atomic<bool> ack_before_commit{false};
  for (int i = 0; i < 200; ++i)
    j->append_async("p" + std::to_string(i % 7), 0, {ev("e", "x")},
                    [&](fp::expected<append_result> r) {
                      if (r && j->stats().commits < r->commit_id)
                        ack_before_commit = true;
                      acks++;
                    });
  while (acks < 200)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK_FALSE(ack_before_commit);
  auto s = j->stats();
  CHECK(s.acked_batches == 7); // one append per stream at expected seq 0 succeeds
  CHECK(s.seq_conflicts == 193);
  CHECK(s.commits >= 1);
  CHECK(s.commits <= 200);
}

TEST_CASE("group commit: concurrent appenders share commits") {
  temp_dir dir;
  auto j = open_at(dir.path);
  constexpr int threads = 16, per_thread = 50;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      std::uint64_t seq = 0;
      for (int i = 0; i < per_thread; ++i) {
        auto r = j->append("stream-" + std::to_string(t), seq, {ev("e", std::string(300, 'x'))});
        REQUIRE(r);
        seq = r->last_seq;
      }
    });
  for (auto& t : ts)
    t.join();
  auto s = j->stats();
  CHECK(s.events_appended == threads * per_thread);
  CHECK(s.acked_batches == threads * per_thread);
  CHECK(s.commits < threads * per_thread); // batching happened
  // The commit histograms count every commit once; the requests they carried add up.
  CHECK(s.commit_seconds_buckets.back() == s.commits);
  CHECK(s.commit_requests_buckets.back() == s.commits);
  CHECK(s.commit_requests_sum == threads * per_thread);
  CHECK(s.commit_seconds_sum > 0);
  CHECK(std::is_sorted(s.commit_seconds_buckets.begin(), s.commit_seconds_buckets.end()));
  CHECK(s.commit_requests_buckets[0] < s.commits); // some commit carried more than one request
  auto report = verify(*j);
  REQUIRE(report);
  CHECK(report->ok());
  CHECK(report->events == threads * per_thread);
  CHECK(report->streams == threads);
}

TEST_CASE("data survives reopening, and the global sequence continues without a gap") {
  temp_dir dir;
  {
    auto j = open_at(dir.path);
    REQUIRE(j->append("a", 0, {ev("e", "1"), ev("e", "2")}));
  }
  auto j = open_at(dir.path);
  CHECK(*j->head_seq("a") == 2);
  auto r = j->append("a", 2, {ev("e", "3")});
  REQUIRE(r);
  CHECK(r->first_global == 3);
  CHECK(r->first_seq == 3);
}

TEST_CASE("the map grows when full instead of failing the write") {
  temp_dir dir;
  options o;
  o.initial_map_bytes = 1 << 20; // 1 MiB
  auto j = open_at(dir.path, o);
  std::uint64_t seq = 0;
  for (int i = 0; i < 100; ++i) {
    std::vector<event_data> batch;
    for (int k = 0; k < 10; ++k)
      batch.push_back(ev("e", std::string(1000, static_cast<char>('a' + k))));
    auto r = j->append("big", seq, std::move(batch));
    REQUIRE_MESSAGE(r, (r ? "" : r.error().to_string()));
    seq = r->last_seq;
  }
  CHECK(j->stats().map_resizes >= 1);
  CHECK(j->stats().map_bytes > (1u << 20));
  auto report = verify(*j);
  REQUIRE(report);
  CHECK(report->ok());
  CHECK(report->events == 1000);
}

TEST_CASE("the map stops growing at max_map_bytes with map_full, and nothing is half-written") {
  temp_dir dir;
  options o;
  o.initial_map_bytes = 1 << 20;
  o.max_map_bytes = 1 << 20;
  auto j = open_at(dir.path, o);
  fp::expected<append_result> last = append_result{};
  std::uint64_t seq = 0;
  for (int i = 0; i < 2000 && last; ++i) {
    last = j->append("s", seq, {ev("e", std::string(2000, 'z'))});
    if (last)
      seq = last->last_seq;
  }
  REQUIRE_FALSE(last);
  CHECK(last.error() == errc::map_full);
  CHECK(*j->head_seq("s") == seq);
  auto report = verify(*j);
  REQUIRE(report);
  CHECK(report->ok());
}

TEST_CASE("oversized records and bad persistence ids are rejected before the commit") {
  temp_dir dir;
  options o;
  o.max_record_bytes = 1024;
  auto j = open_at(dir.path, o);
  auto r = j->append("p", 0, {ev("e", std::string(2000, 'x'))});
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::too_large);
  auto empty = j->append("", 0, {ev("e", "x")});
  REQUIRE_FALSE(empty);
  CHECK(empty.error() == errc::invalid_argument);
  auto none = j->append("p", 0, {});
  REQUIRE_FALSE(none);
  CHECK(none.error() == errc::invalid_argument);
  CHECK(*j->head_seq("p") == 0);
}

TEST_CASE("read_entity streams long entities across read transactions") {
  temp_dir dir;
  auto j = open_at(dir.path);
  std::uint64_t seq = 0;
  for (int b = 0; b < 5; ++b) {
    std::vector<event_data> batch;
    for (int i = 0; i < 2000; ++i)
      batch.push_back(ev("e", std::to_string(seq + i + 1)));
    auto r = j->append("long", seq, std::move(batch));
    REQUIRE(r);
    seq = r->last_seq;
  }
  REQUIRE(j->append("other", 0, {ev("e", "o")}));
  std::uint64_t expect = 5001, count = 0;
  bool in_order = true;
  auto n = j->read_entity("long", 5001, [&](const record_view& r) {
    in_order = in_order && r.seq == expect && r.payload == std::to_string(expect);
    ++expect;
    ++count;
    return true;
  });
  REQUIRE(n);
  CHECK(in_order);
  CHECK(count == 5000);
  // Stopping early returns what was delivered.
  auto stopped = j->read_entity("long", 1, [](const record_view& r) { return r.seq < 10; });
  CHECK(*stopped == 10);
  // Global reads resume where they stopped.
  std::uint64_t seen = 0;
  std::uint64_t from = 1;
  while (true) {
    auto next = j->read_global(from, 777, [&](const record_view&) {
      ++seen;
      return true;
    });
    REQUIRE(next);
    if (*next == from)
      break;
    from = *next;
  }
  CHECK(seen == 10001);
}

TEST_CASE("snapshots: newest kept N, recovery uses the newest, a bad one falls back") {
  temp_dir dir;
  options o;
  o.snapshots_keep = 2;
  auto j = open_at(dir.path, o);
  std::uint64_t seq = 0;
  for (int i = 1; i <= 30; ++i) {
    auto r = j->append("acct", seq, {ev("add", std::to_string(i))});
    REQUIRE(r);
    seq = r->last_seq;
    if (i % 10 == 0)
      REQUIRE(j->save_snapshot("acct", seq, ev("state", "sum-through-" + std::to_string(i))));
  }
  auto bad_seq = j->save_snapshot("acct", 99, ev("state", "future"));
  REQUIRE_FALSE(bad_seq);
  CHECK(bad_seq.error() == errc::invalid_argument);

  std::vector<std::uint64_t> snaps;
  (void)j->read_all_snapshots([&](const record_view& r) {
    snaps.push_back(r.seq);
    return true;
  });
  CHECK(snaps == std::vector<std::uint64_t>{20, 30}); // the snapshot at 10 was pruned

  std::uint64_t applied = 0;
  auto rep = j->recover(
      "acct", [](const record_view& r) { return r.payload == "sum-through-30"; },
      [&](const record_view&) {
        ++applied;
        return true;
      });
  REQUIRE(rep);
  CHECK(rep->used_snapshot);
  CHECK(rep->snapshot_seq == 30);
  CHECK(rep->events_replayed == 0);
  CHECK(rep->fallback_reason.empty());

  // The newest snapshot does not decode: the older one is used and the report says why.
  applied = 0;
  rep = j->recover(
      "acct", [](const record_view& r) { return r.payload == "sum-through-20"; },
      [&](const record_view&) {
        ++applied;
        return true;
      });
  REQUIRE(rep);
  CHECK(rep->used_snapshot);
  CHECK(rep->snapshot_seq == 20);
  CHECK(applied == 10);
  CHECK(rep->fallback_reason.find("seq 30 did not decode") != std::string::npos);

  // None decodes: full replay.
  applied = 0;
  rep = j->recover(
      "acct", [](const record_view&) { return false; },
      [&](const record_view&) {
        ++applied;
        return true;
      });
  REQUIRE(rep);
  CHECK_FALSE(rep->used_snapshot);
  CHECK(applied == 30);
  CHECK(rep->last_seq == 30);
  CHECK(rep->fallback_reason.find("replayed the full stream") != std::string::npos);
  CHECK(j->stats().snapshot_fallbacks == 2);
}

TEST_CASE("list_streams reports every stream with its head") {
  temp_dir dir;
  auto j = open_at(dir.path);
  for (int i = 0; i < 5000; ++i)
    j->append_async("s" + std::to_string(i), 0, {ev("e", "x"), ev("e", "y")},
                    [](fp::expected<append_result>) {});
  REQUIRE(j->append("zz", 0, {ev("e", "x")})); // queued last: all before it are committed
  std::uint64_t count = 0;
  bool heads_ok = true;
  auto n = j->list_streams([&](std::string_view pid, std::uint64_t head) {
    ++count;
    heads_ok = heads_ok && head == (pid == "zz" ? 1u : 2u);
    return true;
  });
  REQUIRE(n);
  CHECK(count == 5001);
  CHECK(heads_ok);
}

TEST_CASE("a read-only journal reads but refuses writes") {
  temp_dir dir;
  {
    auto j = open_at(dir.path);
    REQUIRE(j->append("a", 0, {ev("e", "1")}));
  }
  options o;
  o.read_only = true;
  auto j = open_at(dir.path, o);
  CHECK(*j->head_seq("a") == 1);
  auto r = j->append("a", 1, {ev("e", "2")});
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::read_only);
  options missing;
  missing.dir = dir.path / "nope";
  missing.read_only = true;
  auto none = journal::open(missing);
  REQUIRE_FALSE(none);
  CHECK(none.error() == errc::not_found);
}

TEST_CASE("a second writer on the same journal is refused, readers are not") {
  temp_dir dir;
  auto j = open_at(dir.path);
  REQUIRE(j->append("a", 0, {ev("e", "1")}));
  options o;
  o.dir = dir.path;
  auto second = journal::open(o);
  REQUIRE_FALSE(second);
  CHECK(second.error() == errc::io);
  CHECK(second.error().message().find("already open for writing") != std::string::npos);
  o.read_only = true;
  auto reader = journal::open(o);
  REQUIRE(reader);
  CHECK(*(*reader)->head_seq("a") == 1);
}

TEST_CASE("list_streams by prefix sees only that prefix, in byte order") {
  temp_dir dir;
  auto j = open_at(dir.path);
  for (auto pid : {"counter/b", "counter/a", "counter/ab", "counterx", "counte", "account/a"})
    REQUIRE(j->append(pid, 0, {ev("e", "x")}));
  std::vector<std::string> seen;
  auto n = j->list_streams(
      [&](std::string_view pid, std::uint64_t) {
        seen.emplace_back(pid);
        return true;
      },
      {}, "counter/");
  REQUIRE(n);
  CHECK(seen == std::vector<std::string>{"counter/a", "counter/ab", "counter/b"});
  seen.clear();
  (void)j->list_streams(
      [&](std::string_view pid, std::uint64_t) {
        seen.emplace_back(pid);
        return true;
      },
      "counter/a", "counter/");
  CHECK(seen == std::vector<std::string>{"counter/ab", "counter/b"});
  auto nul = j->append(std::string("a\0b", 3), 0, {ev("e", "x")});
  REQUIRE_FALSE(nul);
  CHECK(nul.error() == errc::invalid_argument);
}

TEST_CASE("the stream index: flushed and in-memory parts read as one, and survive reopening") {
  temp_dir dir;
  options o;
  o.index_flush_records = 25; // flush often: reads cross the flushed/in-memory boundary
  o.index_flush_per_stream = 0;
  {
    auto j = open_at(dir.path, o);
    for (int round = 0; round < 20; ++round)
      for (int s = 0; s < 7; ++s) {
        auto pid = "s" + std::to_string(s);
        auto head = *j->head_seq(pid);
        REQUIRE(j->append(pid, head, {ev("e", pid + ":" + std::to_string(head + 1))}));
      }
    std::uint64_t n = 0;
    bool ok = true;
    (void)j->read_entity("s3", 1, [&](const record_view& r) {
      ok = ok && r.seq == n + 1 && r.payload == "s3:" + std::to_string(n + 1);
      ++n;
      return true;
    });
    CHECK(ok);
    CHECK(n == 20);
    auto report = verify(*j);
    REQUIRE(report);
    CHECK(report->ok());
  }
  auto j = open_at(dir.path, o); // rebuilds the in-memory part from the log's tail
  std::uint64_t streams = 0;
  bool heads_ok = true;
  (void)j->list_streams([&](std::string_view, std::uint64_t head) {
    ++streams;
    heads_ok = heads_ok && head == 20;
    return true;
  });
  CHECK(streams == 7);
  CHECK(heads_ok);
  CHECK(*j->head_seq("s6") == 20);
  auto stale = j->append("s6", 19, {ev("e", "x")});
  REQUIRE_FALSE(stale);
  CHECK(stale.error() == errc::seq_conflict);
  REQUIRE(j->append("s6", 20, {ev("e", "s6:21")}));
  std::uint64_t n = 0;
  (void)j->read_entity("s6", 19, [&](const record_view&) {
    ++n;
    return true;
  });
  CHECK(n == 3);
}

TEST_CASE("a read-only journal sees events committed after it was opened") {
  temp_dir dir;
  auto writer = open_at(dir.path);
  REQUIRE(writer->append("a", 0, {ev("e", "1")}));
  options o;
  o.read_only = true;
  auto reader = open_at(dir.path, o);
  CHECK(*reader->head_seq("a") == 1);
  REQUIRE(writer->append("a", 1, {ev("e", "2")}));
  REQUIRE(writer->append("b", 0, {ev("e", "3")}));
  CHECK(*reader->head_seq("a") == 2);
  std::uint64_t streams = 0;
  (void)reader->list_streams([&](std::string_view, std::uint64_t) {
    ++streams;
    return true;
  });
  CHECK(streams == 2);
}

TEST_CASE("a read-only journal's heads stay right when the writer flushes its index") {
  temp_dir dir;
  options wo;
  wo.index_flush_records = 2;
  wo.index_flush_per_stream = 0;
  auto writer = open_at(dir.path, wo);
  REQUIRE(writer->append("a", 0, {ev("e", "1")}));
  options ro;
  ro.read_only = true;
  auto reader = open_at(dir.path, ro);
  CHECK(*reader->head_seq("a") == 1);
  REQUIRE(writer->append("a", 1, {ev("e", "2")})); // flushes: the index moves to `streams`
  REQUIRE(writer->append("b", 0, {ev("e", "3")}));
  REQUIRE(writer->append("a", 2, {ev("e", "4")}));
  CHECK(*reader->head_seq("a") == 3);
  CHECK(*reader->head_seq("b") == 1);
  std::uint64_t n = 0;
  (void)reader->read_entity("a", 1, [&](const record_view&) {
    ++n;
    return true;
  });
  CHECK(n == 3);
}

TEST_CASE("index runs: reads start anywhere inside a run and cross run boundaries") {
  temp_dir dir;
  options o;
  o.index_flush_records = 1000; // flushed runs of up to 128 consecutive seqs, plus a tail
  o.index_flush_per_stream = 0;
  auto j = open_at(dir.path, o);
  std::uint64_t seq = 0;
  for (int b = 0; b < 30; ++b) {
    std::vector<event_data> batch;
    for (int i = 0; i < 100; ++i)
      batch.push_back(ev("e", std::to_string(seq + i + 1)));
    auto r = j->append("long", seq, std::move(batch));
    REQUIRE(r);
    seq = r->last_seq;
    REQUIRE(j->append("other" + std::to_string(b % 3),
                      *j->head_seq("other" + std::to_string(b % 3)), {ev("e", "x")}));
  }
  CHECK(*j->head_seq("long") == 3000);
  for (std::uint64_t from : {1, 2, 127, 128, 129, 130, 256, 257, 999, 1000, 1001, 2999, 3000}) {
    std::uint64_t expect = from, n = 0;
    bool ok = true;
    (void)j->read_entity("long", from, [&](const record_view& r) {
      ok = ok && r.seq == expect && r.payload == std::to_string(expect);
      ++expect;
      ++n;
      return true;
    });
    CHECK_MESSAGE(ok, "from " << from);
    CHECK_MESSAGE(n == 3001 - from, "from " << from);
  }
  auto report = verify(*j);
  REQUIRE(report);
  CHECK(report->ok());
  j.reset();
  auto again = open_at(dir.path, o);
  CHECK(*again->head_seq("long") == 3000);
  std::uint64_t heads = 0;
  (void)again->list_streams([&](std::string_view pid, std::uint64_t head) {
    heads += pid == "long" ? head : 0;
    return true;
  });
  CHECK(heads == 3000);
  REQUIRE(again->append("long", 3000, {ev("e", "3001")}));
}

TEST_CASE("index runs: a stream appended to across many flushes extends its last run") {
  temp_dir dir;
  options o;
  o.index_flush_records = 3; // a flush every few events: each adds one or two seqs per stream
  o.index_flush_per_stream = 0;
  auto j = open_at(dir.path, o);
  std::uint64_t heads[2] = {0, 0};
  for (int i = 0; i < 400; ++i) {
    auto pid = std::string(i % 2 == 0 ? "a" : "b");
    auto& head = heads[i % 2];
    auto r = j->append(pid, head, {ev("e", std::to_string(head + 1))});
    REQUIRE(r);
    head = r->last_seq;
  }
  for (std::uint64_t from : {1, 2, 127, 128, 129, 150, 199, 200}) {
    std::uint64_t expect = from, n = 0;
    bool ok = true;
    (void)j->read_entity("a", from, [&](const record_view& r) {
      ok = ok && r.seq == expect && r.payload == std::to_string(expect);
      ++expect;
      ++n;
      return true;
    });
    CHECK_MESSAGE(ok, "from " << from);
    CHECK_MESSAGE(n == 201 - from, "from " << from);
  }
  auto report = verify(*j);
  REQUIRE(report);
  CHECK(report->ok());
  j.reset();
  auto again = open_at(dir.path, o);
  CHECK(*again->head_seq("a") == 200);
  CHECK(*again->head_seq("b") == 200);
  auto stale = again->append("a", 199, {ev("e", "x")});
  REQUIRE_FALSE(stale);
  CHECK(stale.error() == errc::seq_conflict);
  REQUIRE(again->append("a", 200, {ev("e", "201")}));
}

namespace {

/// Every stream in `heads` reads back exactly seqs 1..head in order, once each, from its first
/// event and from its last; list_streams names each once with that head; verify agrees.
void check_streams(const journal& j, const std::map<std::string, std::uint64_t>& heads) {
  for (auto& [pid, head] : heads) {
    CHECK_MESSAGE(*j.head_seq(pid) == head, pid);
    std::uint64_t next = 1;
    auto n = j.read_entity(pid, 1, [&](const record_view& r) {
      CHECK_MESSAGE(r.seq == next, pid);
      ++next;
      return true;
    });
    REQUIRE(n);
    CHECK_MESSAGE(*n == head, pid);
    auto tail = j.read_entity(pid, head, [](const record_view&) { return true; });
    REQUIRE(tail);
    CHECK_MESSAGE(*tail == 1, pid);
  }
  std::map<std::string, std::uint64_t> listed;
  (void)j.list_streams([&](std::string_view pid, std::uint64_t head) {
    CHECK_MESSAGE(listed.emplace(std::string(pid), head).second, "listed twice: " << pid);
    return true;
  });
  CHECK(listed == heads);
  auto report = verify(j);
  REQUIRE(report);
  CHECK(report->ok());
}

} // namespace

TEST_CASE("index flushes wait for several entries per stream, up to index_max_delta_records") {
  temp_dir dir;
  options o;
  o.index_flush_records = 8;
  o.index_flush_per_stream = 4;
  o.index_max_delta_records = 64;
  std::vector<std::string> pids;
  std::map<std::string, std::uint64_t> heads;
  {
    auto j = open_at(dir.path, o);
    // Two streams: the 8th entry is 4 per stream, so that commit flushes what was committed
    // before it (7 entries), both streams in one chunk (a chunk is at least twice the entries
    // the commit adds); the 8th stays in memory.
    for (int i = 0; i < 8; ++i) {
      CHECK(j->stats().index_flushes == 0);
      auto pid = std::string(i % 2 ? "a" : "b");
      REQUIRE(j->append(pid, *j->head_seq(pid), {ev("e", std::to_string(i))}));
      heads[pid]++;
    }
    CHECK(j->stats().index_flushes == 1);
    CHECK(j->stats().index_entries_flushed == 7);
    // New streams, one entry each: under 4 per stream, so no flush begins until the delta
    // (1 entry left over, plus the new ones) and the commit's entry reach
    // index_max_delta_records: at the 63rd new stream.
    for (int i = 0; i < 63; ++i) {
      CHECK(j->stats().index_entries_flushed == 7);
      pids.push_back("many/" + std::to_string(i));
      REQUIRE(j->append(pids.back(), 0, {ev("e", pids.back())}));
      heads[pids.back()] = 1;
    }
    // That flush took the 63 committed streams ("a" and 62 new ones) and writes two a commit.
    CHECK(j->stats().index_entries_flushed == 7 + 2);
    CHECK(j->stats().index_flushes == 1);
    // Midway, with entries in `streams` above the watermark: every read sees each event once.
    for (int i = 0; i < 5; ++i) {
      REQUIRE(j->append(pids[i], 1, {ev("e", "second")}));
      heads[pids[i]] = 2;
    }
    CHECK(j->stats().index_entries_flushed == 7 + 2 * 6);
    check_streams(*j, heads);
    // 32 commits in all finish it; then the watermark moves and the delta lets go.
    for (int i = 0; i < 32 - 6; ++i) {
      CHECK(j->stats().index_flushes == 1);
      REQUIRE(j->append("tail", static_cast<std::uint64_t>(i), {ev("e", "t")}));
      heads["tail"] = static_cast<std::uint64_t>(i + 1);
    }
    CHECK(j->stats().index_flushes == 2);
    CHECK(j->stats().index_entries_flushed == 7 + 63);
    CHECK(*j->head_seq("a") == 4);
    check_streams(*j, heads);
  }
  auto j = open_at(dir.path, o); // the unflushed tail is indexed again from the log
  CHECK(*j->head_seq("b") == 4);
  CHECK(*j->head_seq(pids[4]) == 2);
  CHECK(*j->head_seq(pids[5]) == 1);
  check_streams(*j, heads);
  CHECK(heads.size() == 2 + 63 + 1);
}

TEST_CASE("a stream index flush cut short by a stop is finished after the reopen") {
  temp_dir dir;
  options o;
  o.index_flush_records = 32;
  o.index_flush_per_stream = 0; // flush at index_flush_records, whatever the streams
  o.index_max_delta_records = 1024;
  std::map<std::string, std::uint64_t> heads;
  auto append = [&](journal& j, const std::string& pid) {
    REQUIRE(j.append(pid, heads[pid], {ev("e", pid + "/" + std::to_string(heads[pid]))}));
    heads[pid]++;
  };
  {
    auto j = open_at(dir.path, o);
    // 40 streams: the flush begins at the 32nd entry with the 31 committed before it, two a
    // commit, so 9 commits in, 18 are in `streams` and 13 are not.
    for (int i = 0; i < 40; ++i)
      append(*j, "s/" + std::to_string(i));
    CHECK(j->stats().index_flushes == 0);
    CHECK(j->stats().index_entries_flushed == 18);
    check_streams(*j, heads);
  } // stopped midway: the watermark is where the last finished flush left it (none)
  {
    auto j = open_at(dir.path, o);
    check_streams(*j, heads);
    // The next flush writes those streams again: entries already there are skipped, and a
    // stream whose last run is there is extended past it (second events for 20 of them).
    for (int i = 0; i < 20; ++i)
      append(*j, "s/" + std::to_string(i));
    for (int i = 0; i < 80 && j->stats().index_flushes == 0; ++i)
      append(*j, "tail");
    CHECK(j->stats().index_flushes >= 1);
    CHECK(j->stats().checksum_failures == 0);
    check_streams(*j, heads);
  }
  auto j = open_at(dir.path, o);
  check_streams(*j, heads);
}

TEST_CASE("a flush over many streams is sorted aside and written in slices, and forgets them") {
  // 20,000 streams of one event: the flush's sort runs on another thread (from 16,384 streams
  // on), and the streams it wrote are forgotten a chunk per commit beyond cached_streams.
  temp_dir dir;
  options o;
  o.index_flush_records = 20000;
  o.index_flush_per_stream = 0;
  o.index_max_delta_records = 1u << 20;
  o.cached_streams = 4096;
  std::map<std::string, std::uint64_t> heads;
  {
    auto j = open_at(dir.path, o);
    std::mutex mu;
    std::condition_variable cv;
    int in_flight = 0;
    std::string failure;
    auto append = [&](const std::string& pid, std::uint64_t head) {
      {
        std::unique_lock lock{mu};
        cv.wait(lock, [&] { return in_flight < 256; });
        ++in_flight;
      }
      j->append_async(pid, head, {ev("e", pid)}, [&](fp::expected<append_result> r) {
        std::lock_guard lock{mu};
        if (!r && failure.empty())
          failure = r.error().to_string();
        --in_flight;
        cv.notify_all();
      });
    };
    auto drain = [&] {
      std::unique_lock lock{mu};
      cv.wait(lock, [&] { return in_flight == 0; });
    };
    char name[32];
    for (int i = 0; i < 20000; ++i) {
      std::snprintf(name, sizeof name, "bulk/%05d", i);
      append(name, 0);
      heads[name] = 1;
    }
    drain();
    // More appends, one stream each, until the flush has ended.
    for (int i = 0; i < 200000 && j->stats().index_flushes == 0; ++i) {
      std::snprintf(name, sizeof name, "more/%06d", i);
      append(name, 0);
      heads[name] = 1;
      if (i % 256 == 255)
        drain();
    }
    drain();
    REQUIRE(failure.empty());
    CHECK(j->stats().index_flushes == 1);
    CHECK(j->stats().index_entries_flushed >= 16384); // one flush, large enough to sort aside
    check_streams(*j, heads);
  }
  auto j = open_at(dir.path, o);
  check_streams(*j, heads);
}

TEST_CASE("heads stay right when the writer forgets streams beyond cached_streams") {
  temp_dir dir;
  options o;
  o.index_flush_records = 4;
  o.index_flush_per_stream = 0;
  o.cached_streams = 3; // most streams' heads come from `streams` again after a flush
  auto j = open_at(dir.path, o);
  std::vector<std::uint64_t> heads(20, 0);
  for (int round = 0; round < 5; ++round)
    for (std::size_t s = 0; s < heads.size(); ++s) {
      auto pid = "s" + std::to_string(s);
      auto stale = j->append(pid, heads[s] + 1, {ev("e", "x")});
      REQUIRE_FALSE(stale);
      CHECK(stale.error() == errc::seq_conflict);
      auto r = j->append(pid, heads[s], {ev("e", std::to_string(heads[s] + 1))});
      REQUIRE(r);
      heads[s] = r->last_seq;
    }
  for (std::size_t s = 0; s < heads.size(); ++s) {
    CHECK(heads[s] == 5);
    CHECK(*j->head_seq("s" + std::to_string(s)) == 5);
  }
  auto report = verify(*j);
  REQUIRE(report);
  CHECK(report->ok());
}

TEST_CASE("a truncated or empty data file is refused at open, not read through the map") {
  temp_dir dir;
  {
    auto j = open_at(dir.path);
    for (int i = 0; i < 200; ++i)
      REQUIRE(j->append("s" + std::to_string(i), 0, {ev("e", std::string(1000, 'x'))}));
  }
  auto file = dir.path / "data.mdb";
  auto full = std::filesystem::file_size(file);
  REQUIRE(full > 64 * 1024);
  std::filesystem::resize_file(file, full / 2);
  for (bool read_only : {true, false}) {
    options o;
    o.dir = dir.path;
    o.read_only = read_only;
    auto j = journal::open(o);
    REQUIRE_FALSE(j.has_value());
    CHECK(j.error().is(errc::corrupt));
    CHECK(j.error().message().find("is truncated") != std::string::npos);
  }
  CHECK(std::filesystem::file_size(file) == full / 2); // opening changed nothing
  std::filesystem::resize_file(file, 0);
  options o;
  o.dir = dir.path;
  o.read_only = true;
  auto j = journal::open(o);
  REQUIRE_FALSE(j.has_value());
  CHECK(j.error().message().find("is empty") != std::string::npos);
}
