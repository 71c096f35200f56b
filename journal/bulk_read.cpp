#include "journal/bulk_read.hpp"

#include "journal/journal_impl.hpp"
#include "journal/lmdb_val.hpp"
#include "journal/record_format.hpp"

#include <algorithm>
#include <numeric>

namespace fp::journal {

namespace {

/// Index entries one stream may take from a shared transaction; a longer tail is read in
/// chunks by `read_entity` after it (as `recover` does), so the transaction stays short.
constexpr std::size_t max_entries_in_batch = 4096;

/// The same checks and messages as journal.cpp's, so a batch fails a stream exactly as
/// `recover` does.
expected<void> check_pid(std::string_view pid) {
  if (pid.find('\0') != std::string_view::npos)
    return error{errc::invalid_argument, "journal: persistence_id must not contain NUL bytes"};
  if (pid.empty() || pid.size() > format::max_pid_bytes)
    return error{errc::invalid_argument, "journal: persistence_id must be 1.." +
                                             std::to_string(format::max_pid_bytes) +
                                             " bytes, got " + std::to_string(pid.size())};
  return {};
}

error corrupt(const journal::impl& j, const std::string& what, format::decode_status s) {
  j.stat.checksum_failures++;
  return error{errc::corrupt, "journal: " + what + ": " + format::to_string(s)};
}

/// One stream of the batch while it is read.
struct stream_job {
  std::size_t index = 0;
  std::vector<index_entry> delta;      ///< copied before the transaction begins
  std::vector<std::uint64_t> rejected; ///< snapshots the caller could not decode
  bool long_tail = false;              ///< events left to `read_entity` after the transaction
  bool done = false;                   ///< has its result (an error, or stopped by a callback)
};

/// Newest accepted snapshot of `pid`, as `journal::read_snapshots` + `recover` choose it.
int pick_snapshot(const journal::impl& j, MDB_cursor* cur, std::string_view pid, stream_job& job,
                  recovery_report& report, const batch_record_fn& fn) {
  bool accepted = false;
  auto rc = scan_snapshots(
      j, cur, pid,
      [&](const record_view& r) {
        if (r.schema_version != 0 && fn(job.index, r)) {
          report.snapshot_seq = r.seq;
          return true;
        }
        job.rejected.push_back(r.seq);
        return false;
      },
      accepted);
  if (rc != 0)
    return rc;
  report.used_snapshot = accepted;
  if (!job.rejected.empty()) {
    j.stat.snapshot_fallbacks++;
    report.fallback_reason =
        "snapshot at seq " + std::to_string(job.rejected.front()) + " did not decode; " +
        (report.used_snapshot
             ? "recovered from older snapshot at seq " + std::to_string(report.snapshot_seq)
             : std::string("replayed the full stream"));
  }
  report.last_seq = report.snapshot_seq;
  return 0;
}

/// The (seq, global) pairs of `pid` from `next` on: `streams` as of the transaction, then the
/// delta above its watermark (as `journal::read_entity` combines them). False when the stream
/// has more than the batch takes, or on an LMDB error (`rc`).
bool collect_entries(MDB_cursor* cur, std::string_view pid, std::uint64_t next,
                     std::uint64_t through, const std::vector<index_entry>& delta,
                     std::vector<index_entry>& out, int& rc, bool& malformed,
                     std::uint64_t& malformed_seq) {
  out.clear();
  auto start = format::stream_key(pid, next);
  MDB_val key = as_val(start), val;
  rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  {
    std::string_view kpid;
    std::uint64_t seq = 0;
    bool exact =
        rc == 0 && format::parse_stream_key(as_view(key), kpid, seq) && kpid == pid && seq == next;
    if (!exact && (rc == 0 || rc == MDB_NOTFOUND)) {
      rc = mdb_cursor_get(cur, &key, &val, rc == 0 ? MDB_PREV : MDB_LAST);
      if (rc == 0 && !(format::parse_stream_key(as_view(key), kpid, seq) && kpid == pid))
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
  }
  for (; rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    std::string_view kpid;
    std::uint64_t seq = 0;
    if (!format::parse_stream_key(as_view(key), kpid, seq) || kpid != pid)
      break;
    auto n = format::run_length(val.mv_size);
    if (n == 0) {
      malformed = true;
      malformed_seq = seq;
      return false;
    }
    auto globals = as_view(val);
    for (std::size_t i = 0; i < n; ++i)
      if (seq + i >= next)
        out.push_back({seq + i, format::read_u64be(globals.substr(8 * i, 8))});
    if (out.size() > max_entries_in_batch)
      return false;
  }
  if (rc != 0 && rc != MDB_NOTFOUND)
    return false;
  rc = 0;
  auto after = out.empty() ? next : out.back().seq + 1;
  for (auto& e : delta)
    if (e.global > through && e.seq >= after)
      out.push_back(e);
  return out.size() <= max_entries_in_batch;
}

} // namespace

std::vector<expected<recovery_report>> recover_many(const journal& jr,
                                                    const std::vector<std::string>& pids,
                                                    const batch_record_fn& decode_snapshot,
                                                    const batch_record_fn& apply_event) {
  auto& j = jr.internals();
  std::vector<expected<recovery_report>> results(pids.size(), recovery_report{});
  if (pids.empty())
    return results;
  j.refresh();
  // Key order: neighbouring streams share B-tree pages, and a crowd written together shares
  // event pages too.
  std::vector<stream_job> jobs;
  jobs.reserve(pids.size());
  for (std::size_t i = 0; i < pids.size(); ++i) {
    if (auto ok = check_pid(pids[i]); !ok) {
      results[i] = ok.error();
      continue;
    }
    jobs.push_back(stream_job{i, {}, {}, false, false});
  }
  std::sort(jobs.begin(), jobs.end(), [&](const stream_job& a, const stream_job& b) {
    return pids[a.index] < pids[b.index];
  });
  // Per-stream reads fail closed while a damaged record cannot be attributed to a stream.
  if (auto bad = j.index.unattributed(); !bad.empty()) {
    for (auto& job : jobs)
      results[job.index] =
          error{errc::corrupt, "journal: the event at global seq " + std::to_string(bad.front()) +
                                   " is damaged and names no stream; per-stream reads are refused "
                                   "until it is repaired (fp replay verify)"};
    return results;
  }
  // The deltas are copied before the transaction begins (see stream_index.hpp).
  for (auto& job : jobs)
    job.delta = j.index.delta_for(pids[job.index]);
  {
    read_txn txn{j};
    auto fail_all = [&](const error& e) {
      for (auto& job : jobs) {
        results[job.index] = e;
        job.done = true;
      }
    };
    if (txn.rc() != 0) {
      fail_all(lmdb_error(txn.rc(), "begin read transaction"));
      return results;
    }
    std::uint64_t through = 0;
    if (auto rc = stream_index::indexed_through(txn.get(), j.meta, through); rc != 0) {
      fail_all(lmdb_error(rc, "read the index watermark"));
      return results;
    }
    scoped_cursor snaps, streams, events;
    if (auto rc = snaps.open(txn.get(), j.snapshots); rc != 0) {
      fail_all(lmdb_error(rc, "open snapshot cursor"));
      return results;
    }
    if (auto rc = streams.open(txn.get(), j.streams); rc != 0) {
      fail_all(lmdb_error(rc, "open stream cursor"));
      return results;
    }
    if (auto rc = events.open(txn.get(), j.events); rc != 0) {
      fail_all(lmdb_error(rc, "open event cursor"));
      return results;
    }
    std::vector<index_entry> entries;
    std::uint64_t cursor_global = 0; // the events cursor's position (0: unknown)
    for (auto& job : jobs) {
      const std::string& pid = pids[job.index];
      auto& report = *results[job.index];
      if (auto rc = pick_snapshot(j, snaps.c, pid, job, report, decode_snapshot); rc != 0) {
        results[job.index] = lmdb_error(rc, "scan snapshots");
        job.done = true;
        continue;
      }
      int rc = 0;
      bool malformed = false;
      std::uint64_t malformed_seq = 0;
      if (!collect_entries(streams.c, pid, report.snapshot_seq + 1, through, job.delta, entries, rc,
                           malformed, malformed_seq)) {
        if (malformed) {
          results[job.index] =
              error{errc::corrupt, "journal: stream index of \"" + pid + "\" seq " +
                                       std::to_string(malformed_seq) + " is malformed"};
          job.done = true;
        } else if (rc != 0) {
          results[job.index] = lmdb_error(rc, "scan stream \"" + pid + "\"");
          job.done = true;
        } else {
          job.long_tail = true;
        }
        continue;
      }
      for (auto& e : entries) {
        auto gkey = format::u64be(e.global);
        MDB_val k = as_val(gkey), v;
        int grc = 0;
        if (cursor_global != 0 && cursor_global + 1 == e.global) {
          grc = mdb_cursor_get(events.c, &k, &v, MDB_NEXT);
          if (grc == 0 && (k.mv_size != 8 || format::read_u64be(as_view(k)) != e.global))
            grc = MDB_NOTFOUND; // a gap: the record is not there
        } else {
          grc = mdb_cursor_get(events.c, &k, &v, MDB_SET_KEY);
        }
        cursor_global = grc == 0 ? e.global : 0;
        if (grc != 0) {
          if (grc != MDB_NOTFOUND || e.global <= through)
            results[job.index] =
                lmdb_error(grc, "read event \"" + pid + "\" seq " + std::to_string(e.seq));
          break; // NOTFOUND above the watermark: committed after this read began
        }
        record_view r;
        auto st = format::decode(as_view(v), r);
        if (st == format::decode_status::ok && (r.persistence_id != pid || r.seq != e.seq))
          st = format::decode_status::bad_lengths;
        if (st != format::decode_status::ok) {
          results[job.index] = corrupt(j,
                                       "event \"" + pid + "\" seq " + std::to_string(e.seq) +
                                           " (global " + std::to_string(e.global) + ")",
                                       st);
          break;
        }
        report.events_replayed++;
        report.last_seq = r.seq;
        if (!apply_event(job.index, r))
          break;
      }
      job.done = true;
    }
  }
  // Streams longer than a batch takes: their events in chunks, each in its own transaction.
  for (auto& job : jobs) {
    if (!job.long_tail)
      continue;
    auto& report = *results[job.index];
    auto n = jr.read_entity(pids[job.index], report.snapshot_seq + 1, [&](const record_view& r) {
      report.last_seq = r.seq;
      return apply_event(job.index, r);
    });
    if (!n)
      results[job.index] = n.error();
    else
      report.events_replayed = *n;
  }
  return results;
}

} // namespace fp::journal
