#include "journal/verify.hpp"

#include "journal/journal_impl.hpp"
#include "journal/lmdb_val.hpp"
#include "journal/object_store.hpp"
#include "journal/record_format.hpp"

#include <map>
#include <optional>
#include <unordered_map>

namespace fp::journal {

namespace {

struct checker {
  verify_report report;
  void problem(std::string where, std::string what) {
    if (!report.first_problem)
      report.first_problem = verify_problem{std::move(where), std::move(what)};
    ++report.problems;
  }
};

std::string event_where(std::uint64_t global, std::string_view pid, std::uint64_t seq) {
  return "event global_seq=" + std::to_string(global) + " (persistence_id \"" + std::string(pid) +
         "\" seq " + std::to_string(seq) + ")";
}

/// Damaged records are looked up in the stream index (a full scan each), up to this many.
constexpr std::uint64_t max_owner_lookups = 16;

bool find_owner(const journal::impl& j, MDB_txn* txn, std::uint64_t global, std::string& pid,
                std::uint64_t& seq) {
  if (j.index.find_owner(global, pid, seq))
    return true;
  MDB_cursor* cur = nullptr;
  if (mdb_cursor_open(txn, j.streams, &cur) != 0)
    return false;
  MDB_val key, val;
  bool found = false;
  for (int rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0 && !found;
       rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    std::string_view kpid;
    std::uint64_t first = 0;
    auto n = format::run_length(val.mv_size);
    if (n == 0 || !format::parse_stream_key(as_view(key), kpid, first))
      continue;
    for (std::size_t i = 0; i < n && !found; ++i)
      if (format::read_u64be(as_view(val).substr(8 * i, 8)) == global) {
        pid = std::string(kpid);
        seq = first + i;
        found = true;
      }
  }
  mdb_cursor_close(cur);
  return found;
}

} // namespace

expected<verify_report> verify(const journal& jr,
                               const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  auto& j = jr.internals();
  checker c;
  std::unordered_map<std::string, std::uint64_t> heads;
  // Object paths not yet flushed to `objects`, taken before the transaction (object_index.hpp).
  j.refresh();
  auto object_delta = j.objidx.range("");
  std::optional<read_txn> holder;
  holder.emplace(j);
  auto& txn = *holder;
  if (txn.rc() != 0)
    return lmdb_error(txn.rc(), "begin read transaction");
  MDB_stat st;
  mdb_stat(txn.get(), j.events, &st);
  const std::uint64_t total = st.ms_entries;
  std::uint64_t through = 0; // events up to here have their entries in `streams`
  if (auto rc = stream_index::indexed_through(txn.get(), j.meta, through); rc != 0)
    return lmdb_error(rc, "read the index watermark");
  std::uint64_t indexed_events = 0;

  // 1. Events in global order: checksums, gap-free global seq, per-stream continuity.
  MDB_cursor* cur = nullptr;
  if (auto rc = mdb_cursor_open(txn.get(), j.events, &cur); rc != 0)
    return lmdb_error(rc, "open event cursor");
  MDB_val key, val;
  std::uint64_t expected_global = 1;
  int rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
  for (; rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    ++c.report.events;
    if (progress && c.report.events % 65536 == 0)
      progress(c.report.events, total);
    if (key.mv_size != 8) {
      c.problem("event key #" + std::to_string(c.report.events), "key is not 8 bytes");
      continue;
    }
    auto global = format::read_u64be(as_view(key));
    if (global != expected_global)
      c.problem("event global_seq=" + std::to_string(global),
                "global sequence gap: expected " + std::to_string(expected_global));
    expected_global = global + 1;
    if (global <= through)
      ++indexed_events;
    record_view r;
    auto status = format::decode(as_view(val), r);
    if (status != format::decode_status::ok) {
      // The damaged record cannot say whose it is; the stream index can.
      std::string owner;
      std::uint64_t owner_seq = 0;
      if (c.report.problems < max_owner_lookups &&
          find_owner(j, txn.get(), global, owner, owner_seq)) {
        c.problem(event_where(global, owner, owner_seq), format::to_string(status));
        heads[owner] = owner_seq;
      } else {
        c.problem("event global_seq=" + std::to_string(global), format::to_string(status));
      }
      continue;
    }
    if (r.global_seq != global || r.kind != record_kind::event) {
      c.problem(event_where(global, r.persistence_id, r.seq),
                "record says global_seq " + std::to_string(r.global_seq));
      continue;
    }
    auto& head = heads[std::string(r.persistence_id)];
    if (r.seq != head + 1)
      c.problem(event_where(global, r.persistence_id, r.seq),
                "stream seq gap: expected seq " + std::to_string(head + 1));
    head = r.seq;
  }
  mdb_cursor_close(cur);
  if (rc != MDB_NOTFOUND)
    return lmdb_error(rc, "scan events");
  if (progress)
    progress(c.report.events, total);

  // 2. The stream index points at the records that claim its (persistence_id, seq).
  if ((rc = mdb_cursor_open(txn.get(), j.streams, &cur)) != 0)
    return lmdb_error(rc, "open stream cursor");
  std::uint64_t index_entries = 0;
  for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    std::string_view pid;
    std::uint64_t first = 0;
    auto n = format::run_length(val.mv_size);
    if (!format::parse_stream_key(as_view(key), pid, first) || n == 0) {
      ++index_entries;
      c.problem("stream index entry #" + std::to_string(index_entries), "malformed key or value");
      continue;
    }
    for (std::size_t i = 0; i < n; ++i) {
      auto seq = first + i;
      auto global = as_view(val).substr(8 * i, 8);
      // Entries above the watermark are a flush in chunks not finished yet; they must point at
      // their record like any other, but the count below is of those up to the watermark.
      if (format::read_u64be(global) <= through)
        ++index_entries;
      MDB_val gk{8, const_cast<char*>(global.data())}, ev;
      if (mdb_get(txn.get(), j.events, &gk, &ev) != 0) {
        c.problem("stream index \"" + std::string(pid) + "\" seq " + std::to_string(seq),
                  "points at missing global_seq " + std::to_string(format::read_u64be(global)));
        continue;
      }
      record_view r;
      if (format::decode(as_view(ev), r) == format::decode_status::ok &&
          (r.persistence_id != pid || r.seq != seq))
        c.problem("stream index \"" + std::string(pid) + "\" seq " + std::to_string(seq),
                  "points at a record of another stream or seq");
    }
  }
  mdb_cursor_close(cur);
  if (rc != MDB_NOTFOUND)
    return lmdb_error(rc, "scan stream index");
  if (index_entries != indexed_events)
    c.problem("stream index", std::to_string(index_entries) + " entries for the " +
                                  std::to_string(indexed_events) + " events up to global seq " +
                                  std::to_string(through));
  c.report.streams = heads.size();

  // 3. Snapshots decode and point at an event that exists.
  if ((rc = mdb_cursor_open(txn.get(), j.snapshots, &cur)) != 0)
    return lmdb_error(rc, "open snapshot cursor");
  for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    ++c.report.snapshots;
    std::string_view pid;
    std::uint64_t seq = 0;
    if (!format::parse_stream_key(as_view(key), pid, seq)) {
      c.problem("snapshot #" + std::to_string(c.report.snapshots), "malformed key");
      continue;
    }
    auto where = "snapshot persistence_id \"" + std::string(pid) + "\" seq " + std::to_string(seq);
    record_view r;
    auto status = format::decode(as_view(val), r);
    if (status != format::decode_status::ok) {
      c.problem(where, format::to_string(status));
      continue;
    }
    auto it = heads.find(std::string(pid));
    if (r.kind != record_kind::snapshot || r.persistence_id != pid || r.seq != seq)
      c.problem(where, "record does not match its key");
    else if (it == heads.end() || it->second < seq)
      c.problem(where, "snapshot is newer than the stream's last event");
  }
  mdb_cursor_close(cur);
  if (rc != MDB_NOTFOUND)
    return lmdb_error(rc, "scan snapshots");

  // 4. Objects: every log entry is readable and is what its path resolves to; every path's
  // entry and bytes match their checksum and digest (files included).
  std::map<std::string, std::optional<std::uint64_t>, std::less<>> paths; // the delta's seq, if any
  for (auto& [path, seq] : object_delta)
    paths.emplace(path, seq);
  if ((rc = mdb_cursor_open(txn.get(), j.objects, &cur)) != 0)
    return lmdb_error(rc, "open object cursor");
  for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT))
    paths.try_emplace(std::string(as_view(key)));
  mdb_cursor_close(cur);
  if (rc != MDB_NOTFOUND)
    return lmdb_error(rc, "scan objects");
  if (j.has_object_log) {
    if ((rc = mdb_cursor_open(txn.get(), j.object_log, &cur)) != 0)
      return lmdb_error(rc, "open object_log cursor");
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
      if (key.mv_size != 8) {
        c.problem("object_log", "key of " + std::to_string(key.mv_size) + " bytes (8 expected)");
        continue;
      }
      auto seq = format::read_u64be(as_view(key));
      auto where = "object_log entry " + std::to_string(seq);
      std::string_view path, entry;
      if (!decode_log_value(as_view(val), seq, path, entry)) {
        c.problem(where, "damaged: its path fails its checksum");
        continue;
      }
      auto it = paths.find(path);
      std::optional<std::uint64_t> resolved;
      if (it != paths.end() && it->second) {
        resolved = it->second;
      } else {
        MDB_val k = as_val(path), v;
        if (mdb_get(txn.get(), j.objects, &k, &v) == 0 && v.mv_size == 8)
          resolved = format::read_u64be(as_view(v));
      }
      if (resolved != seq)
        c.problem(where, "object \"" + std::string(path) +
                             "\" is not indexed to this entry (write-once allows one)");
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
      return lmdb_error(rc, "scan object_log");
  }
  holder.reset(); // object reads below open their own transactions
  object_store objects{const_cast<journal&>(jr)};
  for (auto& [p, seq] : paths) {
    ++c.report.objects;
    if (auto got = objects.get(p); !got)
      c.problem("object \"" + p + "\"", got.error().message());
  }
  return c.report;
}

} // namespace fp::journal
