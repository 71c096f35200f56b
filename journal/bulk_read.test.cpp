#include "journal/bulk_read.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <unistd.h>

using namespace fp::journal;

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           ("fp-bulk-read-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

std::unique_ptr<journal> open_at(const std::filesystem::path& dir, std::size_t flush_every) {
  options o;
  o.dir = dir;
  o.index_flush_records = flush_every; // small: streams end up part flushed, part in the delta
  o.index_flush_per_stream = 0;
  auto j = journal::open(o);
  REQUIRE_MESSAGE(j.has_value(), (j ? "" : j.error().to_string()));
  return std::move(*j);
}

std::string payload(const std::string& pid, std::uint64_t seq) {
  return "<<" + pid + "#" + std::to_string(seq) + ">>";
}

void append_n(journal& j, const std::string& pid, std::uint64_t n, std::uint64_t per_append = 1) {
  auto head = *j.head_seq(pid);
  for (std::uint64_t done = 0; done < n;) {
    std::vector<event_data> evs;
    for (std::uint64_t k = 0; k < per_append && done < n; ++k, ++done)
      evs.push_back(event_data{"ev", 1, payload(pid, head + done + 1)});
    auto expected_seq = head + done - evs.size();
    auto r = j.append(pid, expected_seq, std::move(evs));
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().to_string()));
  }
}

void snapshot_at(journal& j, const std::string& pid, std::uint64_t seq, const std::string& bytes) {
  auto ok = j.save_snapshot(pid, seq, event_data{"snap", 1, bytes});
  REQUIRE_MESSAGE(static_cast<bool>(ok), (ok ? "" : ok.error().to_string()));
}

/// What a recovery delivered to its callbacks, and how it ended.
struct trace {
  std::vector<std::string> calls;
  std::string outcome;
  friend bool operator==(const trace&, const trace&) = default;
};

std::string describe(const fp::expected<recovery_report>& r) {
  if (!r)
    return "error " + r.error().to_string();
  return "used " + std::to_string(r->used_snapshot) + " snap " + std::to_string(r->snapshot_seq) +
         " replayed " + std::to_string(r->events_replayed) + " last " +
         std::to_string(r->last_seq) + " fallback \"" + r->fallback_reason + "\"";
}

/// Snapshots whose bytes start with "bad" do not decode; events stop a stream when their
/// payload names `stop_at`.
bool snapshot_ok(const record_view& r) {
  return !r.payload.starts_with("bad");
}
const std::string stop_at = payload("stops", 4);

std::string call(const char* what, const record_view& r) {
  return std::string(what) + " " + std::to_string(r.seq) + " " + std::string(r.event_type) + " " +
         std::string(r.payload);
}

std::vector<trace> one_by_one(const journal& j, const std::vector<std::string>& pids) {
  std::vector<trace> out(pids.size());
  for (std::size_t i = 0; i < pids.size(); ++i) {
    auto& t = out[i];
    auto r = j.recover(
        pids[i],
        [&](const record_view& r) {
          t.calls.push_back(call("snapshot", r));
          return r.schema_version != 0 && snapshot_ok(r);
        },
        [&](const record_view& r) {
          t.calls.push_back(call("event", r));
          return r.payload != stop_at;
        });
    t.outcome = describe(r);
  }
  return out;
}

std::vector<trace> in_bulk(const journal& j, const std::vector<std::string>& pids) {
  std::vector<trace> out(pids.size());
  auto results = recover_many(
      j, pids,
      [&](std::size_t i, const record_view& r) {
        out[i].calls.push_back(call("snapshot", r));
        return r.schema_version != 0 && snapshot_ok(r);
      },
      [&](std::size_t i, const record_view& r) {
        out[i].calls.push_back(call("event", r));
        return r.payload != stop_at;
      });
  REQUIRE(results.size() == pids.size());
  for (std::size_t i = 0; i < pids.size(); ++i)
    out[i].outcome = describe(results[i]);
  return out;
}

void check_same(const journal& j, const std::vector<std::string>& pids) {
  auto a = one_by_one(j, pids);
  auto b = in_bulk(j, pids);
  for (std::size_t i = 0; i < pids.size(); ++i) {
    INFO("stream " << pids[i]);
    CHECK(a[i].outcome == b[i].outcome);
    CHECK(a[i].calls == b[i].calls);
  }
}

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

} // namespace

TEST_CASE("recover_many gives every stream exactly what recover gives it") {
  temp_dir d;
  auto j = open_at(d.path, 16);
  append_n(*j, "plain", 7);
  append_n(*j, "batched", 40, 9);
  append_n(*j, "snap", 10);
  snapshot_at(*j, "snap", 6, "good-6");
  append_n(*j, "snap", 5);
  // The newest snapshot does not decode: the older one, then its tail.
  append_n(*j, "fallback", 8);
  snapshot_at(*j, "fallback", 3, "good-3");
  snapshot_at(*j, "fallback", 6, "bad-6");
  append_n(*j, "fallback", 2);
  // No snapshot decodes: a full replay.
  append_n(*j, "replay", 5);
  snapshot_at(*j, "replay", 2, "bad-2");
  snapshot_at(*j, "replay", 4, "bad-4");
  // Interleaved with the others in the global order, and longer than one batch takes.
  for (int round = 0; round < 3; ++round) {
    append_n(*j, "plain", 3);
    append_n(*j, "long", 2000, 500);
  }
  append_n(*j, "stops", 9);
  append_n(*j, "plain-neighbour", 2);
  std::vector<std::string> pids = {"snap",
                                   "plain",
                                   "missing",
                                   "long",
                                   "fallback",
                                   "replay",
                                   "stops",
                                   "batched",
                                   "plain",
                                   std::string("n\0ul", 4),
                                   "plain-neighbour",
                                   ""};
  check_same(*j, pids);
  // After a restart the tail above the index watermark is rebuilt from the log.
  j.reset();
  j = open_at(d.path, 16);
  append_n(*j, "plain", 1);
  check_same(*j, pids);
  auto bulk = in_bulk(*j, {"fallback", "long"});
  CHECK(bulk[0].outcome.find("recovered from older snapshot at seq 3") != std::string::npos);
  CHECK(bulk[1].calls.size() == 6000);
}

TEST_CASE("recover_many fails a damaged stream closed and serves the others") {
  temp_dir d;
  {
    auto j = open_at(d.path, 1 << 20);
    append_n(*j, "a", 3);
    append_n(*j, "damaged", 3);
    append_n(*j, "b", 3);
  }
  // Flip a byte inside every stored copy of one event's payload.
  auto file = d.path / "data.mdb";
  auto bytes = slurp(file);
  auto needle = payload("damaged", 2);
  std::vector<std::size_t> at;
  for (auto pos = bytes.find(needle); pos != std::string::npos; pos = bytes.find(needle, pos + 1))
    at.push_back(pos + 3);
  REQUIRE_FALSE(at.empty());
  {
    std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
    for (auto off : at) {
      f.seekp(static_cast<std::streamoff>(off));
      char c = static_cast<char>(bytes[off] ^ 0x01);
      f.write(&c, 1);
    }
  }
  auto j = open_at(d.path, 1 << 20);
  std::vector<std::string> pids = {"a", "damaged", "b"};
  check_same(*j, pids);
  auto bulk = in_bulk(*j, pids);
  CHECK(bulk[1].outcome.find("error journal.corrupt") == 0);
  CHECK(bulk[1].calls.size() == 1); // seq 1 only: nothing of the damaged record is delivered
  CHECK(bulk[0].outcome.find("last 3") != std::string::npos);
  CHECK(bulk[2].outcome.find("last 3") != std::string::npos);
}
