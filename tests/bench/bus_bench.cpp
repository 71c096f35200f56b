// bus_bench: the event bus against its raw baselines, in one run (DESIGN.md §9, issue 4 §4).
//
//   embedded_produce_consume_rps  300-byte records, 8 partitions, durable, 16 producers with up
//                                 to 64 records in flight each (produce_async), one consumer
//                                 reading everything; vs raw LMDB: the same keys and values put
//                                 in the same number of records per commit as the bus achieved
//                                 (measured), default sync flags, then one cursor scan.
//                                 5 rounds of both: best and median of each side.
//   embedded_records_per_commit   what the bus's group commit achieved (median round).
//   embedded_e2e_latency_p50_us / _p99_us  produce -> consume at a fixed 2000 records/s.
//   kafka_*                       bus_bench_kafka.cpp, when built with it.
//
// Usage: bus_bench [--quick] [--dir DIR] [--only throughput|latency|kafka]. JSON lines on
// stdout, progress on stderr.

#include "bus/embedded/embedded_bus.hpp"
#include "tests/bench/bench_common.hpp"

#include <lmdb.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <vector>

extern const char fp::bench::bench_name[] = "bus";

#ifdef FP_BUS_BENCH_KAFKA
int bus_bench_kafka(bool quick);
#endif

namespace {

using namespace fp::bench;
namespace fs = std::filesystem;

constexpr int partitions = 8;
constexpr int producers = 16;
constexpr int window = 64;
constexpr std::size_t value_bytes = 300;
const fp::bus::admin_context who{"bus_bench", "benchmark", "2026-01-01T00:00:00Z"};

struct opened {
  std::unique_ptr<fp::journal::journal> journal;
  std::unique_ptr<fp::bus::event_bus> bus;
};

std::optional<opened> open_bus(const fs::path& dir, const std::string& topic) {
  fp::journal::options o;
  o.dir = dir;
  auto j = fp::journal::journal::open(o);
  if (!j) {
    emit_error("setup", j.error().to_string());
    return std::nullopt;
  }
  opened out{std::move(*j), nullptr};
  auto b = fp::bus::open_embedded_bus(*out.journal);
  if (!b) {
    emit_error("setup", b.error().to_string());
    return std::nullopt;
  }
  out.bus = std::move(*b);
  for (auto spec : {fp::bus::topic_spec{std::string(fp::bus::control_topic), 1, -1, -1},
                    fp::bus::topic_spec{topic, partitions, -1, -1}})
    if (auto t = out.bus->create_topic(spec, who); !t) {
      emit_error("setup", t.error().to_string());
      return std::nullopt;
    }
  return out;
}

std::string value_for(std::uint64_t i) {
  std::string v(value_bytes, '\0');
  std::uint64_t x = i * 0x9e3779b97f4a7c15ull + 1;
  for (auto& c : v) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  return v;
}

/// The raw baseline: the same (key, value) pairs, `per_commit` to a durable commit, then a
/// cursor scan of all of them. Returns records per second, or a negative value on failure.
double raw_lmdb(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& recs,
                std::size_t per_commit) {
  fs::create_directories(dir);
  MDB_env* env = nullptr;
  mdb_env_create(&env);
  mdb_env_set_mapsize(env, 8ull << 30);
  mdb_env_set_maxdbs(env, 4);
  if (mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0644) != 0)
    return -1;
  MDB_dbi dbi = 0;
  MDB_txn* txn = nullptr;
  mdb_txn_begin(env, nullptr, 0, &txn);
  mdb_dbi_open(txn, "log", MDB_CREATE, &dbi);
  mdb_txn_commit(txn);
  auto t0 = clock_type::now();
  for (std::size_t i = 0; i < recs.size();) {
    mdb_txn_begin(env, nullptr, 0, &txn);
    for (std::size_t n = 0; n < per_commit && i < recs.size(); ++n, ++i) {
      MDB_val k{recs[i].first.size(), const_cast<char*>(recs[i].first.data())};
      MDB_val v{recs[i].second.size(), const_cast<char*>(recs[i].second.data())};
      if (mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE) != 0) {
        mdb_txn_abort(txn);
        mdb_env_close(env);
        return -1;
      }
    }
    if (mdb_txn_commit(txn) != 0) {
      mdb_env_close(env);
      return -1;
    }
  }
  std::size_t scanned = 0, bytes = 0;
  mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
  MDB_cursor* cur = nullptr;
  mdb_cursor_open(txn, dbi, &cur);
  MDB_val k, v;
  for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    ++scanned, bytes += v.mv_size;
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  auto secs = seconds_since(t0);
  mdb_env_close(env);
  return scanned == recs.size() && bytes > 0 ? static_cast<double>(recs.size()) / secs : -1;
}

struct throughput_round {
  double ours = 0, base = 0;
  std::size_t per_commit = 0;
};

/// One round: `total` records through a fresh bus (its own journal dir), then the raw baseline
/// over the very records the bus stored, in the same records per commit, in a fresh dir.
std::optional<throughput_round> run_throughput_round(std::uint64_t total, const fs::path& dir) {
  auto bus = open_bus(dir / "embedded", "bench.throughput");
  if (!bus)
    return std::nullopt;
  auto& b = *bus->bus;
  std::vector<std::string> values(1024);
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = value_for(i);
  std::vector<fp::bus::topic_partition_offset> from;
  for (int p = 0; p < partitions; ++p)
    from.push_back({"bench.throughput", p, 0});
  auto c = b.assign(from);
  if (!c) {
    emit_error("embedded_produce_consume_rps", c.error().to_string());
    return std::nullopt;
  }
  std::atomic<std::uint64_t> failures{0};
  std::uint64_t consumed = 0;
  auto commits0 = bus->journal->stats().commits;
  auto t0 = clock_type::now();
  std::thread reader([&] {
    while (consumed < total) {
      auto got = (*c)->poll(4096, std::chrono::milliseconds(500));
      if (!got) {
        failures++;
        return;
      }
      consumed += got->size();
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < producers; ++t)
    threads.emplace_back([&, t] {
      std::mutex mu;
      std::condition_variable cv;
      int in_flight = 0;
      for (std::uint64_t i = static_cast<std::uint64_t>(t); i < total; i += producers) {
        {
          // A full window waits until half of it is acknowledged (one wake-up per half
          // window, as a client library's batching producer would), not one per record.
          std::unique_lock l{mu};
          if (in_flight >= window)
            cv.wait(l, [&] { return in_flight <= window / 2; });
          ++in_flight;
        }
        b.produce_async({"bench.throughput",
                         "key-" + std::to_string(i % 10007),
                         values[i % values.size()],
                         {},
                         {}},
                        [&](fp::expected<fp::origin_offset> o) {
                          if (!o)
                            failures++;
                          std::lock_guard l{mu};
                          if (--in_flight == window / 2 || in_flight == 0)
                            cv.notify_one();
                        });
      }
      std::unique_lock l{mu};
      cv.wait(l, [&] { return in_flight == 0; });
    });
  for (auto& t : threads)
    t.join();
  reader.join();
  auto secs = seconds_since(t0);
  auto commits = bus->journal->stats().commits - commits0;
  if (failures > 0 || consumed != total) {
    emit_error("embedded_produce_consume_rps", "produce or consume failed");
    return std::nullopt;
  }
  throughput_round r;
  r.ours = static_cast<double>(total) / secs;
  r.per_commit = std::max<std::size_t>(
      1, static_cast<std::size_t>(total / std::max<std::uint64_t>(commits, 1)));
  // The baseline writes the very records the bus stored (log keys and record bytes).
  std::vector<std::pair<std::string, std::string>> recs;
  recs.reserve(total);
  auto t = bus->journal->open_table("bus.log");
  if (!t) {
    emit_error("embedded_produce_consume_rps", t.error().to_string());
    return std::nullopt;
  }
  (void)bus->journal->read_table(*t, "", [&](std::string_view k, std::string_view v) {
    if (k.starts_with("bench.throughput"))
      recs.emplace_back(k, v);
    return true;
  });
  std::sort(recs.begin(), recs.end(), [](auto& x, auto& y) {
    return x.first.substr(x.first.size() - 8) < y.first.substr(y.first.size() - 8);
  }); // arrival-like order: interleaved partitions, as the bus wrote them
  bus.reset();
  r.base = raw_lmdb(dir / "raw", recs, r.per_commit);
  if (r.base <= 0) {
    emit_error("embedded_produce_consume_rps", "raw LMDB baseline failed");
    return std::nullopt;
  }
  std::error_code ec;
  fs::remove_all(dir, ec); // a round's two stores, about 2 x 80 MB
  return r;
}

/// Rounds of (bus, then raw LMDB on the same records): the disk's speed drifts over seconds,
/// so one pair can land on a slow patch on one side only. The line gives the best round of
/// each side (value, baseline, ratio) and the median rounds (median_*), as the Kafka lines do.
bool bench_throughput(bool quick, const fs::path& root) {
  const std::uint64_t total = quick ? 8000 : 200000;
  const int rounds = quick ? 1 : 5;
  progress("embedded: ", rounds, " rounds of ", total, " records, ", producers, " producers x ",
           window, " in flight, then raw LMDB on the same records");
  std::vector<double> ours, base;
  std::vector<std::size_t> per_commit;
  for (int i = 0; i < rounds; ++i) {
    auto r = run_throughput_round(total, root / ("throughput-" + std::to_string(i)));
    if (!r)
      return false;
    ours.push_back(r->ours);
    base.push_back(r->base);
    per_commit.push_back(r->per_commit);
  }
  auto l = rounds_line("embedded_produce_consume_rps", ours, base, "records/s", 0.5);
  l["records_per_round"] = total;
  emit(l);
  std::sort(per_commit.begin(), per_commit.end());
  auto pc = line("embedded_records_per_commit");
  pc["value"] = per_commit[per_commit.size() / 2];
  pc["unit"] = "records";
  pc["note"] = "median over the rounds; each round's baseline commits the same number";
  emit(pc);
  return true;
}

bool bench_latency(bool quick, const fs::path& root) {
  const int rate = 2000;
  const int total = quick ? 500 : 10000;
  auto bus = open_bus(root / "latency", "bench.latency");
  if (!bus)
    return false;
  auto& b = *bus->bus;
  std::vector<fp::bus::topic_partition_offset> from;
  for (int p = 0; p < partitions; ++p)
    from.push_back({"bench.latency", p, 0});
  auto c = b.assign(from);
  if (!c) {
    emit_error("embedded_e2e_latency_p50_us", c.error().to_string());
    return false;
  }
  std::vector<double> lat;
  lat.reserve(total);
  std::atomic<bool> failed{false};
  std::thread reader([&] {
    while (static_cast<int>(lat.size()) < total) {
      auto got = (*c)->poll(1024, std::chrono::milliseconds(500));
      if (!got) {
        failed = true;
        return;
      }
      auto now = clock_type::now().time_since_epoch().count();
      for (auto& m : *got) {
        std::int64_t sent = 0;
        std::memcpy(&sent, m.value.data(), sizeof sent);
        lat.push_back(static_cast<double>(now - sent) / 1000.0);
      }
    }
  });
  progress("latency: ", total, " records at ", rate, "/s");
  auto start = clock_type::now();
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(1'000'000LL * i / rate));
    std::string v(value_bytes, 'x');
    auto now = clock_type::now().time_since_epoch().count();
    std::memcpy(v.data(), &now, sizeof now);
    b.produce_async({"bench.latency", "k" + std::to_string(i), std::move(v), {}, {}},
                    [&](fp::expected<fp::origin_offset> o) {
                      if (!o)
                        failed = true;
                    });
  }
  reader.join();
  if (failed || static_cast<int>(lat.size()) < total) {
    emit_error("embedded_e2e_latency_p50_us", "produce or consume failed");
    return false;
  }
  std::sort(lat.begin(), lat.end());
  for (auto [name, q] : {std::pair{"embedded_e2e_latency_p50_us", 0.50},
                         std::pair{"embedded_e2e_latency_p99_us", 0.99}}) {
    auto l = line(name);
    l["value"] = round_to(lat[static_cast<std::size_t>(q * (lat.size() - 1))], 1);
    l["unit"] = "us";
    emit(l);
  }
  return true;
}

} // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string only;
  fs::path parent = default_parent_dir();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "--dir" && i + 1 < argc) {
      parent = argv[++i];
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::cerr << "usage: bus_bench [--quick] [--dir DIR] [--only throughput|latency|kafka]\n";
      return 2;
    }
  }
  std::optional<scratch_dir> root;
  try {
    root.emplace(scratch_dir::make(parent));
  } catch (const std::exception& e) {
    emit_error("setup", e.what());
    return 1;
  }
  install_interrupt_cleanup(root->path());
  warn_if_not_real_disk(root->path());
  auto t0 = clock_type::now();
  auto wants = [&](std::string_view part) { return only.empty() || only == part; };
  bool ok = true;
  if (wants("throughput"))
    ok = bench_throughput(quick, root->path()) && ok;
  if (wants("latency"))
    ok = bench_latency(quick, root->path()) && ok;
#ifdef FP_BUS_BENCH_KAFKA
  if (wants("kafka"))
    ok = bus_bench_kafka(quick) == 0 && ok;
#endif
  progress("done in ", round_to(seconds_since(t0), 1), " s", ok ? "" : " (with failures)");
  return ok ? 0 : 1;
}
