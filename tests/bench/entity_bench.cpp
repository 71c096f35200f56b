// entity_bench: the entity runtime (actors/core) against its raw baselines (DESIGN.md §9).
//
// Prints one JSON object per line on stdout; progress goes to stderr. Every comparison runs
// its baseline in the same run:
//   persist_cps_w{16,256}[_linger200]
//                           counter `add` commands/s (each persists one event) spread over
//                           --entities distinct live entities, W commands in flight (closed
//                           loop, seeded random keys) vs the journal's own append_async with W
//                           appenders in flight (one event per append, each on its own stream,
//                           the counter event's real encoded bytes); interleaved in slices,
//                           each side on its own journal dir; the _linger lines run the
//                           entities on a journal with max_wait (prod profile: 200 us). For
//                           comparison only, each line also carries the journal alone with the
//                           same appenders spread over --entities distinct streams
//                           (journal_spread_eps, ratio_vs_journal_spread): the journal's stream
//                           index costs more per event when streams are many
//   request_rps_w16         counter `get` (no persist) to one live entity, 16 in flight,
//                           driven by a CAF client actor, vs a CAF client actor doing
//                           request(...).then(...) against an echo actor, 16 in flight, in the
//                           runtime's own actor system (same scheduler); interleaved in slices
//   recovery_eps            --recovery-entities entities x 10 events, all passivated (fresh
//                           runtime): one `get` to each until all are live again, events/s, vs
//                           the journal's read_global over the same records
//   mem_bytes_per_{live,passivated}_entity
//                           anonymous RSS (RssAnon after the allocator returned its free
//                           pages: jemalloc's purge, or glibc's malloc_trim when built with
//                           -DFP_JEMALLOC=OFF) per entity with --mem-entities live, and after
//                           they all passivated
// Every line names the allocator ("allocator"): the node's, jemalloc, unless FP_JEMALLOC=OFF.
// Scratch data goes to a temp dir under --dir, $TMPDIR or /tmp (must be a real disk: fsync on
// tmpfs is free).
//
// Usage: entity_bench [--quick] [--dir DIR] [--only persist|request|recovery|memory]
//                     [--entities N] [--recovery-entities N] [--mem-entities N]
//                     [--seconds S] [--slices N] [--max-wait-us US]

#include "actors/core/region_impl.hpp"
#include "actors/core/runtime.hpp"
#include "actors/testkit/counter.hpp"
#include "journal/journal.hpp"
#include "tests/bench/bench_common.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <malloc.h>
#ifdef FP_BENCH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

extern const char fp::bench::bench_name[] = "entity";

namespace {

namespace fs = std::filesystem;
namespace fj = fp::journal;
namespace fa = fp::actors;
using fp::testkit::counter_command;
using fp::testkit::counter_def;
using fp::testkit::counter_event;
using fp::testkit::counter_op;
using fp::testkit::counter_reply;
using counter_client = fa::entity_client<counter_def>;
using fp::bench::any_error;
using fp::bench::clock_type;
using fp::bench::emit;
using fp::bench::emit_error;
using fp::bench::json;
using fp::bench::line;
using fp::bench::progress;
using fp::bench::remove_dir;
using fp::bench::round_to;
using fp::bench::scratch_dir;
using fp::bench::seconds_since;
using fp::bench::settle_disk;

/// Domain time carried by commands (the counter never reads a clock): a fixed 2023 instant
/// plus a counter, so every event encodes to the same size as a real one.
constexpr std::int64_t base_at_ns = 1'700'000'000'000'000'000;
constexpr std::size_t map_bytes = 1ull << 30;

[[noreturn]] void fail(const std::string& msg) {
  throw std::runtime_error(msg);
}

template <class T>
T take(fp::expected<T> r, const std::string& what) {
  if (!r)
    fail(what + ": " + r.error().to_string());
  return std::move(*r);
}

#ifdef FP_BENCH_JEMALLOC
constexpr const char* allocator_name = "jemalloc";
/// Returns jemalloc's free pages (every arena's, this thread's cache first) to the kernel.
void return_free_pages() {
  ::mallctl("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
  auto purge = "arena." + std::to_string(MALLCTL_ARENAS_ALL) + ".purge";
  ::mallctl(purge.c_str(), nullptr, nullptr, nullptr, 0);
}
/// Bytes the allocator has handed out and not got back (jemalloc's stats.allocated).
std::uint64_t heap_in_use_bytes() {
  std::uint64_t epoch = 1;
  std::size_t len = sizeof epoch;
  ::mallctl("epoch", &epoch, &len, &epoch, len);
  std::size_t allocated = 0;
  len = sizeof allocated;
  if (::mallctl("stats.allocated", &allocated, &len, nullptr, 0) != 0)
    return 0;
  return allocated;
}
#else
constexpr const char* allocator_name = "glibc";
void return_free_pages() {
  ::malloc_trim(0);
}
/// Bytes the allocator has handed out and not got back (glibc mallinfo2, all arenas).
std::uint64_t heap_in_use_bytes() {
  auto mi = ::mallinfo2();
  return mi.uordblks + mi.hblkhd;
}
#endif

/// `RssAnon` of this process in bytes (heap and anonymous mappings; not LMDB's file-backed
/// map), after returning free heap pages to the kernel.
std::uint64_t rss_anon_bytes() {
  return_free_pages();
  std::ifstream in{"/proc/self/status"};
  std::string l;
  while (std::getline(in, l))
    if (l.rfind("RssAnon:", 0) == 0)
      return std::stoull(l.substr(8)) * 1024;
  return 0;
}

// -- keys, commands, nodes --------------------------------------------------------------------

/// "e0000123": the same width for every key of a run (at least 7 digits).
std::vector<std::string> make_keys(std::uint64_t n, char prefix = 'e') {
  auto width = std::max<std::size_t>(7, std::to_string(n ? n - 1 : 0).size());
  std::vector<std::string> keys;
  keys.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    auto digits = std::to_string(i);
    keys.push_back(prefix + std::string(width - digits.size(), '0') + digits);
  }
  return keys;
}

std::atomic<std::int64_t> next_at{0};

counter_command add_cmd() {
  return counter_command{counter_op::add, 1, base_at_ns + next_at.fetch_add(1)};
}

counter_command get_cmd() {
  return counter_command{counter_op::get, 0, 0};
}

/// What one counter `add` persists, as the entity encodes it.
fj::event_data counter_event_data() {
  return counter_def::encode(counter_event{1, base_at_ns + 123'456'789});
}

fj::options journal_options(const fs::path& dir, std::chrono::microseconds max_wait = {}) {
  fj::options o;
  o.dir = dir;
  o.max_wait = max_wait;
  o.initial_map_bytes = map_bytes;
  o.writer_id = "entity_bench";
  return o;
}

/// A journal, a runtime on it and the counter region: what a node runs, minus the planes.
struct node {
  std::unique_ptr<fj::journal> journal;
  std::unique_ptr<fa::runtime> rt;
  counter_client counters;
  unsigned threads = 0;

  static std::unique_ptr<node> start(const fs::path& dir, const fa::entity_options& o,
                                     std::chrono::microseconds max_wait = {}) {
    auto n = std::make_unique<node>();
    n->journal =
        take(fj::journal::open(journal_options(dir, max_wait)), "journal open " + dir.string());
    n->threads = std::max(1u, std::thread::hardware_concurrency());
    n->rt = take(fa::runtime::start(*n->journal, fa::runtime_options{n->threads}), "runtime");
    n->counters = fp::testkit::start_counters(*n->rt, o);
    return n;
  }
  ~node() {
    counters = {};
    if (rt)
      rt->shutdown();
    rt.reset();
    journal.reset();
  }
  const fa::entity_type_view& view() const { return *rt->type("counter"); }
  caf::actor_system& system() const { return *rt->internals().system; }
};

fa::entity_options region_options(std::uint64_t entities) {
  fa::entity_options o;
  o.max_live = std::max<std::uint64_t>(o.max_live, 2 * entities);
  o.passivate_after = std::chrono::hours(1);
  return o; // snapshot_every 100, max_concurrent_recoveries 256, 8 shards, 64 partitions
}

// -- closed loops of commands through entity_client -------------------------------------------

struct loop_result {
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  double seconds = 0;
  std::string first_error;
};

/// `window` lanes, each with one command in flight: a lane's completion (a callback on an
/// actor thread) issues its next command. `pick(lane)` names the next key index, or nothing
/// when the lane is done; a failed command ends its lane.
class command_loop {
public:
  using picker = std::function<std::optional<std::size_t>(int lane)>;
  using checker = std::function<bool(std::size_t index, const counter_reply&)>;

  command_loop(counter_client c, const std::vector<std::string>& keys)
      : client_(std::move(c))
      , keys_(keys) {}

  loop_result run(int window, picker pick, std::function<counter_command()> cmd,
                  checker check = {}) {
    auto s = std::make_shared<run_state>();
    s->client = client_;
    s->keys = &keys_;
    s->pick = std::move(pick);
    s->cmd = std::move(cmd);
    s->check = std::move(check);
    s->lanes_left = window;
    auto t0 = clock_type::now();
    for (int i = 0; i < window; ++i)
      issue(s, i);
    {
      std::unique_lock lock{s->mu};
      s->cv.wait(lock, [&] { return s->lanes_left == 0; });
    }
    loop_result r;
    r.seconds = seconds_since(t0);
    r.ok = s->ok;
    r.failed = s->failed;
    std::lock_guard lock{s->mu};
    r.first_error = s->first_error;
    return r;
  }

  /// Random keys (seeded per lane) until `seconds` have passed, then drains.
  loop_result run_timed(int window, double seconds, std::function<counter_command()> cmd,
                        std::uint64_t seed) {
    if (rngs_.size() < static_cast<std::size_t>(window))
      for (auto i = rngs_.size(); i < static_cast<std::size_t>(window); ++i)
        rngs_.emplace_back(seed * 1'000'003 + i);
    auto stop = std::make_shared<std::atomic<bool>>(false);
    auto n = keys_.size();
    std::optional<loop_result> res;
    std::thread timer([&] {
      std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
      *stop = true;
    });
    res = run(
        window,
        [this, stop, n](int lane) -> std::optional<std::size_t> {
          if (stop->load(std::memory_order_relaxed))
            return std::nullopt;
          return std::uniform_int_distribution<std::size_t>(0, n - 1)(rngs_[lane]);
        },
        std::move(cmd));
    timer.join();
    return *res;
  }

  /// Every key once, in `order`, `window` at a time.
  loop_result run_all(int window, const std::vector<std::size_t>& order,
                      std::function<counter_command()> cmd, checker check = {}) {
    auto next = std::make_shared<std::atomic<std::size_t>>(0);
    return run(
        window,
        [next, &order](int) -> std::optional<std::size_t> {
          auto i = next->fetch_add(1);
          if (i >= order.size())
            return std::nullopt;
          return order[i];
        },
        std::move(cmd), std::move(check));
  }

private:
  struct run_state {
    counter_client client;
    const std::vector<std::string>* keys = nullptr;
    picker pick;
    std::function<counter_command()> cmd;
    checker check;
    std::atomic<std::uint64_t> ok{0}, failed{0};
    std::mutex mu;
    std::condition_variable cv;
    int lanes_left = 0;
    std::string first_error;
  };

  static void lane_done(const std::shared_ptr<run_state>& s) {
    std::lock_guard lock{s->mu};
    if (--s->lanes_left == 0)
      s->cv.notify_all();
  }

  static void issue(const std::shared_ptr<run_state>& s, int lane) {
    auto idx = s->pick(lane);
    if (!idx) {
      lane_done(s);
      return;
    }
    s->client.send((*s->keys)[*idx], s->cmd(), [s, lane, i = *idx](fp::expected<counter_reply> r) {
      if (r && (!s->check || s->check(i, *r))) {
        s->ok.fetch_add(1, std::memory_order_relaxed);
        issue(s, lane);
        return;
      }
      s->failed++;
      {
        std::lock_guard lock{s->mu};
        if (s->first_error.empty())
          s->first_error =
              r ? "key " + (*s->keys)[i] + ": unexpected reply" : r.error().to_string();
      }
      lane_done(s);
    });
  }

  counter_client client_;
  const std::vector<std::string>& keys_;
  std::deque<std::mt19937_64> rngs_;
};

// -- the journal baseline: W appenders by acknowledgement -------------------------------------

/// `clients` appenders, each on its own stream with one append of one event in flight: the
/// acknowledgement (on the writer thread) issues the next. Counts from the journal's stats.
/// With `streams` > `clients`, client i appends to a seeded random one of the streams
/// i, i + clients, i + 2 clients, ... instead (the entities' key spread, for comparison).
class journal_load {
public:
  journal_load(const fs::path& dir, int clients, fj::event_data ev, std::uint64_t streams = 0)
      : ev_(std::move(ev))
      , clients_(static_cast<std::size_t>(clients)) {
    journal_ = take(fj::journal::open(journal_options(dir)), "journal open " + dir.string());
    auto n = std::max<std::uint64_t>(streams, static_cast<std::uint64_t>(clients));
    auto keys = make_keys(n, 'b');
    for (auto& k : keys)
      pids_.push_back(fa::persistence_id("counter", k)); // same pid length as the entities'
    heads_.assign(pids_.size(), 0);
    current_.resize(clients_);
    for (std::size_t i = 0; i < clients_; ++i) {
      rngs_.emplace_back(1000 + i);
      current_[i] = i;
    }
  }

  void run_slice(double seconds) {
    auto before = journal_->stats();
    auto t0 = clock_type::now();
    {
      std::lock_guard lock{mu_};
      outstanding_ = static_cast<int>(clients_);
    }
    running_ = true;
    for (std::size_t i = 0; i < clients_; ++i)
      issue(i);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    running_ = false;
    {
      std::unique_lock lock{mu_};
      drained_.wait(lock, [&] { return outstanding_ == 0; });
    }
    seconds_total += seconds_since(t0);
    auto after = journal_->stats();
    events += after.events_appended - before.events_appended;
    commits += after.commits - before.commits;
    std::lock_guard lock{mu_};
    if (!first_error_.empty())
      fail("baseline journal: " + first_error_);
  }

  double events_per_s() const { return static_cast<double>(events) / seconds_total; }

  std::uint64_t events = 0;
  std::uint64_t commits = 0;
  double seconds_total = 0;

private:
  void issue(std::size_t i) {
    if (pids_.size() > clients_) {
      auto per_client = (pids_.size() - i + clients_ - 1) / clients_;
      current_[i] =
          i + clients_ * std::uniform_int_distribution<std::size_t>(0, per_client - 1)(rngs_[i]);
    }
    auto s = current_[i];
    std::vector<fj::event_data> batch{ev_};
    journal_->append_async(pids_[s], heads_[s], std::move(batch),
                           [this, i](fp::expected<fj::append_result> r) { on_ack(i, r); });
  }

  void on_ack(std::size_t i, const fp::expected<fj::append_result>& r) {
    if (r) {
      heads_[current_[i]] = r->last_seq;
      if (running_) {
        issue(i);
        return;
      }
    }
    std::lock_guard lock{mu_};
    if (!r && first_error_.empty())
      first_error_ = r.error().to_string();
    if (--outstanding_ == 0)
      drained_.notify_one();
  }

  std::unique_ptr<fj::journal> journal_;
  fj::event_data ev_;
  std::size_t clients_;
  std::vector<std::string> pids_;
  std::vector<std::uint64_t> heads_;
  std::vector<std::size_t> current_; ///< the stream each client appends to now
  std::vector<std::mt19937_64> rngs_;
  std::atomic<bool> running_{false};
  std::mutex mu_;
  std::condition_variable drained_;
  int outstanding_ = 0;
  std::string first_error_;
};

// -- configuration ----------------------------------------------------------------------------

struct config {
  bool quick = false;
  fs::path parent_dir;
  std::string only;
  std::uint64_t entities = 100'000;            // persist: distinct entities
  std::uint64_t recovery_entities = 1'000'000; // recovery: entities x 10 events (the issue's size)
  std::uint64_t mem_entities = 1'000'000;      // memory: entities brought live (the issue's size)
  double seconds = 6.0;                        // per side, per persist/request comparison
  int slices = 6;                              // ours/baseline alternations per comparison
  int rounds = 2;                              // baseline scans around the recovery (best kept)
  std::int64_t max_wait_us = 200; // persist: a second entity side whose journal lingers (0: none)
};

bool wants(const config& c, const std::string& part) {
  return c.only.empty() || c.only == part;
}

void usage() {
  std::cerr << "usage: entity_bench [--quick] [--dir DIR] "
               "[--only persist|request|recovery|memory]\n"
               "                    [--entities N] [--recovery-entities N] [--mem-entities N]\n"
               "                    [--seconds S] [--slices N] [--max-wait-us US]\n";
}

std::optional<config> parse_args(int argc, char** argv) {
  config c;
  std::optional<std::uint64_t> entities, rec, mem;
  std::optional<double> secs;
  std::optional<int> slices;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    try {
      if (a == "--quick") {
        c.quick = true;
        continue;
      }
      if (i + 1 >= argc)
        return std::nullopt;
      std::string v = argv[++i];
      if (a == "--dir")
        c.parent_dir = v;
      else if (a == "--only")
        c.only = v;
      else if (a == "--entities")
        entities = std::stoull(v);
      else if (a == "--recovery-entities")
        rec = std::stoull(v);
      else if (a == "--mem-entities")
        mem = std::stoull(v);
      else if (a == "--seconds")
        secs = std::stod(v);
      else if (a == "--slices")
        slices = std::stoi(v);
      else if (a == "--max-wait-us")
        c.max_wait_us = std::stoll(v);
      else
        return std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (c.quick) {
    c.entities = 2'000;
    c.recovery_entities = 5'000;
    c.mem_entities = 5'000;
    c.seconds = 0.4;
    c.slices = 2;
  }
  if (entities)
    c.entities = std::max<std::uint64_t>(1, *entities);
  if (rec)
    c.recovery_entities = std::max<std::uint64_t>(1, *rec);
  if (mem)
    c.mem_entities = std::max<std::uint64_t>(1, *mem);
  if (secs)
    c.seconds = *secs;
  if (slices)
    c.slices = std::max(1, *slices);
  if (!c.only.empty() && c.only != "persist" && c.only != "request" && c.only != "recovery" &&
      c.only != "memory")
    return std::nullopt;
  if (c.parent_dir.empty())
    c.parent_dir = fp::bench::default_parent_dir();
  return c;
}

std::vector<std::size_t> identity_order(std::size_t n) {
  std::vector<std::size_t> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = i;
  return v;
}

std::vector<std::size_t> shuffled_order(std::size_t n, std::uint64_t seed) {
  auto v = identity_order(n);
  std::mt19937_64 rng{seed};
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}

void check_loop(const loop_result& r, const std::string& what) {
  if (r.failed > 0)
    fail(what + ": " + std::to_string(r.failed) + " commands failed; first: " + r.first_error);
}

// -- 1. persisted commands/s ------------------------------------------------------------------

/// One side of the persist comparison: a node whose journal lingers `max_wait` before a commit.
struct persist_side {
  std::string suffix; ///< metric name suffix
  std::chrono::microseconds max_wait{0};
  std::unique_ptr<node> nd;
  std::unique_ptr<command_loop> loop;
  loop_result warm;
  // per window
  std::uint64_t ok = 0, commits = 0, events = 0, snapshots = 0;
  double seconds = 0;
};

void bench_persist(const config& cfg, const fs::path& root) {
  const std::vector<int> windows{16, 256};
  auto n = cfg.entities;
  auto keys = make_keys(n);
  auto ev = counter_event_data();
  progress("persist: ", n, " entities, event ", ev.payload.size(), " payload bytes (",
           ev.event_type, ")");
  // The default journal options (max_wait 0, as the baseline), and, unless --max-wait-us 0, the
  // same with the journal lingering before each commit (config/profiles/prod.yaml: 200 us).
  std::vector<persist_side> sides;
  sides.emplace_back();
  if (cfg.max_wait_us > 0) {
    sides.emplace_back();
    sides.back().suffix = "_linger" + std::to_string(cfg.max_wait_us);
    sides.back().max_wait = std::chrono::microseconds(cfg.max_wait_us);
  }
  for (auto& sd : sides) {
    sd.nd = node::start(root / ("persist-entities" + sd.suffix), region_options(n), sd.max_wait);
    sd.loop = std::make_unique<command_loop>(sd.nd->counters, keys);
    // Warm-up: the first touch of an entity recovers it (an empty journal read); do that for
    // every entity before measuring.
    sd.warm = sd.loop->run_all(1024, identity_order(n), get_cmd);
    check_loop(sd.warm, "warm-up");
    progress("persist: warm-up touched ", sd.warm.ok, " entities in ", round_to(sd.warm.seconds, 2),
             " s (", static_cast<std::uint64_t>(static_cast<double>(sd.warm.ok) / sd.warm.seconds),
             " first touches/s), ", sd.nd->view().counts().live, " live (max_wait ",
             sd.max_wait.count(), " us)");
  }

  std::uint64_t seed = 1;
  for (int w : windows) {
    auto metric = "persist_cps_w" + std::to_string(w);
    try {
      auto bdir = root / ("persist-journal-w" + std::to_string(w));
      journal_load base{bdir, w, ev};
      // For comparison only (the baseline stays the journal at its best, above): the journal
      // alone appending to as many distinct streams as the entities are, spread the same way.
      auto sdir = root / ("persist-journal-spread-w" + std::to_string(w));
      journal_load spread{sdir, w, ev, n};
      double slice = cfg.seconds / cfg.slices;
      progress(metric, ": ", w, " in flight, ", cfg.slices, " slices of ", slice, " s each side (",
               sides.size(), " entity sides + the journal)");
      for (auto& sd : sides)
        sd.ok = sd.commits = sd.events = sd.snapshots = 0, sd.seconds = 0;
      for (int i = 0; i < cfg.slices; ++i) {
        for (auto& sd : sides) {
          settle_disk(root);
          auto s0 = sd.nd->journal->stats();
          auto r = sd.loop->run_timed(w, slice, add_cmd, seed++);
          auto s1 = sd.nd->journal->stats();
          check_loop(r, metric + sd.suffix);
          sd.ok += r.ok;
          sd.seconds += r.seconds;
          sd.commits += s1.commits - s0.commits;
          sd.events += s1.events_appended - s0.events_appended;
          sd.snapshots += s1.snapshots_saved - s0.snapshots_saved;
        }
        settle_disk(root);
        base.run_slice(slice);
        settle_disk(root);
        spread.run_slice(slice);
      }
      double base_eps = base.events_per_s();
      auto per_commit = [](std::uint64_t e, std::uint64_t c) {
        return round_to(static_cast<double>(e) / static_cast<double>(std::max<std::uint64_t>(1, c)),
                        2);
      };
      for (auto& sd : sides) {
        auto counts = sd.nd->view().counts();
        double cps = static_cast<double>(sd.ok) / sd.seconds;
        progress(metric, sd.suffix, ": entities ", static_cast<std::uint64_t>(cps), " commands/s (",
                 per_commit(sd.events, sd.commits), " events/commit, ",
                 static_cast<std::uint64_t>(static_cast<double>(sd.commits) / sd.seconds),
                 " commits/s), journal ", static_cast<std::uint64_t>(base_eps), " events/s (",
                 per_commit(base.events, base.commits), " events/commit, ",
                 static_cast<std::uint64_t>(static_cast<double>(base.commits) / base.seconds_total),
                 " commits/s); journal over ", n, " streams ",
                 static_cast<std::uint64_t>(spread.events_per_s()), " events/s");
        auto j = line(metric + sd.suffix);
        j["allocator"] = allocator_name;
        j["value"] = round_to(cps, 1);
        j["unit"] = "commands/s";
        j["baseline"] = round_to(base_eps, 1);
        j["ratio"] = round_to(cps / base_eps, 3);
        j["target"] = 0.6;
        j["window"] = w;
        j["entities"] = n;
        j["live"] = counts.live;
        j["passivated"] = counts.passivated;
        j["journal_max_wait_us"] = sd.max_wait.count();
        j["baseline_journal_max_wait_us"] = 0;
        j["events_per_commit"] = per_commit(sd.events, sd.commits);
        j["baseline_events_per_commit"] = per_commit(base.events, base.commits);
        j["commits_per_s"] = round_to(static_cast<double>(sd.commits) / sd.seconds, 1);
        j["baseline_commits_per_s"] =
            round_to(static_cast<double>(base.commits) / base.seconds_total, 1);
        j["journal_spread_eps"] = round_to(spread.events_per_s(), 1);
        j["ratio_vs_journal_spread"] = round_to(cps / spread.events_per_s(), 3);
        j["journal_spread_events_per_commit"] = per_commit(spread.events, spread.commits);
        j["journal_spread_name"] =
            "for comparison, not the baseline: journal append_async, same appenders, each on a "
            "seeded random stream of " +
            std::to_string(n) +
            " (the entities' spread; the journal's stream index costs more per event)";
        j["snapshots"] = sd.snapshots;
        j["event_bytes"] = ev.payload.size();
        j["seconds"] = round_to(sd.seconds, 2);
        j["baseline_seconds"] = round_to(base.seconds_total, 2);
        j["slices"] = cfg.slices;
        j["scheduler_threads"] = sd.nd->threads;
        j["warmup_first_touch_per_s"] =
            round_to(static_cast<double>(sd.warm.ok) / sd.warm.seconds, 1);
        j["lifecycle_passivated"] = sd.nd->view().lifecycle().passivated;
        j["driver"] = "closed loop of entity_client::send callbacks (the callback issues the next "
                      "command, seeded random key)";
        j["baseline_name"] = "journal append_async, " + std::to_string(w) +
                             " appenders by acknowledgement (the ack callback issues the next), "
                             "1 event/append, own stream each, same event bytes, own journal "
                             "dir, max_wait 0";
        if (sd.max_wait.count() > 0)
          j["note"] = "entities' journal lingers max_wait before each commit "
                      "(config/profiles/prod.yaml); the baseline keeps max_wait 0, its best";
        emit(j);
      }
      remove_dir(bdir);
      remove_dir(sdir);
    } catch (const std::exception& e) {
      emit_error(metric, e.what());
    }
  }
}

// -- 2. in-memory request/response ------------------------------------------------------------

using ping_atom = caf::atom_constant<caf::atom("eb_ping")>;
using go_atom = caf::atom_constant<caf::atom("eb_go")>;
using done_atom = caf::atom_constant<caf::atom("eb_done")>;

/// What a closed loop of requests shares with the thread that times it.
struct request_loop {
  std::atomic<bool> running{false};
  std::atomic<std::uint64_t> completed{0};
  std::atomic<std::uint64_t> failed{0};
  std::mutex mu;
  std::condition_variable cv;
  int outstanding = 0;

  void lane_done() {
    std::lock_guard lock{mu};
    if (--outstanding == 0)
      cv.notify_all();
  }

  /// Starts `window` lanes in `client`, waits `seconds`, stops them and waits for the drain.
  /// Returns completed requests and the seconds from start to drained.
  std::pair<std::uint64_t, double> slice(const caf::actor& client, int window, double seconds) {
    auto c0 = completed.load();
    {
      std::lock_guard lock{mu};
      outstanding = window;
    }
    running = true;
    auto t0 = clock_type::now();
    caf::anon_send(client, go_atom::value, window);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    running = false;
    std::unique_lock lock{mu};
    cv.wait(lock, [&] { return outstanding == 0; });
    return {completed.load() - c0, seconds_since(t0)};
  }
};

caf::behavior echo_server(caf::event_based_actor*) {
  return {[](ping_atom, std::int64_t x) { return x; }};
}

void ping(caf::event_based_actor* self, const caf::actor& server,
          const std::shared_ptr<request_loop>& loop, std::int64_t x) {
  self->request(server, caf::infinite, ping_atom::value, x)
      .then(
          [=](std::int64_t) {
            loop->completed.fetch_add(1, std::memory_order_relaxed);
            if (loop->running.load(std::memory_order_relaxed))
              ping(self, server, loop, x + 1);
            else
              loop->lane_done();
          },
          [=](caf::error&) {
            loop->failed++;
            loop->lane_done();
          });
}

/// The baseline: a client actor with `window` request(...).then(...) chains to one server.
caf::behavior caf_client(caf::event_based_actor* self, caf::actor server,
                         std::shared_ptr<request_loop> loop) {
  return {[=](go_atom, int window) {
    for (int i = 0; i < window; ++i)
      ping(self, server, loop, i);
  }};
}

void get_via_region(caf::event_based_actor* self, const counter_client& counters,
                    const std::string& key) {
  caf::actor me = caf::actor_cast<caf::actor>(self);
  counters.send(key, get_cmd(), [me](fp::expected<counter_reply> r) {
    caf::anon_send(me, done_atom::value, static_cast<bool>(r));
  });
}

/// Ours: a client actor with `window` lanes of entity_client::send; each reply callback
/// anon_sends back to the client, which issues the lane's next command.
caf::behavior region_client(caf::event_based_actor* self, counter_client counters, std::string key,
                            std::shared_ptr<request_loop> loop) {
  return {
      [=](go_atom, int window) {
        for (int i = 0; i < window; ++i)
          get_via_region(self, counters, key);
      },
      [=](done_atom, bool ok) {
        if (!ok) {
          loop->failed++;
          loop->lane_done();
          return;
        }
        loop->completed.fetch_add(1, std::memory_order_relaxed);
        if (loop->running.load(std::memory_order_relaxed))
          get_via_region(self, counters, key);
        else
          loop->lane_done();
      },
  };
}

void bench_request(const config& cfg, const fs::path& root) {
  const int window = 16;
  auto metric = "request_rps_w" + std::to_string(window);
  try {
    auto keys = make_keys(1);
    auto n = node::start(root / "request", region_options(1));
    // Make the entity live, with a state, before timing.
    take(n->counters.ask(keys[0], add_cmd()), "warm-up add");
    take(n->counters.ask(keys[0], get_cmd()), "warm-up get");
    auto& sys = n->system();
    auto ours_loop = std::make_shared<request_loop>();
    auto base_loop = std::make_shared<request_loop>();
    auto ours = sys.spawn(region_client, n->counters, keys[0], ours_loop);
    auto server = sys.spawn(echo_server);
    auto base = sys.spawn(caf_client, server, base_loop);
    double slice = cfg.seconds / cfg.slices;
    progress(metric, ": ", window, " in flight to one live entity vs CAF request/response, ",
             cfg.slices, " slices of ", slice, " s each side");
    std::uint64_t ours_n = 0, base_n = 0;
    double ours_s = 0, base_s = 0;
    for (int i = 0; i < cfg.slices; ++i) {
      auto [a, as] = ours_loop->slice(ours, window, slice);
      auto [b, bs] = base_loop->slice(base, window, slice);
      ours_n += a;
      ours_s += as;
      base_n += b;
      base_s += bs;
    }
    for (auto& a : {ours, server, base})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    if (ours_loop->failed > 0 || base_loop->failed > 0)
      fail(std::to_string(ours_loop->failed.load()) + " region requests and " +
           std::to_string(base_loop->failed.load()) + " CAF requests failed");
    auto live = n->view().counts().live;
    double ours_rps = static_cast<double>(ours_n) / ours_s;
    double base_rps = static_cast<double>(base_n) / base_s;
    progress(metric, ": region ", static_cast<std::uint64_t>(ours_rps), " req/s, CAF ",
             static_cast<std::uint64_t>(base_rps), " req/s");
    auto j = line(metric);
    j["allocator"] = allocator_name;
    j["value"] = round_to(ours_rps, 1);
    j["unit"] = "requests/s";
    j["baseline"] = round_to(base_rps, 1);
    j["ratio"] = round_to(ours_rps / base_rps, 3);
    j["target"] = 0.5;
    j["window"] = window;
    j["live"] = live;
    j["seconds"] = round_to(ours_s, 2);
    j["baseline_seconds"] = round_to(base_s, 2);
    j["slices"] = cfg.slices;
    j["scheduler_threads"] = n->threads;
    j["driver"] = "CAF client actor: entity_client::send, the reply callback anon_sends to the "
                  "client, which issues the next (same actor system as the baseline)";
    j["baseline_name"] = "CAF 0.17 client actor request(server, infinite, x).then(...) against "
                         "an event_based_actor echo, same window, same actor system";
    emit(j);
  } catch (const std::exception& e) {
    emit_error(metric, e.what());
  }
}

// -- 3. recovery of every entity --------------------------------------------------------------

/// Writes `events_each` counter events to each entity, many appends in flight.
void fill_entities(fj::journal& j, const std::vector<std::string>& keys, int events_each) {
  constexpr int max_in_flight = 4096;
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  std::string first_error;
  std::int64_t at = base_at_ns;
  for (auto& k : keys) {
    std::vector<fj::event_data> evs;
    evs.reserve(events_each);
    for (int e = 0; e < events_each; ++e)
      evs.push_back(counter_def::encode(counter_event{1, at++}));
    {
      std::unique_lock lock{mu};
      cv.wait(lock, [&] { return in_flight < max_in_flight; });
      if (!first_error.empty())
        break;
      ++in_flight;
    }
    j.append_async(fa::persistence_id(counter_def::type, k), 0, std::move(evs),
                   [&](fp::expected<fj::append_result> r) {
                     std::lock_guard lock{mu};
                     if (!r && first_error.empty())
                       first_error = r.error().to_string();
                     if (--in_flight < max_in_flight / 2 || in_flight == 0)
                       cv.notify_all();
                   });
  }
  std::unique_lock lock{mu};
  cv.wait(lock, [&] { return in_flight == 0; });
  if (!first_error.empty())
    fail("dataset: " + first_error);
}

void bench_recovery(const config& cfg, const fs::path& root) {
  constexpr int events_each = 10;
  auto n = cfg.recovery_entities;
  std::string metric = "recovery_eps"; // the line's "entities" says the size
  auto dir = root / "recovery";
  try {
    auto keys = make_keys(n);
    std::uint64_t total = n * events_each;
    {
      auto j = take(fj::journal::open(journal_options(dir)), "journal open");
      progress("recovery: writing ", n, " entities x ", events_each, " events");
      auto t0 = clock_type::now();
      fill_entities(*j, keys, events_each);
      progress("recovery: ", total, " events in ", round_to(seconds_since(t0), 2), " s");
    }
    auto nd = node::start(dir, region_options(n));
    auto scan = [&]() {
      std::uint64_t count = 0, bytes = 0;
      auto t = clock_type::now();
      take(nd->journal->read_global(1, UINT64_MAX,
                                    [&](const fj::record_view& rv) {
                                      count++;
                                      bytes += rv.payload.size();
                                      return true;
                                    }),
           "read_global");
      auto secs = seconds_since(t);
      if (count != total)
        fail("read_global saw " + std::to_string(count) + " events, expected " +
             std::to_string(total));
      return static_cast<double>(count) / secs;
    };
    double best_base = scan();
    progress("recovery: read_global ", static_cast<std::uint64_t>(best_base), " events/s");

    // The journal part of one entity's recovery, alone: recover() of each stream, one thread,
    // the same order and decoding as the entity (the page cache is as warm as for the scan).
    auto order = shuffled_order(n, 7);
    double journal_only_eps = 0;
    {
      auto t = clock_type::now();
      std::uint64_t applied = 0;
      for (auto i : order) {
        fp::testkit::counter_state st;
        take(nd->journal->recover(
                 fa::persistence_id(counter_def::type, keys[i]),
                 [&](const fj::record_view& r) {
                   auto d = counter_def::decode_state(r);
                   if (d)
                     st = *d;
                   return static_cast<bool>(d);
                 },
                 [&](const fj::record_view& r) {
                   auto e = counter_def::decode(r);
                   if (e)
                     counter_def::apply(st, *e);
                   return static_cast<bool>(e);
                 }),
             "recover");
        applied += st.adds;
      }
      journal_only_eps = static_cast<double>(applied) / seconds_since(t);
      if (applied != total)
        fail("journal recover() applied " + std::to_string(applied) + " events, expected " +
             std::to_string(total));
      progress("recovery: journal recover() of each entity, 1 thread: ",
               static_cast<std::uint64_t>(journal_only_eps), " events/s");
    }

    auto rss0 = rss_anon_bytes();
    const int window = 4096;
    command_loop loop{nd->counters, keys};
    progress("recovery: one get to each of ", n, " entities, ", window,
             " in flight, shuffled order");
    auto r = loop.run_all(window, order, get_cmd, [](std::size_t, const counter_reply& rep) {
      return rep.adds == events_each && rep.value == events_each;
    });
    check_loop(r, "recovery");
    auto rss1 = rss_anon_bytes();
    auto counts = nd->view().counts();
    auto life = nd->view().lifecycle();
    double ours_eps = static_cast<double>(total) / r.seconds;
    progress("recovery: all ", counts.live, " live in ", round_to(r.seconds, 2), " s, ",
             static_cast<std::uint64_t>(ours_eps), " events/s");
    for (int i = 1; i < cfg.rounds; ++i)
      best_base = std::max(best_base, scan());
    progress("recovery: read_global best ", static_cast<std::uint64_t>(best_base), " events/s");
    auto j = line(metric);
    j["allocator"] = allocator_name;
    j["value"] = round_to(ours_eps, 1);
    j["unit"] = "events/s";
    j["baseline"] = round_to(best_base, 1);
    j["ratio"] = round_to(ours_eps / best_base, 3);
    j["target"] = 0.2;
    j["entities"] = n;
    j["events"] = total;
    j["seconds"] = round_to(r.seconds, 3);
    j["entities_per_s"] = round_to(static_cast<double>(n) / r.seconds, 1);
    j["live"] = counts.live;
    j["passivated"] = counts.passivated;
    j["window"] = window;
    j["max_concurrent_recoveries"] = region_options(n).max_concurrent_recoveries;
    j["recoveries_in_flight_max"] = life.recoveries_in_flight_max;
    j["rss_anon_bytes_per_live_entity"] =
        round_to(static_cast<double>(rss1 - std::min(rss0, rss1)) / static_cast<double>(n), 1);
    j["journal_recover_only_eps"] = round_to(journal_only_eps, 1);
    j["journal_recover_only_threads"] = 1;
    j["order"] = "seeded shuffle";
    j["baseline_rounds"] = cfg.rounds;
    j["baseline_name"] = "journal read_global over the same records (decode + checksum), best of "
                         "rounds before and after";
    if (n != 1'000'000)
      j["note"] = "not the 1M entities of the target (--recovery-entities N)";
    emit(j);
  } catch (const std::exception& e) {
    emit_error(metric, e.what());
  }
  remove_dir(dir);
}

// -- 4. memory per entity ---------------------------------------------------------------------

/// Heap bytes a default-constructed std::deque allocates (libstdc++: its map and one node).
std::uint64_t empty_deque_heap_bytes() {
  constexpr int k = 1000;
  auto h0 = heap_in_use_bytes();
  std::vector<std::deque<std::shared_ptr<int>>> v(k);
  auto h1 = heap_in_use_bytes();
  return (h1 - h0 - k * sizeof(v[0])) / k;
}

void wait_until(const std::function<bool()>& pred, std::chrono::seconds limit) {
  auto deadline = clock_type::now() + limit;
  while (!pred()) {
    if (clock_type::now() > deadline)
      fail("timed out");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void bench_memory(const config& cfg, const fs::path& root) {
  auto n = cfg.mem_entities;
  auto keys = make_keys(n);
  auto order = identity_order(n);
  const int window = 1024;
  double per_live = 0, per_live_heap = 0;
  // Live: a region that never passivates them.
  try {
    auto nd = node::start(root / "memory-live", region_options(n));
    command_loop loop{nd->counters, keys};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto rss0 = rss_anon_bytes();
    auto heap0 = heap_in_use_bytes();
    auto r = loop.run_all(window, order, get_cmd);
    check_loop(r, "memory (live)");
    wait_until([&] { return nd->rt->internals().in_flight == 0; }, std::chrono::seconds(30));
    auto rss1 = rss_anon_bytes();
    auto heap1 = heap_in_use_bytes();
    auto counts = nd->view().counts();
    per_live = static_cast<double>(rss1 - std::min(rss0, rss1)) / static_cast<double>(n);
    per_live_heap = static_cast<double>(heap1 - std::min(heap0, heap1)) / static_cast<double>(n);
    progress("memory: ", counts.live, " live: RssAnon +", (rss1 - std::min(rss0, rss1)) >> 20,
             " MiB, ", static_cast<std::uint64_t>(per_live), " B each (heap ",
             static_cast<std::uint64_t>(per_live_heap), " B each)");
    using hosted = fa::detail::hosted_entity<counter_def>;
    auto j = line("mem_bytes_per_live_entity");
    j["allocator"] = allocator_name;
    j["value"] = round_to(per_live, 1);
    j["unit"] = "bytes";
    j["target"] = 1024 + sizeof(fp::testkit::counter_state);
    j["entities"] = n;
    j["live"] = counts.live;
    j["heap_bytes_per_entity"] = round_to(per_live_heap, 1);
    j["sizeof_counter_state"] = sizeof(fp::testkit::counter_state);
    j["sizeof_hosted_entity"] = sizeof(hosted);
    // The shard's table node (key string + entity), and its slot (hash + pointer, the table at
    // most half full), are the other per-entity structures.
    j["sizeof_shard_table_node"] = sizeof(fa::detail::entity_table<hosted>::node);
    j["empty_deque_heap_bytes"] = empty_deque_heap_bytes();
    j["measure"] = "RssAnon delta after returning free pages, entities touched by one get each";
    emit(j);
  } catch (const std::exception& e) {
    emit_error("mem_bytes_per_live_entity", e.what());
  }
  remove_dir(root / "memory-live");
  // Passivated: the same entities in a region that passivates them after 200 ms idle.
  try {
    auto opts = region_options(n);
    opts.passivate_after = std::chrono::milliseconds(200);
    auto nd = node::start(root / "memory-passivated", opts);
    command_loop loop{nd->counters, keys};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto rss0 = rss_anon_bytes();
    auto heap0 = heap_in_use_bytes();
    auto r = loop.run_all(window, order, get_cmd);
    check_loop(r, "memory (passivated)");
    wait_until(
        [&] {
          return nd->view().lifecycle().passivated >= n && nd->view().counts().live == 0 &&
                 nd->view().counts().recovering == 0;
        },
        std::chrono::seconds(60));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto rss1 = rss_anon_bytes();
    auto heap1 = heap_in_use_bytes();
    auto counts = nd->view().counts();
    double per = static_cast<double>(rss1 - std::min(rss0, rss1)) / static_cast<double>(n);
    double per_heap = static_cast<double>(heap1 - std::min(heap0, heap1)) / static_cast<double>(n);
    progress("memory: ", nd->view().lifecycle().passivated, " passivated: RssAnon +",
             (rss1 - std::min(rss0, rss1)) >> 10, " KiB, ", round_to(per, 1), " B each (heap ",
             round_to(per_heap, 1), " B each)");
    auto j = line("mem_bytes_per_passivated_entity");
    j["allocator"] = allocator_name;
    j["value"] = round_to(per, 1);
    j["unit"] = "bytes";
    j["target"] = 64;
    j["entities"] = n;
    j["live"] = counts.live;
    j["passivated"] = nd->view().lifecycle().passivated;
    j["heap_bytes_per_entity"] = round_to(per_heap, 1);
    j["measure"] = "RssAnon delta after returning free pages once all passivated (passivate_after "
                   "200 ms); entities touched by one get each";
    emit(j);
  } catch (const std::exception& e) {
    emit_error("mem_bytes_per_passivated_entity", e.what());
  }
  remove_dir(root / "memory-passivated");
}

} // namespace

int main(int argc, char** argv) {
  auto cfg = parse_args(argc, argv);
  if (!cfg) {
    usage();
    return 2;
  }
  std::optional<scratch_dir> root;
  try {
    root.emplace(scratch_dir::make(cfg->parent_dir));
  } catch (const std::exception& e) {
    emit_error("setup", e.what());
    return 1;
  }
  fp::bench::install_interrupt_cleanup(root->path());
  fp::bench::warn_if_not_real_disk(root->path());
  progress("data in ", root->path().string(), cfg->quick ? " (quick)" : "");
  auto t0 = clock_type::now();
  auto part = [&](const char* name, void (*fn)(const config&, const fs::path&)) {
    if (!wants(*cfg, name))
      return;
    auto t = clock_type::now();
    try {
      fn(*cfg, root->path());
    } catch (const std::exception& e) {
      emit_error(name, e.what());
    }
    progress(name, ": ", round_to(seconds_since(t), 1), " s");
  };
  part("persist", bench_persist);
  part("request", bench_request);
  part("recovery", bench_recovery);
  part("memory", bench_memory);
  progress("done in ", round_to(seconds_since(t0), 1), " s", any_error ? " (with failures)" : "");
  return any_error ? 1 : 0;
}
