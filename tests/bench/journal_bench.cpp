// journal_bench: the journal against its raw baselines (DESIGN.md §9).
//
// Prints one JSON object per line on stdout; progress goes to stderr. Every comparison runs
// its baseline in the same run:
//   append_eps_c{1,16,256}  N concurrent appenders (one durable append in flight each) vs raw
//                           LMDB, one thread, committing
//                           the same average batch per transaction (default sync flags)
//   vs_postgres_c{16,256}   the same appends vs INSERTs into a local PostgreSQL 15
//                           (synchronous_commit=on, fsync=on, one row per transaction)
//   replay_eps              read_global (decode + checksum) vs a raw cursor scan of the same DBI
//   ready_ms_1m_*           recover() of one entity with 10^6 events, without and with snapshot
// Write comparisons alternate ours and the baseline in --slices slices each, so a shared disk
// that changes speed mid-run skews both sides alike. Scratch data goes to a
// temp dir under --dir, $TMPDIR or /tmp (must be a real disk: fsync on tmpfs is free).
//
// Usage: journal_bench [--quick] [--dir DIR] [--only append|postgres|replay|ready]
//                      [--seconds S] [--baseline-seconds S] [--pg-seconds S] [--events N]
//                      [--slices N] [--postgres | --no-postgres]

#include "journal/journal.hpp"
#include "journal/record_format.hpp"
#include "tests/bench/bench_common.hpp"
#include "tests/bench/pg_peer.hpp"
#include "tests/bench/sliced_workers.hpp"

#include <lmdb.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>

extern const char fp::bench::bench_name[] = "journal";

namespace {

namespace fs = std::filesystem;
namespace fj = fp::journal;
using fp::expected;
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
using fp::bench::written_bytes;

constexpr std::size_t payload_bytes = 300;
constexpr std::size_t map_bytes = 1ull << 30; // same initial map for the journal and raw LMDB
const std::string event_type = "bench.event";

fp::error fail(std::string msg) {
  return fp::error{fp::bench::errc::failed, std::move(msg)};
}

fp::error lmdb_fail(const std::string& what, int rc) {
  return fail("raw lmdb: " + what + ": " + mdb_strerror(rc));
}

std::string random_payload(std::size_t n) {
  std::mt19937_64 rng{42};
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(rng() & 0xff);
  return s;
}

// -- raw LMDB ---------------------------------------------------------------------------------

/// An LMDB environment opened with default (fully durable) sync flags.
class raw_env {
public:
  static expected<raw_env> open(const fs::path& dir, bool read_only) {
    raw_env e;
    if (!read_only) {
      std::error_code ec;
      fs::create_directories(dir, ec);
    }
    if (int rc = mdb_env_create(&e.env_); rc != 0)
      return lmdb_fail("env_create", rc);
    mdb_env_set_maxdbs(e.env_, 8);
    if (!read_only)
      mdb_env_set_mapsize(e.env_, map_bytes);
    unsigned flags = MDB_NOTLS | (read_only ? MDB_RDONLY : 0u);
    if (int rc = mdb_env_open(e.env_, dir.c_str(), flags, 0644); rc != 0)
      return lmdb_fail("env_open " + dir.string(), rc);
    return e;
  }
  raw_env(raw_env&& o) noexcept
      : env_(std::exchange(o.env_, nullptr)) {}
  raw_env& operator=(raw_env&&) = delete;
  ~raw_env() {
    if (env_)
      mdb_env_close(env_);
  }
  MDB_env* get() const { return env_; }

private:
  raw_env() = default;
  MDB_env* env_ = nullptr;
};

std::string u64be(std::uint64_t x) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, x >>= 8)
    s[i] = static_cast<char>(x & 0xff);
  return s;
}

/// The best way to drive raw LMDB: one thread, one DBI, one MDB_APPEND put per 300-byte record
/// keyed by an 8-byte big-endian counter, committing a given average batch per transaction
/// (commit k holds floor(k*b) - floor((k-1)*b) records), default sync flags.
class raw_appender {
public:
  static expected<raw_appender> open(const fs::path& dir, std::string payload) {
    auto env = raw_env::open(dir, false);
    if (!env)
      return env.error();
    MDB_txn* txn = nullptr;
    MDB_dbi dbi = 0;
    if (int rc = mdb_txn_begin(env->get(), nullptr, 0, &txn); rc != 0)
      return lmdb_fail("txn_begin", rc);
    if (int rc = mdb_dbi_open(txn, "records", MDB_CREATE, &dbi); rc != 0) {
      mdb_txn_abort(txn);
      return lmdb_fail("dbi_open", rc);
    }
    if (int rc = mdb_txn_commit(txn); rc != 0)
      return lmdb_fail("commit", rc);
    return raw_appender{std::move(*env), dbi, std::move(payload)};
  }

  /// Commits batches averaging `avg_batch` records until `seconds` have passed.
  expected<void> run_slice(double avg_batch, double seconds) {
    avg_batch = std::max(1.0, avg_batch);
    auto w0 = written_bytes();
    auto t0 = clock_type::now();
    auto deadline = t0 + std::chrono::duration_cast<clock_type::duration>(
                             std::chrono::duration<double>(seconds));
    std::uint64_t k = 0;
    while (clock_type::now() < deadline) {
      ++k;
      auto n = static_cast<std::uint64_t>(std::floor(static_cast<double>(k) * avg_batch)) -
               static_cast<std::uint64_t>(std::floor(static_cast<double>(k - 1) * avg_batch));
      MDB_txn* txn = nullptr;
      if (int rc = mdb_txn_begin(env_.get(), nullptr, 0, &txn); rc != 0)
        return lmdb_fail("txn_begin", rc);
      for (std::uint64_t i = 0; i < n; ++i) {
        auto key = u64be(++key_counter_);
        MDB_val kv{key.size(), key.data()};
        MDB_val vv{payload_.size(), payload_.data()};
        if (int rc = mdb_put(txn, dbi_, &kv, &vv, MDB_APPEND); rc != 0) {
          mdb_txn_abort(txn);
          return lmdb_fail("put", rc);
        }
      }
      if (int rc = mdb_txn_commit(txn); rc != 0)
        return lmdb_fail("commit", rc);
      records += n;
      commits++;
    }
    seconds_total += seconds_since(t0);
    bytes_written += written_bytes() - w0;
    return {};
  }

  std::uint64_t records = 0;
  std::uint64_t commits = 0;
  std::uint64_t bytes_written = 0;
  double seconds_total = 0;

private:
  raw_appender(raw_env env, MDB_dbi dbi, std::string payload)
      : env_(std::move(env))
      , dbi_(dbi)
      , payload_(std::move(payload)) {}
  raw_env env_;
  MDB_dbi dbi_;
  std::string payload_;
  std::uint64_t key_counter_ = 0;
};

struct raw_scan_result {
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;
};

/// One read transaction, one cursor, MDB_NEXT over the `events` DBI; decodes nothing.
expected<raw_scan_result> raw_scan_events(const fs::path& dir) {
  auto env = raw_env::open(dir, true);
  if (!env)
    return env.error();
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env->get(), nullptr, MDB_RDONLY, &txn); rc != 0)
    return lmdb_fail("txn_begin", rc);
  MDB_dbi dbi = 0;
  MDB_cursor* cur = nullptr;
  if (int rc = mdb_dbi_open(txn, fj::format::events_db, 0, &dbi); rc != 0) {
    mdb_txn_abort(txn);
    return lmdb_fail("dbi_open events", rc);
  }
  if (int rc = mdb_cursor_open(txn, dbi, &cur); rc != 0) {
    mdb_txn_abort(txn);
    return lmdb_fail("cursor_open", rc);
  }
  raw_scan_result res;
  auto t0 = clock_type::now();
  MDB_val k, v;
  int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  while (rc == 0) {
    res.records++;
    res.bytes += v.mv_size;
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  res.seconds = seconds_since(t0);
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  if (rc != MDB_NOTFOUND)
    return lmdb_fail("cursor_get", rc);
  return res;
}

// -- the journal ------------------------------------------------------------------------------

expected<std::unique_ptr<fj::journal>> open_journal(const fs::path& dir, bool read_only) {
  fj::options o;
  o.dir = dir;
  o.initial_map_bytes = map_bytes;
  o.read_only = read_only;
  o.writer_id = "journal_bench";
  return fj::journal::open(std::move(o));
}

/// `clients` concurrent appenders, each on its own stream with one append of one event in
/// flight at a time: it issues its next append only when the previous one was acknowledged
/// (durable). The appenders are driven by the acknowledgements themselves (the way the entity
/// runtime's actors use the journal), not by one OS thread each: 256 blocked threads on two
/// cores would measure the kernel's scheduler, not the journal. Counts commits and events from
/// the journal's own stats, in time slices.
class journal_load {
public:
  static expected<std::unique_ptr<journal_load>> open(const fs::path& dir, int clients,
                                                      std::string payload) {
    auto j = open_journal(dir, false);
    if (!j)
      return j.error();
    return std::unique_ptr<journal_load>{
        new journal_load(std::move(*j), clients, std::move(payload))};
  }

  expected<void> run_slice(double seconds) {
    auto before = journal_->stats();
    auto w0 = written_bytes();
    auto t0 = clock_type::now();
    {
      std::lock_guard lock{mu_};
      outstanding_ = static_cast<int>(pids_.size());
    }
    running_ = true;
    for (std::size_t i = 0; i < pids_.size(); ++i)
      issue(i);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    running_ = false;
    {
      std::unique_lock lock{mu_};
      drained_.wait(lock, [&] { return outstanding_ == 0; });
    }
    seconds_total += seconds_since(t0);
    bytes_written += written_bytes() - w0;
    auto after = journal_->stats();
    events += after.events_appended - before.events_appended;
    commits += after.commits - before.commits;
    std::lock_guard lock{mu_};
    if (first_error_)
      return *first_error_;
    return {};
  }

  double events_per_s() const { return static_cast<double>(events) / seconds_total; }
  double avg_batch() const {
    return commits ? static_cast<double>(events) / static_cast<double>(commits) : 0;
  }

  std::uint64_t events = 0;
  std::uint64_t commits = 0;
  std::uint64_t bytes_written = 0;
  double seconds_total = 0;

private:
  journal_load(std::unique_ptr<fj::journal> j, int clients, std::string payload)
      : journal_(std::move(j))
      , payload_(std::move(payload))
      , heads_(clients, 0) {
    for (int i = 0; i < clients; ++i)
      pids_.push_back("c" + std::to_string(clients) + "-" + std::to_string(i));
  }

  void issue(std::size_t i) {
    std::vector<fj::event_data> batch;
    batch.push_back(fj::event_data{event_type, 1, payload_});
    journal_->append_async(pids_[i], heads_[i], std::move(batch),
                           [this, i](fp::expected<fj::append_result> r) { on_ack(i, r); });
  }

  void on_ack(std::size_t i, const fp::expected<fj::append_result>& r) {
    if (r) {
      heads_[i] = r->last_seq;
      if (running_) {
        issue(i);
        return;
      }
    }
    std::lock_guard lock{mu_};
    if (!r && !first_error_)
      first_error_ = r.error();
    if (--outstanding_ == 0)
      drained_.notify_one();
  }

  std::unique_ptr<fj::journal> journal_;
  std::string payload_;
  std::vector<std::string> pids_;
  std::vector<std::uint64_t> heads_;
  std::atomic<bool> running_{false};
  std::mutex mu_;
  std::condition_variable drained_;
  int outstanding_ = 0;
  std::optional<fp::error> first_error_;
};

/// Appends `n` events to `pid` in large multi-event appends, several in flight at a time (the
/// expected seqs are known up front because the writer applies requests in order).
expected<void> fill_stream(fj::journal& j, const std::string& pid, std::uint64_t n,
                           const std::string& payload) {
  constexpr std::uint64_t chunk = 4096;
  constexpr int max_in_flight = 4;
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  std::optional<fp::error> first_error;
  std::uint64_t head = 0;
  while (head < n) {
    auto count = std::min(chunk, n - head);
    std::vector<fj::event_data> events(count, fj::event_data{event_type, 1, payload});
    {
      std::unique_lock lock{mu};
      cv.wait(lock, [&] { return in_flight < max_in_flight; });
      if (first_error)
        break;
      ++in_flight;
    }
    j.append_async(pid, head, std::move(events), [&](expected<fj::append_result> r) {
      std::lock_guard lock{mu};
      if (!r && !first_error)
        first_error = r.error();
      --in_flight;
      cv.notify_all();
    });
    head += count;
  }
  std::unique_lock lock{mu};
  cv.wait(lock, [&] { return in_flight == 0; });
  if (first_error)
    return *first_error;
  return {};
}

// -- configuration ----------------------------------------------------------------------------

struct config {
  bool quick = false;
  fs::path parent_dir;
  std::string only;
  double append_seconds = 4.0;
  double baseline_seconds = 3.0;
  double pg_seconds = 4.0;
  std::uint64_t events = 1'000'000; // replay and time-to-ready dataset
  int rounds = 3;                   // repetitions of each replay / recovery timing (best kept)
  int slices = 8;                   // ours/baseline alternations per write comparison
  bool postgres = true;
};

bool wants(const config& c, const std::string& part) {
  return c.only.empty() || c.only == part;
}

void usage() {
  std::cerr << "usage: journal_bench [--quick] [--dir DIR] [--only append|postgres|replay|ready]\n"
               "                     [--seconds S] [--baseline-seconds S] [--pg-seconds S]\n"
               "                     [--events N] [--slices N] [--postgres | --no-postgres]\n";
}

std::optional<config> parse_args(int argc, char** argv) {
  config c;
  std::optional<bool> pg_flag;
  std::optional<double> secs, base_secs, pg_secs;
  std::optional<std::uint64_t> events;
  std::optional<int> slices;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc)
        return std::nullopt;
      return std::string(argv[++i]);
    };
    try {
      if (a == "--quick") {
        c.quick = true;
      } else if (a == "--postgres") {
        pg_flag = true;
      } else if (a == "--no-postgres") {
        pg_flag = false;
      } else if (a == "--dir" || a == "--only" || a == "--seconds" || a == "--baseline-seconds" ||
                 a == "--pg-seconds" || a == "--events" || a == "--slices") {
        auto v = next();
        if (!v)
          return std::nullopt;
        if (a == "--dir")
          c.parent_dir = *v;
        if (a == "--only")
          c.only = *v;
        if (a == "--seconds")
          secs = std::stod(*v);
        if (a == "--baseline-seconds")
          base_secs = std::stod(*v);
        if (a == "--pg-seconds")
          pg_secs = std::stod(*v);
        if (a == "--events")
          events = std::stoull(*v);
        if (a == "--slices")
          slices = std::stoi(*v);
      } else {
        return std::nullopt;
      }
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (c.quick) {
    c.append_seconds = 0.3;
    c.baseline_seconds = 0.3;
    c.pg_seconds = 0.5;
    c.events = 20'000;
    c.rounds = 2;
    c.slices = 2;
    c.postgres = false; // initdb + 256 backends is not a smoke test; --postgres forces it
  }
  if (secs)
    c.append_seconds = *secs;
  if (base_secs)
    c.baseline_seconds = *base_secs;
  if (pg_secs)
    c.pg_seconds = *pg_secs;
  if (events)
    c.events = std::max<std::uint64_t>(1, *events);
  if (pg_flag)
    c.postgres = *pg_flag;
  if (slices)
    c.slices = std::max(1, *slices);
  if (!c.only.empty() && c.only != "append" && c.only != "postgres" && c.only != "replay" &&
      c.only != "ready")
    return std::nullopt;
  if (c.parent_dir.empty())
    c.parent_dir = fp::bench::default_parent_dir();
  return c;
}

// -- the parts --------------------------------------------------------------------------------

struct append_point {
  int clients = 0;
  double events_per_s = 0;
  double avg_batch = 0;
};

double kb_per_commit(std::uint64_t bytes, std::uint64_t commits) {
  return commits ? round_to(static_cast<double>(bytes) / 1024.0 / static_cast<double>(commits), 1)
                 : 0.0;
}

/// Metric 1: durable append throughput at `clients`, vs raw LMDB at the same average batch.
/// The two alternate in `cfg.slices` slices each (the raw side uses our running average batch),
/// so a disk whose speed drifts during the run affects both alike.
std::optional<append_point> bench_append(const config& cfg, const fs::path& root, int clients,
                                         const std::string& payload) {
  auto metric = "append_eps_c" + std::to_string(clients);
  auto tag = "append-c" + std::to_string(clients);
  progress(metric, ": journal with ", clients, " appender threads ", cfg.append_seconds,
           " s, raw LMDB ", cfg.baseline_seconds, " s, interleaved in ", cfg.slices, " slices");
  auto result = [&]() -> expected<append_point> {
    auto ours = journal_load::open(root / (tag + "-journal"), clients, payload);
    if (!ours)
      return ours.error();
    auto raw = raw_appender::open(root / (tag + "-raw"), payload);
    if (!raw)
      return raw.error();
    for (int i = 0; i < cfg.slices; ++i) {
      settle_disk(root);
      if (auto r = (*ours)->run_slice(cfg.append_seconds / cfg.slices); !r)
        return r.error();
      settle_disk(root);
      if (auto r = raw->run_slice((*ours)->avg_batch(), cfg.baseline_seconds / cfg.slices); !r)
        return r.error();
    }
    auto& o = **ours;
    auto raw_eps = static_cast<double>(raw->records) / raw->seconds_total;
    progress(metric, ": journal ", static_cast<std::uint64_t>(o.events_per_s()),
             " events/s (avg batch ", round_to(o.avg_batch(), 1), "), raw LMDB ",
             static_cast<std::uint64_t>(raw_eps), " records/s");
    auto j = line(metric);
    j["value"] = round_to(o.events_per_s(), 1);
    j["unit"] = "events/s";
    j["baseline"] = round_to(raw_eps, 1);
    j["ratio"] = round_to(o.events_per_s() / raw_eps, 3);
    j["target"] = clients >= 16 ? json(0.5) : json(nullptr);
    j["clients"] = clients;
    j["avg_batch"] = round_to(o.avg_batch(), 2);
    j["baseline_batch"] =
        round_to(static_cast<double>(raw->records) / static_cast<double>(raw->commits), 2);
    j["commits_per_s"] = round_to(static_cast<double>(o.commits) / o.seconds_total, 1);
    j["baseline_commits_per_s"] =
        round_to(static_cast<double>(raw->commits) / raw->seconds_total, 1);
    j["write_kb_per_commit"] = kb_per_commit(o.bytes_written, o.commits);
    j["baseline_write_kb_per_commit"] = kb_per_commit(raw->bytes_written, raw->commits);
    j["event_bytes"] = payload.size();
    j["seconds"] = round_to(o.seconds_total, 2);
    j["baseline_seconds"] = round_to(raw->seconds_total, 2);
    j["slices"] = cfg.slices;
    j["baseline_name"] = "raw LMDB, 1 thread, 1 put/record (MDB_APPEND), avg_batch "
                         "puts/commit, default sync";
    emit(j);
    return append_point{clients, o.events_per_s(), o.avg_batch()};
  }();
  remove_dir(root / (tag + "-journal"));
  remove_dir(root / (tag + "-raw"));
  if (!result) {
    emit_error(metric, result.error().to_string());
    return std::nullopt;
  }
  return *result;
}

/// Metric 2: the journal vs PostgreSQL 15 at the same concurrency, interleaved in slices like
/// metric 1. Returns false only when a journal measurement failed (PostgreSQL failures are
/// reported as error lines and tolerated).
bool bench_postgres(const config& cfg, const fs::path& root, const std::string& payload) {
  const std::vector<int> levels{16, 256};
  progress("postgres: initdb + start");
  auto t0 = clock_type::now();
  fp::bench::pg_options po;
  po.root = root / "pg";
  auto server = fp::bench::pg_server::start(po);
  if (!server) {
    for (int c : levels)
      emit_error("vs_postgres_c" + std::to_string(c), server.error().to_string());
    return true;
  }
  progress("postgres: up in ", round_to(seconds_since(t0), 2), " s");
  std::string settings;
  for (const char* name : {"fsync", "synchronous_commit", "full_page_writes", "wal_sync_method",
                           "shared_buffers", "wal_buffers"}) {
    auto v = (*server)->show(name);
    settings += std::string(settings.empty() ? "" : " ") + name + "=" + (v ? *v : "?");
  }
  bool journal_ok = true;
  for (int c : levels) {
    auto metric = "vs_postgres_c" + std::to_string(c);
    auto dir = root / ("pg-c" + std::to_string(c) + "-journal");
    progress(metric, ": journal with ", c, " appender threads vs PostgreSQL with ", c, " clients, ",
             cfg.pg_seconds, " s each, interleaved in ", cfg.slices, " slices");
    auto ours = journal_load::open(dir, c, payload);
    if (!ours) {
      emit_error(metric, "journal: " + ours.error().to_string());
      journal_ok = false;
      continue;
    }
    auto pg = fp::bench::pg_clients::connect(**server, c, payload);
    if (!pg) {
      emit_error(metric, pg.error().to_string());
      ours->reset();
      remove_dir(dir);
      continue;
    }
    std::optional<fp::error> ours_error, pg_error;
    std::uint64_t pg_rows = 0;
    double pg_seconds = 0;
    for (int i = 0; i < cfg.slices && !ours_error && !pg_error; ++i) {
      settle_disk(root);
      if (auto r = (*ours)->run_slice(cfg.pg_seconds / cfg.slices); !r)
        ours_error = r.error();
      settle_disk(root);
      if (auto r = (*pg)->run_slice(cfg.pg_seconds / cfg.slices)) {
        pg_rows += r->rows;
        pg_seconds += r->seconds;
      } else {
        pg_error = r.error();
      }
    }
    pg->reset();
    auto& o = **ours;
    if (ours_error) {
      emit_error(metric, "journal: " + ours_error->to_string());
      journal_ok = false;
    } else if (pg_error) {
      emit_error(metric, pg_error->to_string());
    } else {
      auto pg_rps = static_cast<double>(pg_rows) / pg_seconds;
      progress(metric, ": journal ", static_cast<std::uint64_t>(o.events_per_s()),
               " events/s, PostgreSQL ", static_cast<std::uint64_t>(pg_rps), " rows/s");
      auto j = line(metric);
      j["value"] = round_to(o.events_per_s(), 1);
      j["unit"] = "events/s";
      j["baseline"] = round_to(pg_rps, 1);
      j["ratio"] = round_to(o.events_per_s() / pg_rps, 3);
      j["target"] = c == 16 ? 5 : 10;
      j["clients"] = c;
      j["avg_batch"] = round_to(o.avg_batch(), 2);
      j["commits_per_s"] = round_to(static_cast<double>(o.commits) / o.seconds_total, 1);
      j["event_bytes"] = payload.size();
      j["seconds"] = round_to(o.seconds_total, 2);
      j["baseline_rows"] = pg_rows;
      j["baseline_seconds"] = round_to(pg_seconds, 2);
      j["slices"] = cfg.slices;
      j["baseline_name"] = "PostgreSQL 15 (local, unix socket), 1 connection/client, prepared "
                           "INSERT, 1 row/txn";
      j["baseline_settings"] = settings;
      emit(j);
    }
    ours->reset();
    remove_dir(dir);
  }
  return journal_ok;
}

/// Metrics 3 and 4 share one dataset: `cfg.events` events in one stream (the events DBI that a
/// global replay scans is keyed by global seq, so the stream layout does not change it).
bool bench_dataset(const config& cfg, const fs::path& root, const std::string& payload) {
  const std::string pid = "entity-1m";
  auto dir = root / "dataset";
  auto n = cfg.events;
  bool ok = true;
  std::uint64_t head = 0;
  {
    auto j = open_journal(dir, false);
    if (!j) {
      if (wants(cfg, "ready"))
        emit_error("ready_ms_1m_no_snapshot", j.error().to_string());
      if (wants(cfg, "replay"))
        emit_error("replay_eps", j.error().to_string());
      return false;
    }
    progress("dataset: appending ", n, " events to one stream");
    auto t0 = clock_type::now();
    if (auto r = fill_stream(**j, pid, n, payload); !r) {
      if (wants(cfg, "ready"))
        emit_error("ready_ms_1m_no_snapshot", r.error().to_string());
      if (wants(cfg, "replay"))
        emit_error("replay_eps", r.error().to_string());
      return false;
    }
    auto h = (*j)->head_seq(pid);
    head = h ? *h : 0;
    progress("dataset: ", head, " events in ", round_to(seconds_since(t0), 2), " s");

    if (wants(cfg, "ready")) {
      // State: event count and payload bytes; the snapshot carries both.
      struct state {
        std::uint64_t events = 0;
        std::uint64_t bytes = 0;
      };
      auto time_recover = [&](std::uint64_t expect_replayed) -> expected<double> {
        double best = 1e300;
        for (int r = 0; r < cfg.rounds; ++r) {
          state s;
          auto t = clock_type::now();
          auto rep = (*j)->recover(
              pid,
              [&](const fj::record_view& rv) {
                if (rv.payload.size() != 16)
                  return false;
                s.events = fj::format::read_u64be(rv.payload.substr(0, 8));
                s.bytes = fj::format::read_u64be(rv.payload.substr(8, 8));
                return true;
              },
              [&](const fj::record_view& rv) {
                s.events++;
                s.bytes += rv.payload.size();
                return true;
              });
          auto ms = seconds_since(t) * 1e3;
          if (!rep)
            return rep.error();
          if (rep->events_replayed != expect_replayed || s.events != head)
            return fail("recover replayed " + std::to_string(rep->events_replayed) +
                        " events, state has " + std::to_string(s.events) + ", expected " +
                        std::to_string(head));
          best = std::min(best, ms);
        }
        return best;
      };
      progress("ready: recover() without snapshot, best of ", cfg.rounds);
      auto full = time_recover(head);
      if (!full) {
        emit_error("ready_ms_1m_no_snapshot", full.error().to_string());
        ok = false;
      } else {
        auto l = line("ready_ms_1m_no_snapshot");
        l["value"] = round_to(*full, 3);
        l["unit"] = "ms";
        l["events"] = head;
        l["events_per_s"] = round_to(static_cast<double>(head) / (*full / 1e3), 1);
        emit(l);
      }
      std::string snap = fj::format::u64be(head) + fj::format::u64be(head * payload.size());
      auto saved = (*j)->save_snapshot(pid, head, fj::event_data{"bench.state", 1, snap});
      expected<double> with = saved ? time_recover(0) : expected<double>{saved.error()};
      if (!with) {
        emit_error("ready_ms_1m_with_snapshot", with.error().to_string());
        ok = false;
      } else {
        auto l = line("ready_ms_1m_with_snapshot");
        l["value"] = round_to(*with, 4);
        l["unit"] = "ms";
        l["events"] = head;
        if (full) {
          l["baseline"] = round_to(*full, 3);
          l["speedup_vs_no_snapshot"] = round_to(*full / std::max(*with, 1e-6), 1);
        }
        emit(l);
      }
    }
  } // closes the writable journal: LMDB must not be opened twice in one process

  if (wants(cfg, "replay")) {
    double best_ours = 0, best_raw = 0;
    std::uint64_t ours_n = 0, raw_n = 0;
    std::optional<fp::error> err;
    for (int r = 0; r < cfg.rounds && !err; ++r) {
      {
        auto j = open_journal(dir, true);
        if (!j) {
          err = j.error();
          break;
        }
        std::uint64_t count = 0, bytes = 0;
        auto t = clock_type::now();
        auto res = (*j)->read_global(1, UINT64_MAX, [&](const fj::record_view& rv) {
          count++;
          bytes += rv.payload.size();
          return true;
        });
        auto secs = seconds_since(t);
        if (!res) {
          err = res.error();
          break;
        }
        ours_n = count;
        best_ours = std::max(best_ours, static_cast<double>(count) / secs);
      }
      auto raw = raw_scan_events(dir);
      if (!raw) {
        err = raw.error();
        break;
      }
      raw_n = raw->records;
      best_raw = std::max(best_raw, static_cast<double>(raw->records) / raw->seconds);
      progress("replay round ", r + 1, ": journal ", static_cast<std::uint64_t>(best_ours),
               " events/s, raw scan ", static_cast<std::uint64_t>(best_raw), " records/s");
    }
    if (!err && (ours_n != head || raw_n != head))
      err = fail("replay saw " + std::to_string(ours_n) + " events, raw scan " +
                 std::to_string(raw_n) + ", expected " + std::to_string(head));
    if (err) {
      emit_error("replay_eps", err->to_string());
      ok = false;
    } else {
      auto l = line("replay_eps");
      l["value"] = round_to(best_ours, 1);
      l["unit"] = "events/s";
      l["baseline"] = round_to(best_raw, 1);
      l["ratio"] = round_to(best_ours / best_raw, 3);
      l["target"] = 0.3;
      l["events"] = head;
      l["rounds"] = cfg.rounds;
      l["baseline_name"] = "raw LMDB read txn + cursor MDB_NEXT over the same events DBI, no "
                           "decoding";
      emit(l);
    }
  }
  remove_dir(dir);
  return ok;
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
    emit_error("setup", fail(e.what()).to_string());
    return 1;
  }
  // The PostgreSQL peer runs as another OS user and must be able to reach its subdirectory.
  ::chmod(root->path().c_str(), 0755);
  // Ctrl-C or a kill must not leave a PostgreSQL server behind either.
  fp::bench::install_interrupt_cleanup(root->path(), fp::bench::pg_stop_all);
  fp::bench::warn_if_not_real_disk(root->path());
  progress("data in ", root->path().string(), cfg->quick ? " (quick)" : "");
  auto payload = random_payload(payload_bytes);
  auto t0 = clock_type::now();
  bool ok = true;

  if (wants(*cfg, "append")) {
    for (int c : {1, 16, 256})
      if (!bench_append(*cfg, root->path(), c, payload))
        ok = false;
  }
  if (wants(*cfg, "postgres")) {
    if (cfg->postgres)
      ok = bench_postgres(*cfg, root->path(), payload) && ok;
    else
      progress("postgres: skipped (--quick without --postgres, or --no-postgres)");
  }
  if (wants(*cfg, "replay") || wants(*cfg, "ready"))
    ok = bench_dataset(*cfg, root->path(), payload) && ok;

  progress("done in ", round_to(seconds_since(t0), 1), " s", ok ? "" : " (with failures)");
  return ok ? 0 : 1;
}
