#pragma once

// Internal to journal/: the LMDB environment and the writer thread shared by journal,
// object_store and verify. Nothing outside journal/ includes this header.

#include "journal/journal.hpp"
#include "journal/object_index.hpp"
#include "journal/stream_index.hpp"

#include <lmdb.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <variant>

namespace fp::journal {

/// Translates an LMDB return code into our error, naming the operation.
error lmdb_error(int rc, std::string_view what);

struct append_req {
  std::string pid;
  std::uint64_t expected_seq;
  std::vector<event_data> events;
  journal::append_callback done;
  txn_fn with; ///< optional: runs in the events' nested transaction
};

struct txn_req {
  txn_fn fn;
  journal::ack_callback done;
};

struct snapshot_req {
  std::string pid;
  std::uint64_t seq;
  event_data snapshot;
  journal::ack_callback done;
};

/// Receives the entry bytes stored at the path: the new one, or the identical existing one.
struct object_req {
  std::string path;
  std::string entry;
  std::string digest; ///< raw 32 bytes, compared with an existing entry's
  std::function<void(expected<std::string>)> done;
};

using request = std::variant<append_req, snapshot_req, object_req, txn_req>;

/// A read transaction that also holds the resize lock shared, so the writer can grow the map
/// only between read transactions.
class read_txn {
public:
  explicit read_txn(const journal::impl& j);
  ~read_txn();
  read_txn(const read_txn&) = delete;
  read_txn& operator=(const read_txn&) = delete;
  int rc() const { return rc_; }
  MDB_txn* get() const { return txn_; }

private:
  std::shared_lock<std::shared_mutex> lock_;
  MDB_txn* txn_ = nullptr;
  int rc_ = 0;
};

struct journal::impl {
  options opts;
  MDB_env* env = nullptr;
  int writer_lock_fd = -1; ///< holds an exclusive flock while this process writes
  MDB_dbi events = 0, streams = 0, snapshots = 0, objects = 0, meta = 0, object_log = 0;
  bool has_object_log = false; ///< false only when a format-1 journal is opened read-only
  mutable std::shared_mutex resize_mu;
  std::mutex tables_mu; ///< serializes open_table
  std::map<std::string, MDB_dbi, std::less<>> tables;

  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<request> queue;
  std::size_t queued_records = 0;
  bool stopping = false;
  std::thread writer;

  std::uint64_t next_global = 1;        // writer thread only
  std::size_t last_acked = 0;           // writer thread only: requests in last commit
  std::size_t queued_during_commit = 0; // writer thread only: queued as it synced
  std::size_t linger_rest = 0; // writer thread only: commits left without the adaptive linger
  static constexpr std::size_t linger_rest_commits = 64;
  std::chrono::nanoseconds last_commit_time{0}; // writer thread only
  std::chrono::nanoseconds last_work{0};        // writer thread only: the last batch, commit aside
  stream_index index;
  object_index objidx;
  std::uint64_t batch_attempt = 0;      // writer thread only: numbers the attempts of batches
  std::vector<staged_entry> staged_buf; // writer thread only: index entries of the batch
  std::vector<std::uint64_t> hash_buf;  // writer thread only: the batch's slot_table hashes
  std::string encode_buf;               // writer thread only: reused for every record
  struct counters {
    std::atomic<std::uint64_t> commits{0}, acked_batches{0}, failed_batches{0}, io_failures{0},
        events_appended{0}, bytes_appended{0}, seq_conflicts{0}, snapshots_saved{0},
        snapshot_fallbacks{0}, map_resizes{0}, table_fn_retries{0}, index_flushes{0},
        index_entries_flushed{0}, objects_written{0}, object_index_flushes{0},
        object_index_entries_flushed{0}, checksum_failures{0}, map_bytes{0}, next_global_seq{1};
    /// Per bucket (not cumulative); journal_stats explains the bounds.
    std::array<std::atomic<std::uint64_t>, journal_stats::commit_seconds_le.size() + 1>
        commit_seconds{};
    std::atomic<std::uint64_t> commit_nanoseconds{0};
    std::array<std::atomic<std::uint64_t>, journal_stats::commit_requests_le.size() + 1>
        commit_requests{};
    std::atomic<std::uint64_t> commit_requests_sum{0};
  };
  mutable counters stat;

  ~impl();
  void enqueue(request r, std::size_t records);
  void run_writer();
  void process(std::vector<request>& batch);
  /// Counts a durable commit in the commit histograms.
  void observe_commit(double seconds, std::size_t requests);
  bool grow_map();
  std::filesystem::path object_file(std::string_view digest_hex) const;
  /// Read-only journals: index events another process committed since the last read.
  void refresh() const;
};

/// Writer: writes the object entry `entry` (sha256 `digest`, raw) at `path` in `tx`, or finds
/// the same bytes already there (write-once); returns the entry stored at the path. Other bytes
/// there are `object_conflict`. After an LMDB failure that must abort the batch, `tx.fatal()`
/// is set.
expected<std::string> write_object(journal::impl& j, txn_context& tx, std::string_view path,
                                   std::string_view entry, std::string_view digest);

/// The entry stored at `path` as of `txn` (views into the map), nullopt when there is none:
/// through `objects` (an entry of format 1, or the seq of its `object_log` entry), else through
/// `delta_seq`, what the object index's delta held for the path before `txn` began.
expected<std::optional<std::string_view>> find_object(const journal::impl& j, MDB_txn* txn,
                                                      std::string_view path,
                                                      std::optional<std::uint64_t> delta_seq);

/// Walks the snapshots of `pid` newest first with `cur` (on `snapshots`), calling `fn` until it
/// accepts one (`accepted`). A damaged snapshot reaches `fn` with schema_version 0 and its
/// decode status as event_type. Returns an LMDB code (0 when the walk ended normally).
int scan_snapshots(const journal::impl& j, MDB_cursor* cur, std::string_view pid,
                   const journal::record_fn& fn, bool& accepted);

/// Finds the last seq of `pid` as of `txn` and the index delta (0 when none).
int head_in_txn(const journal::impl& j, MDB_txn* txn, std::string_view pid, std::uint64_t& head);

} // namespace fp::journal
