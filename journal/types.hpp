#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace fp::journal {

/// An event (or snapshot) to store: its type, the version of its encoding and its bytes
/// (versioned msgpack produced by the owning entity's codec; opaque to the journal).
struct event_data {
  std::string event_type;
  std::uint32_t schema_version = 1;
  std::string payload;
};

/// What an acknowledged append got. Returned only after the commit holding it is durable.
struct append_result {
  std::uint64_t first_seq = 0;    ///< per-entity seq of the first event (1-based)
  std::uint64_t last_seq = 0;     ///< per-entity seq of the last event
  std::uint64_t first_global = 0; ///< global seq of the first event (1-based, gap-free)
  std::uint64_t last_global = 0;
  std::uint64_t commit_id = 0; ///< the durable commit that holds the events (1-based)
};

enum class record_kind : std::uint8_t { event = 1, snapshot = 2 };

/// A stored record, decoded and checksum-verified. The views point into the database map and
/// are valid only inside the callback that receives them.
struct record_view {
  record_kind kind = record_kind::event;
  std::string_view persistence_id;
  std::uint64_t seq = 0;
  std::uint64_t global_seq = 0; ///< 0 for snapshots
  std::string_view event_type;
  std::uint32_t schema_version = 0;
  std::int64_t written_at_ns = 0; ///< record metadata, not entity state
  std::string_view writer;        ///< record metadata, not entity state
  std::string_view payload;
};

struct options {
  std::filesystem::path dir;                   ///< holds `data.mdb` and `objects/`
  std::size_t initial_map_bytes = 64ull << 20; ///< the map doubles when full
  std::size_t max_map_bytes = 1ull << 40;      ///< growth stops here (errc::map_full)
  std::size_t max_batch_records = 8192;        ///< records in one commit
  std::chrono::microseconds max_wait{0};       ///< linger for more appends before a commit
  /// When fewer requests are queued than the last commit acknowledged, keep the next commit
  /// open while requests keep arriving (up to the last commit's duration, at most 2 ms; a gap
  /// of 20 us with no arrival ends it): closed-loop writers (actors answering, then appending
  /// again) then share one fsync instead of splitting into a small commit and a late one. Only
  /// while the last commit's duration is more than twice the writer's other work on that batch:
  /// with many requests per commit the writer is the bottleneck, and waiting would only idle
  /// it. A wait that runs out its budget before everyone is back rests it for 64 commits.
  bool adaptive_linger = true;
  std::size_t max_record_bytes = 16ull << 20;      ///< larger events are errc::too_large
  std::size_t max_inline_object_bytes = 256 << 10; ///< larger objects are stored as files
  /// The stream index is written to `streams` in bulk (a flush) once this many entries are kept
  /// in memory, and at least `index_flush_per_stream` per stream among them: a flush rewrites
  /// about one B-tree leaf per stream it holds, so with many streams it waits for more entries
  /// each (up to `index_max_delta_records`, after which it flushes whatever it holds).
  std::size_t index_flush_records = 32768;
  std::size_t index_flush_per_stream = 4;         ///< 0: flush at `index_flush_records` regardless
  std::size_t index_max_delta_records = 1u << 19; ///< about 40 bytes of memory each
  /// Streams whose heads the writer keeps in memory after their index entries are flushed
  /// (about 150 bytes each); an append to any other stream first searches `streams`.
  std::size_t cached_streams = 1u << 18;
  /// Objects are written in path-less order to `object_log` and their paths indexed in
  /// memory; the paths are written to `objects` in bulk (a flush) once this many are kept
  /// (about 200 bytes of memory each). A flush rewrites about one `objects` leaf per path it
  /// holds, so fewer, larger flushes write fewer pages per object.
  std::size_t object_index_flush_records = 32768;
  std::uint32_t snapshots_keep = 2; ///< newest N snapshots kept per entity
  std::string writer_id = "fp";     ///< stamped on records (metadata only)
  bool read_only = false;           ///< inspection tools open read-only
};

/// Counters, read at any time. `acked_batches` counts append/snapshot/object requests whose
/// callback ran after their commit; `commits` counts durable (fsynced) transactions.
struct journal_stats {
  std::uint64_t commits = 0;
  std::uint64_t acked_batches = 0;
  std::uint64_t failed_batches = 0;
  std::uint64_t io_failures = 0; ///< requests failed by LMDB or the file system (not rejections)
  std::uint64_t events_appended = 0;
  std::uint64_t bytes_appended = 0;
  std::uint64_t seq_conflicts = 0;
  std::uint64_t snapshots_saved = 0;
  std::uint64_t snapshot_fallbacks = 0; ///< recoveries that could not use a snapshot
  std::uint64_t map_resizes = 0;
  /// Batches written again because a table function run straight in the batch's transaction
  /// refused (the retry gives each its own nested transaction).
  std::uint64_t table_fn_retries = 0;
  std::uint64_t index_flushes = 0;         ///< bulk writes of the stream index
  std::uint64_t index_entries_flushed = 0; ///< (stream, seq) entries those flushes wrote
  std::uint64_t objects_written = 0;
  std::uint64_t object_index_flushes = 0;         ///< bulk writes of the object path index
  std::uint64_t object_index_entries_flushed = 0; ///< paths those flushes wrote
  std::uint64_t checksum_failures = 0;
  std::uint64_t map_bytes = 0;
  std::uint64_t next_global_seq = 1;
  /// How long durable commits took (mdb_txn_commit: the page writes and both fsyncs):
  /// `commit_seconds_buckets[i]` counts commits that took at most `commit_seconds_le[i]`
  /// (cumulative, as Prometheus histograms are); the last bucket is +Inf, i.e. `commits`.
  static constexpr std::array<double, 11> commit_seconds_le{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0};
  std::array<std::uint64_t, commit_seconds_le.size() + 1> commit_seconds_buckets{};
  double commit_seconds_sum = 0;
  /// Write requests per durable commit (how well the group commit batches), likewise.
  static constexpr std::array<double, 8> commit_requests_le{1, 2, 4, 16, 64, 256, 1024, 4096};
  std::array<std::uint64_t, commit_requests_le.size() + 1> commit_requests_buckets{};
  std::uint64_t commit_requests_sum = 0;
};

/// How an entity was recovered: from which snapshot, or why none could be used.
struct recovery_report {
  bool used_snapshot = false;
  std::uint64_t snapshot_seq = 0;
  std::uint64_t events_replayed = 0;
  std::uint64_t last_seq = 0;
  std::string fallback_reason; ///< non-empty when a snapshot existed but failed to decode
};

} // namespace fp::journal
