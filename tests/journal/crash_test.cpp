// Crash test: a child process appends to the journal from several threads, and puts objects
// from another, and is killed with SIGKILL at a random moment, over and over; after every kill
// the journal must hold every acknowledged event and object with its exact bytes, no
// half-written append, and pass verify().
//
// Note: `kill -9` ends the process but leaves the kernel's page cache alive, so everything
// the child wrote reaches the file even without an fsync. This test therefore proves that the
// journal's commits are atomic and that acks are not sent before the commit, but it cannot
// prove durability against power loss by itself; the "environment never weakens fsync, and
// every ack follows a durable commit" unit test in journal/journal.test.cpp (env flags and
// commit counts) covers that part.
//
// The seed is printed; set FP_CRASH_SEED to replay a run's kill times.

#include "journal/journal.hpp"
#include "journal/object_store.hpp"
#include "journal/verify.hpp"
#include "tests/journal/crash_common.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <poll.h>
#include <random>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#ifndef FP_CRASH_CHILD
#error "FP_CRASH_CHILD (the path of fp_journal_crash_child) must be defined"
#endif

using namespace fp::journal;
namespace crash = fp::journal::crash;

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path =
        std::filesystem::temp_directory_path() / ("fp-journal-crash-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

struct child_run {
  std::vector<crash::ack_record> acks;
  std::size_t bad_records = 0;   ///< complete 48-byte records with a wrong magic or check
  std::size_t partial_bytes = 0; ///< a trailing record cut short (ignored)
  int status = 0;
  std::chrono::milliseconds lived{0};
};

/// Runs the child on `dir`, reading its acks while it runs, SIGKILLs it after `delay`, reaps
/// it and drains the pipe. Only complete ack records count.
child_run run_child(const std::filesystem::path& dir, std::chrono::milliseconds delay) {
  auto child = fp::tests::crash::run_and_kill({FP_CRASH_CHILD, dir.string()}, crash::ack_fd, delay);
  child_run out;
  out.status = child.status;
  out.lived = child.lived;
  const auto& buf = child.acked;
  auto complete = buf.size() / sizeof(crash::ack_record);
  out.partial_bytes = buf.size() % sizeof(crash::ack_record);
  for (std::size_t i = 0; i < complete; ++i) {
    crash::ack_record rec;
    std::memcpy(&rec, buf.data() + i * sizeof rec, sizeof rec);
    if (rec.magic != crash::ack_magic || rec.check != rec.compute_check()) {
      ++out.bad_records;
      continue;
    }
    out.acks.push_back(rec);
  }
  return out;
}

std::unique_ptr<journal> open_at(const std::filesystem::path& dir) {
  options o;
  o.dir = dir;
  o.object_index_flush_records = crash::object_flush_records;
  auto j = journal::open(o);
  REQUIRE_MESSAGE(j.has_value(), (j ? "" : j.error().to_string()));
  return std::move(*j);
}

struct stored_event {
  std::string pid;
  std::uint64_t seq = 0;
};

/// Checks the journal after a kill against every ack received so far. Returns its events.
std::uint64_t check_journal(const journal& j, const std::vector<crash::ack_record>& acks) {
  // 1. verify(): checksums, gap-free global seq from 1, stream continuity, index agreement.
  auto report = verify(j);
  REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.error().to_string()));
  CHECK_MESSAGE(report->ok(), (report->first_problem ? report->first_problem->where + ": " +
                                                           report->first_problem->what
                                                     : std::string()));
  CHECK(report->problems == 0);
  const auto total = report->events;

  // 2. Global order: 1..total without a gap, every record with exactly its expected bytes.
  std::vector<stored_event> by_global;
  by_global.reserve(total);
  std::uint64_t bad_payloads = 0, bad_globals = 0, bad_meta = 0;
  auto next = j.read_global(1, UINT64_MAX, [&](const record_view& r) {
    if (r.global_seq != by_global.size() + 1)
      ++bad_globals;
    if (r.payload != crash::payload_for(r.persistence_id, r.seq))
      ++bad_payloads;
    if (r.kind != record_kind::event || r.writer != "crash-child" || r.schema_version != 1 ||
        r.event_type != crash::event_type_for(r.seq))
      ++bad_meta;
    by_global.push_back({std::string(r.persistence_id), r.seq});
    return true;
  });
  REQUIRE_MESSAGE(next.has_value(), (next ? "" : next.error().to_string()));
  CHECK(*next == total + 1);
  CHECK(by_global.size() == total);
  CHECK(bad_globals == 0);
  CHECK(bad_payloads == 0);
  CHECK(bad_meta == 0);

  // 3. Per stream: head a multiple of K, seqs 1..head, payloads exact, and every batch of K
  //    complete and contiguous in the global order (written by one commit).
  std::vector<std::vector<std::uint64_t>> globals(crash::streams); // [stream][seq-1]
  std::uint64_t sum_heads = 0;
  for (int s = 0; s < crash::streams; ++s) {
    auto pid = crash::stream_pid(s);
    auto head = j.head_seq(pid);
    REQUIRE(head.has_value());
    INFO("stream ", pid, " head ", *head);
    CHECK(*head % crash::events_per_append == 0);
    sum_heads += *head;
    std::uint64_t expect_seq = 1, wrong = 0;
    auto n = j.read_entity(pid, 1, [&](const record_view& r) {
      if (r.seq != expect_seq++ || r.persistence_id != pid ||
          r.payload != crash::payload_for(pid, r.seq))
        ++wrong;
      globals[s].push_back(r.global_seq);
      return true;
    });
    REQUIRE_MESSAGE(n.has_value(), (n ? "" : n.error().to_string()));
    CHECK(*n == *head);
    CHECK(wrong == 0);
    std::uint64_t broken_batches = 0;
    for (std::size_t i = 0; i < globals[s].size(); ++i) {
      auto g = globals[s][i];
      bool batch_start = i % crash::events_per_append == 0;
      if (g == 0 || g > by_global.size() || by_global[g - 1].pid != pid ||
          by_global[g - 1].seq != i + 1 || (!batch_start && g != globals[s][i - 1] + 1))
        ++broken_batches;
    }
    CHECK(broken_batches == 0);
  }
  CHECK(sum_heads == total);

  // 4. Objects: 0..n-1, each with its exact bytes (the puts were one at a time).
  object_store store{const_cast<journal&>(j)};
  std::uint64_t objects = 0, bad_objects = 0;
  auto listed = store.list("crash/objects/", [&](const fp::artifact_ref&) {
    ++objects;
    return true;
  });
  REQUIRE_MESSAGE(listed.has_value(), (listed ? "" : listed.error().to_string()));
  for (std::uint64_t n = 0; n < objects; ++n) {
    auto got = store.get(crash::object_path(n));
    if (!got || *got != crash::object_bytes(n))
      ++bad_objects;
  }
  CHECK_MESSAGE(bad_objects == 0,
                bad_objects << " of " << objects << " objects are missing or wrong");

  // 5. Every ack ever received: its events (or object) are there, at exactly the acked seqs
  //    and globals.
  std::uint64_t missing = 0, mismatched = 0;
  for (auto& a : acks) {
    if (a.stream == crash::object_stream) {
      if (a.first_seq >= objects)
        ++missing;
      continue;
    }
    if (a.stream >= static_cast<std::uint32_t>(crash::streams) ||
        a.last_seq - a.first_seq + 1 != crash::events_per_append ||
        a.last_global - a.first_global != a.last_seq - a.first_seq) {
      ++mismatched;
      continue;
    }
    auto& g = globals[a.stream];
    if (a.last_seq > g.size()) {
      ++missing;
      continue;
    }
    for (auto seq = a.first_seq; seq <= a.last_seq; ++seq)
      if (g[seq - 1] != a.first_global + (seq - a.first_seq))
        ++mismatched;
  }
  CHECK_MESSAGE(missing == 0, missing << " acked appends or objects are missing after the kill");
  CHECK_MESSAGE(mismatched == 0, mismatched << " acked events have other seqs or globals");
  return total;
}

} // namespace

TEST_CASE("kill -9 while appending: acked events survive, no append is half-written") {
  std::uint64_t seed = 0;
  if (const char* env = std::getenv("FP_CRASH_SEED"))
    seed = std::strtoull(env, nullptr, 10);
  else
    seed = std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32);
  std::printf("crash test seed: %llu (FP_CRASH_SEED=%llu to replay)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  INFO("seed ", seed);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> delay_ms(30, 400);

  temp_dir dir;
  constexpr int rounds = 24;
  std::vector<crash::ack_record> acks;
  std::uint64_t prev_total = 0;
  int rounds_with_acks = 0, resumed_rounds = 0;
  std::size_t partial_records = 0;
  auto started = std::chrono::steady_clock::now();
  for (int round = 0; round < rounds; ++round) {
    auto delay = std::chrono::milliseconds(delay_ms(rng));
    INFO("round ", round, " kill after ", delay.count(), " ms");
    auto run = run_child(dir.path, delay);
    // The child must have been killed by us: an early exit means appending failed.
    REQUIRE_MESSAGE(WIFSIGNALED(run.status),
                    "child exited with status "
                        << (WIFEXITED(run.status) ? WEXITSTATUS(run.status) : -1));
    REQUIRE(WTERMSIG(run.status) == SIGKILL);
    CHECK(run.bad_records == 0);
    if (run.partial_bytes != 0)
      ++partial_records;
    if (!run.acks.empty())
      ++rounds_with_acks;
    bool resumed = false;
    for (auto& a : run.acks)
      resumed = resumed || (a.stream != crash::object_stream && a.first_seq > 1);
    if (resumed && prev_total > 0)
      ++resumed_rounds;
    acks.insert(acks.end(), run.acks.begin(), run.acks.end());

    auto j = open_at(dir.path);
    auto total = check_journal(*j, acks);
    CHECK_MESSAGE(total >= prev_total, "events went from " << prev_total << " to " << total);
    // Acks arrive after the commit, so the journal can hold more than was acked, never less.
    std::uint64_t max_acked_global = 0;
    for (auto& a : acks)
      max_acked_global = std::max(max_acked_global, a.last_global);
    CHECK(total >= max_acked_global);
    prev_total = total;
    j.reset();
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::size_t append_acks = 0, object_acks = 0;
  for (auto& a : acks)
    (a.stream == crash::object_stream ? object_acks : append_acks)++;
  std::printf("crash test: %d rounds in %.1f s, %zu acked appends, %zu acked objects, %llu events, "
              "%d rounds with acks, %d resumed, %zu cut ack records\n",
              rounds, secs, append_acks, object_acks, static_cast<unsigned long long>(prev_total),
              rounds_with_acks, resumed_rounds, partial_records);
  // Appending resumes after every kill: most rounds ack appends, continuing existing streams.
  CHECK(rounds_with_acks >= rounds / 2);
  CHECK(resumed_rounds >= 1);
  CHECK(prev_total >= append_acks * crash::events_per_append);
  // Objects were put in most rounds too, and their paths flushed to `objects` many times.
  CHECK(object_acks > 2 * crash::object_flush_records);
}
