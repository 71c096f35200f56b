// Corruption tests: damage one byte of one stored record directly in `DIR/data.mdb` (or an
// object file) and check that every reader detects it, names the record and keeps serving the
// undamaged data.
//
// The damaged byte is always inside a record value (payload or record header), found by
// searching the file for a unique marker and checking the bytes around it against the layout
// in journal/record_format.hpp. LMDB page headers are never touched: LMDB has no page
// checksums and may crash on a damaged page. LMDB is copy-on-write, so an older copy of a
// record can still sit in a free page; every copy found is checked and damaged, so the live
// one certainly is.

#include "journal/journal.hpp"
#include "journal/object_store.hpp"
#include "journal/record_format.hpp"
#include "journal/verify.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

using namespace fp::journal;

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("fp-journal-corrupt-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

constexpr const char* writer = "corruption-test";

std::unique_ptr<journal> open_at(const std::filesystem::path& dir) {
  options o;
  o.dir = dir;
  o.writer_id = writer;
  auto j = journal::open(o);
  REQUIRE_MESSAGE(j.has_value(), (j ? "" : j.error().to_string()));
  return std::move(*j);
}

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::size_t> find_all(const std::string& hay, const std::string& needle) {
  std::vector<std::size_t> out;
  for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1))
    out.push_back(pos);
  return out;
}

/// XORs one byte of `file` at each offset, in place, and checks it changed on disk.
void flip_bytes(const std::filesystem::path& file, const std::vector<std::size_t>& offsets) {
  auto before = slurp(file);
  {
    std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
    REQUIRE(f.good());
    for (auto off : offsets) {
      REQUIRE(off < before.size());
      f.seekp(static_cast<std::streamoff>(off));
      char c = static_cast<char>(before[off] ^ 0x01);
      f.write(&c, 1);
    }
    f.flush();
    REQUIRE(f.good());
  }
  auto after = slurp(file);
  REQUIRE(after.size() == before.size());
  std::size_t changed = 0;
  for (std::size_t i = 0; i < after.size(); ++i)
    changed += after[i] != before[i];
  REQUIRE(changed == offsets.size());
}

std::uint64_t get_le(const std::string& b, std::size_t off, std::size_t n) {
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < n; ++i)
    x |= static_cast<std::uint64_t>(static_cast<unsigned char>(b[off + i])) << (8 * i);
  return x;
}

/// The payload of an event: a marker unique to (pid, seq), then filler.
std::string marker(std::string_view pid, std::uint64_t seq) {
  return "<<payload " + std::string(pid) + "/" + std::to_string(seq) + ">>";
}
std::string payload(std::string_view pid, std::uint64_t seq) {
  auto p = marker(pid, seq);
  for (int i = 0; p.size() < 160; ++i)
    p += static_cast<char>('a' + (seq * 7 + static_cast<std::uint64_t>(i)) % 26);
  return p;
}
std::string type_of(std::uint64_t seq) {
  return "deposited-" + std::to_string(seq);
}

const std::vector<std::string> pids = {"acct-a", "acct-b", "acct-c"};
constexpr std::uint64_t events_per_stream = 6;

/// Appends events_per_stream events to each stream, one event per append, interleaved so
/// that the streams' records alternate in the global order. Returns pid -> seq -> global.
std::map<std::string, std::map<std::uint64_t, std::uint64_t>> write_streams(journal& j) {
  std::map<std::string, std::map<std::uint64_t, std::uint64_t>> globals;
  for (std::uint64_t seq = 1; seq <= events_per_stream; ++seq)
    for (auto& pid : pids) {
      auto r = j.append(pid, seq - 1, {event_data{type_of(seq), 1, payload(pid, seq)}});
      REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().to_string()));
      REQUIRE(r->first_seq == seq);
      globals[pid][seq] = r->first_global;
    }
  return globals;
}

/// Every stored copy of the event record (pid, seq) in `file`: the offset of its first byte.
/// Each copy is checked against the record layout before it is returned.
std::vector<std::size_t> locate_event(const std::string& file, const std::string& pid,
                                      std::uint64_t seq, std::uint64_t global) {
  auto type = type_of(seq);
  auto pl = payload(pid, seq);
  auto lead = format::header_size + pid.size() + type.size() + std::string_view(writer).size();
  std::vector<std::size_t> starts;
  for (auto pos : find_all(file, marker(pid, seq))) {
    REQUIRE(pos >= lead);
    auto start = pos - lead;
    INFO("record copy at file offset ", start);
    REQUIRE(get_le(file, start + format::off_version, 1) == format::version);
    REQUIRE(get_le(file, start + format::off_kind, 1) ==
            static_cast<std::uint8_t>(record_kind::event));
    REQUIRE(get_le(file, start + format::off_type_len, 2) == type.size());
    REQUIRE(get_le(file, start + format::off_payload_len, 4) == pl.size());
    REQUIRE(get_le(file, start + format::off_seq, 8) == seq);
    REQUIRE(get_le(file, start + format::off_global_seq, 8) == global);
    REQUIRE(get_le(file, start + format::off_pid_len, 2) == pid.size());
    REQUIRE(file.compare(start + format::header_size, pid.size(), pid) == 0);
    REQUIRE(file.compare(pos, pl.size(), pl) == 0);
    starts.push_back(start);
  }
  REQUIRE_MESSAGE(!starts.empty(), "no stored copy of " << pid << " seq " << seq);
  return starts;
}

std::string event_where(std::uint64_t global, std::string_view pid, std::uint64_t seq) {
  // The form documented in journal/verify.hpp.
  return "event global_seq=" + std::to_string(global) + " (persistence_id \"" + std::string(pid) +
         "\" seq " + std::to_string(seq) + ")";
}

/// After one event record of (bad_pid, bad_seq) was damaged: every reader detects it and names
/// it, and everything else still reads.
void check_damaged_event(const journal& j,
                         const std::map<std::string, std::map<std::uint64_t, std::uint64_t>>& g,
                         const std::string& bad_pid, std::uint64_t bad_seq) {
  const auto bad_global = g.at(bad_pid).at(bad_seq);
  const auto total = pids.size() * events_per_stream;

  SUBCASE("verify names the damaged record") {
    auto report = verify(j);
    REQUIRE(report.has_value());
    CHECK_FALSE(report->ok());
    CHECK(report->problems >= 1);
    REQUIRE(report->first_problem.has_value());
    CHECK(report->first_problem->where == event_where(bad_global, bad_pid, bad_seq));
    CHECK(report->first_problem->what == "checksum mismatch");
  }

  SUBCASE("read_entity of the stream fails with corrupt instead of returning the record") {
    std::vector<std::uint64_t> seen;
    bool garbage = false;
    auto n = j.read_entity(bad_pid, 1, [&](const record_view& r) {
      seen.push_back(r.seq);
      garbage = garbage || r.payload != payload(bad_pid, r.seq);
      return true;
    });
    REQUIRE_FALSE(n.has_value());
    CHECK(n.error().is(errc::corrupt));
    auto msg = n.error().message();
    INFO(msg);
    CHECK(msg.find("\"" + bad_pid + "\" seq " + std::to_string(bad_seq)) != std::string::npos);
    CHECK(msg.find("global " + std::to_string(bad_global)) != std::string::npos);
    CHECK(msg.find("checksum mismatch") != std::string::npos);
    // The records before the damaged one were delivered intact, and nothing after it.
    std::vector<std::uint64_t> before;
    for (std::uint64_t s = 1; s < bad_seq; ++s)
      before.push_back(s);
    CHECK(seen == before);
    CHECK_FALSE(garbage);
    CHECK(j.stats().checksum_failures >= 1);
    // Starting after the damaged record reads the rest of the stream.
    std::uint64_t next = bad_seq + 1;
    auto rest = j.read_entity(bad_pid, bad_seq + 1, [&](const record_view& r) {
      CHECK(r.seq == next++);
      CHECK(r.payload == payload(bad_pid, r.seq));
      return true;
    });
    REQUIRE(rest.has_value());
    CHECK(*rest == events_per_stream - bad_seq);
    CHECK(*j.head_seq(bad_pid) == events_per_stream);
  }

  SUBCASE("read_global over the range fails with corrupt naming the record") {
    std::uint64_t next_global = 1;
    bool garbage = false;
    auto r = j.read_global(1, 1000, [&](const record_view& rv) {
      garbage = garbage || rv.global_seq != next_global++ ||
                rv.payload != payload(rv.persistence_id, rv.seq);
      return true;
    });
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().is(errc::corrupt));
    auto msg = r.error().message();
    INFO(msg);
    CHECK(msg.find("global seq " + std::to_string(bad_global)) != std::string::npos);
    CHECK(msg.find("checksum mismatch") != std::string::npos);
    CHECK(next_global == bad_global); // everything before it, nothing from it on
    CHECK_FALSE(garbage);
    // A range that starts after it reads to the end.
    std::uint64_t count = 0;
    auto after = j.read_global(bad_global + 1, 1000, [&](const record_view& rv) {
      CHECK(rv.payload == payload(rv.persistence_id, rv.seq));
      ++count;
      return true;
    });
    REQUIRE(after.has_value());
    CHECK(*after == total + 1);
    CHECK(count == total - bad_global);
  }

  SUBCASE("the other streams still read, byte for byte") {
    for (auto& pid : pids) {
      if (pid == bad_pid)
        continue;
      std::uint64_t next = 1;
      auto n = j.read_entity(pid, 1, [&](const record_view& r) {
        CHECK(r.seq == next);
        CHECK(r.global_seq == g.at(pid).at(next));
        CHECK(r.payload == payload(pid, next));
        CHECK(r.event_type == type_of(next));
        ++next;
        return true;
      });
      REQUIRE_MESSAGE(n.has_value(), (n ? "" : n.error().to_string()));
      CHECK(*n == events_per_stream);
    }
  }
}

} // namespace

TEST_CASE("a flipped payload byte in one event record is detected and named") {
  temp_dir dir;
  std::map<std::string, std::map<std::uint64_t, std::uint64_t>> globals;
  {
    auto j = open_at(dir.path);
    globals = write_streams(*j);
  }
  const std::string bad_pid = "acct-b";
  const std::uint64_t bad_seq = 3;
  auto data = dir.path / "data.mdb";
  auto file = slurp(data);
  auto starts = locate_event(file, bad_pid, bad_seq, globals[bad_pid][bad_seq]);
  MESSAGE("damaging ", starts.size(), " stored copy(ies) of the record");
  auto payload_at = format::header_size + bad_pid.size() + type_of(bad_seq).size() +
                    std::string_view(writer).size();
  std::vector<std::size_t> offsets;
  for (auto s : starts)
    offsets.push_back(s + payload_at + 12); // inside "<<payload acct-b/3>>"
  flip_bytes(data, offsets);

  auto j = open_at(dir.path);
  check_damaged_event(*j, globals, bad_pid, bad_seq);
}

TEST_CASE("a flipped byte in an event record's header is detected and named") {
  struct field {
    const char* name;
    std::size_t offset;
  };
  for (auto f : {field{"seq", format::off_seq}, field{"global_seq", format::off_global_seq},
                 field{"written_at", format::off_written_at},
                 field{"schema_version", format::off_schema_version}}) {
    // SUBCASE per damaged field, each on a fresh journal.
    SUBCASE(f.name) {
      temp_dir dir;
      std::map<std::string, std::map<std::uint64_t, std::uint64_t>> globals;
      {
        auto j = open_at(dir.path);
        globals = write_streams(*j);
      }
      const std::string bad_pid = "acct-c";
      const std::uint64_t bad_seq = 4;
      auto data = dir.path / "data.mdb";
      auto starts = locate_event(slurp(data), bad_pid, bad_seq, globals[bad_pid][bad_seq]);
      std::vector<std::size_t> offsets;
      for (auto s : starts)
        offsets.push_back(s + f.offset); // the field's lowest byte
      flip_bytes(data, offsets);

      auto j = open_at(dir.path);
      check_damaged_event(*j, globals, bad_pid, bad_seq);
    }
  }
}

namespace {

/// The snapshot payload: a marker, then the state (the sum of the deposits so far).
std::string snapshot_payload(std::uint64_t seq, long sum) {
  return "<<snapshot acct-s/" + std::to_string(seq) + ">> sum=" + std::to_string(sum);
}

bool decode_sum(std::string_view payload, long& sum) {
  auto pos = payload.find(">> sum=");
  if (!payload.starts_with("<<snapshot acct-s/") || pos == std::string_view::npos)
    return false;
  try {
    std::size_t used = 0;
    auto digits = std::string(payload.substr(pos + 7));
    sum = std::stol(digits, &used);
    return used == digits.size();
  } catch (...) {
    return false;
  }
}

} // namespace

TEST_CASE("a damaged snapshot: recovery falls back with a reason, verify names it") {
  const std::string pid = "acct-s";
  constexpr std::uint64_t events = 10; // deposit i at seq i: the state is 1 + 2 + ... + 10
  temp_dir dir;
  bool two_snapshots = false;
  SUBCASE("the only snapshot is damaged: full replay") {
    two_snapshots = false;
  }
  SUBCASE("the newest snapshot is damaged: the older one is used") {
    two_snapshots = true;
  }
  const std::uint64_t bad_snap = 6, good_snap = 3;
  {
    auto j = open_at(dir.path);
    for (std::uint64_t seq = 1; seq <= events; ++seq) {
      REQUIRE(j->append(pid, seq - 1, {event_data{"deposited", 1, std::to_string(seq)}}));
      if (seq == good_snap && two_snapshots)
        REQUIRE(j->save_snapshot(pid, seq, {"state", 1, snapshot_payload(seq, 6)}));
      if (seq == bad_snap)
        REQUIRE(j->save_snapshot(pid, seq, {"state", 1, snapshot_payload(seq, 21)}));
    }
    // Another stream with a snapshot that stays intact.
    REQUIRE(j->append("acct-t", 0, {event_data{"deposited", 1, "5"}}));
    REQUIRE(j->save_snapshot("acct-t", 1, {"state", 1, "<<snapshot acct-t/1>> sum=5"}));
  }
  auto data = dir.path / "data.mdb";
  auto file = slurp(data);
  auto bad_payload = snapshot_payload(bad_snap, 21);
  auto lead = format::header_size + pid.size() + std::string_view("state").size() +
              std::string_view(writer).size();
  std::vector<std::size_t> offsets;
  for (auto pos : find_all(file, bad_payload)) {
    REQUIRE(pos >= lead);
    auto start = pos - lead;
    REQUIRE(get_le(file, start + format::off_kind, 1) ==
            static_cast<std::uint8_t>(record_kind::snapshot));
    REQUIRE(get_le(file, start + format::off_seq, 8) == bad_snap);
    REQUIRE(get_le(file, start + format::off_payload_len, 4) == bad_payload.size());
    REQUIRE(file.compare(start + format::header_size, pid.size(), pid) == 0);
    offsets.push_back(pos + bad_payload.size() - 1); // the last digit of "sum=21"
  }
  REQUIRE(!offsets.empty());
  flip_bytes(data, offsets);

  auto j = open_at(dir.path);
  long sum = 0;
  std::vector<std::string> decoded_payloads;
  auto report = j->recover(
      pid,
      [&](const record_view& r) {
        decoded_payloads.emplace_back(r.payload);
        long s = 0;
        if (!decode_sum(r.payload, s))
          return false;
        sum = s;
        return true;
      },
      [&](const record_view& r) {
        sum += std::stol(std::string(r.payload));
        return true;
      });
  REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.error().to_string()));
  CHECK(sum == 55); // the correct state either way
  CHECK(report->last_seq == events);
  CHECK_FALSE(report->fallback_reason.empty());
  CHECK(report->fallback_reason.find("seq " + std::to_string(bad_snap)) != std::string::npos);
  // The damaged bytes never reached the decoder as if they were a snapshot.
  for (auto& p : decoded_payloads)
    CHECK(p != bad_payload);
  for (auto& p : decoded_payloads) {
    auto flipped = bad_payload;
    flipped.back() ^= 0x01;
    CHECK(p != flipped);
  }
  if (two_snapshots) {
    CHECK(report->used_snapshot);
    CHECK(report->snapshot_seq == good_snap);
    CHECK(report->events_replayed == events - good_snap);
  } else {
    CHECK_FALSE(report->used_snapshot);
    CHECK(report->snapshot_seq == 0);
    CHECK(report->events_replayed == events);
  }
  CHECK(j->stats().snapshot_fallbacks >= 1);

  // The other stream's snapshot is still used.
  long t_sum = 0;
  auto t = j->recover(
      "acct-t",
      [&](const record_view& r) {
        return r.payload == "<<snapshot acct-t/1>> sum=5" ? (t_sum = 5, true) : false;
      },
      [&](const record_view&) { return false; });
  REQUIRE(t.has_value());
  CHECK(t->used_snapshot);
  CHECK(t->fallback_reason.empty());
  CHECK(t_sum == 5);

  auto v = verify(*j);
  REQUIRE(v.has_value());
  CHECK_FALSE(v->ok());
  CHECK(v->problems == 1);
  REQUIRE(v->first_problem.has_value());
  CHECK(v->first_problem->where ==
        "snapshot persistence_id \"" + pid + "\" seq " + std::to_string(bad_snap));
  CHECK(v->first_problem->what == "checksum mismatch");
  CHECK(v->events == events + 1);
}

TEST_CASE("a damaged object is refused with corrupt and named by verify") {
  temp_dir dir;
  const std::string bad_path = "reports/run-2/b.json";
  const std::string bad_bytes = R"({"marker":"<<object b>>","rows":[1,2,3,4,5,6,7,8]})";
  const std::map<std::string, std::string> objects = {
      {"reports/run-2/a.json", R"({"marker":"<<object a>>"})"},
      {bad_path, bad_bytes},
      {"reports/run-2/c.json", R"({"marker":"<<object c>>"})"},
  };
  {
    auto j = open_at(dir.path);
    object_store store{*j};
    for (auto& [path, bytes] : objects)
      REQUIRE(store.put(path, bytes, "report/v1").has_value());
    REQUIRE(j->append("acct-o", 0, {event_data{"noted", 1, "x"}}));
  }
  auto data = dir.path / "data.mdb";
  auto file = slurp(data);
  // Entry: 52-byte header, schema_version, inline bytes (record_format.hpp).
  const std::size_t lead = format::object_header_size + std::string_view("report/v1").size();
  std::vector<std::size_t> offsets;
  for (auto pos : find_all(file, bad_bytes)) {
    REQUIRE(pos >= lead);
    auto start = pos - lead;
    REQUIRE(get_le(file, start, 1) == format::version);
    REQUIRE(get_le(file, start + 1, 1) == format::object_inline);
    REQUIRE(get_le(file, start + 4, 8) == bad_bytes.size());
    offsets.push_back(pos + bad_bytes.find("<<object b>>") + 9); // the 'b'
  }
  REQUIRE(!offsets.empty());
  flip_bytes(data, offsets);

  auto j = open_at(dir.path);
  object_store store{*j};
  auto got = store.get(bad_path);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().is(errc::corrupt));
  CHECK(got.error().message().find("\"" + bad_path + "\"") != std::string::npos);
  for (auto& [path, bytes] : objects) {
    if (path == bad_path)
      continue;
    auto ok = store.get(path);
    REQUIRE_MESSAGE(ok.has_value(), (ok ? "" : ok.error().to_string()));
    CHECK(*ok == bytes);
  }
  CHECK(j->stats().checksum_failures >= 1);

  auto v = verify(*j);
  REQUIRE(v.has_value());
  CHECK_FALSE(v->ok());
  REQUIRE(v->first_problem.has_value());
  INFO("where: ", v->first_problem->where, "; what: ", v->first_problem->what);
  CHECK(v->first_problem->where == "object \"" + bad_path + "\"");
  CHECK(v->first_problem->what.find("checksum") != std::string::npos);
  // The damaged entry does not stop verify from checking the objects after it.
  CHECK(v->objects == objects.size());
  CHECK(v->problems == 1);
}

TEST_CASE("a damaged object file is refused with corrupt and named by verify") {
  temp_dir dir;
  const std::string path = "bundles/big.bin";
  std::string bytes = "<<object big>>";
  while (bytes.size() < (300u << 10)) // over max_inline_object_bytes: stored as a file
    bytes += static_cast<char>('A' + bytes.size() % 23);
  std::string digest;
  {
    auto j = open_at(dir.path);
    object_store store{*j};
    auto ref = store.put(path, bytes);
    REQUIRE(ref.has_value());
    REQUIRE(ref->digest.has_value());
    digest = *ref->digest;
  }
  REQUIRE(digest.size() == 64);
  auto blob = dir.path / "objects" / digest.substr(0, 2) / digest;
  REQUIRE(std::filesystem::exists(blob));
  REQUIRE(slurp(blob) == bytes);
  flip_bytes(blob, {bytes.size() / 2});

  auto j = open_at(dir.path);
  object_store store{*j};
  auto got = store.get(path);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().is(errc::corrupt));
  CHECK(got.error().message().find("\"" + path + "\"") != std::string::npos);
  auto v = verify(*j);
  REQUIRE(v.has_value());
  CHECK_FALSE(v->ok());
  REQUIRE(v->first_problem.has_value());
  CHECK(v->first_problem->where == "object \"" + path + "\"");
  CHECK(v->first_problem->what.find("do not match digest") != std::string::npos);
}
