#pragma once

#include "journal/errc.hpp"
#include "journal/tables.hpp"
#include "journal/types.hpp"
#include "schemas/expected.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fp::journal {

/// The node's append-only event journal: per-entity streams addressed by
/// `(persistence_id, seq)`, a gap-free global order, snapshots and the object store, all in
/// one LMDB environment (see FORMAT.md).
///
/// Writes go through one writer thread that group-commits: every request queued while the
/// previous commit was being fsynced shares the next transaction and its single fsync.
/// Callbacks run on the writer thread after the commit is durable; keep them short.
/// Reads run on the caller's thread in short read transactions, so a scan of a long stream
/// holds bounded memory and never blocks the writer.
class journal {
public:
  using append_callback = std::function<void(expected<append_result>)>;
  using ack_callback = std::function<void(expected<std::uint64_t>)>; ///< gets the commit id
  /// Return false to stop a scan early.
  using record_fn = std::function<bool(const record_view&)>;

  static expected<std::unique_ptr<journal>> open(options opts);

  /// Finishes every queued write, then closes the environment.
  ~journal();

  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  /// Appends `events` to `pid` if its head is `expected_seq` (0 for a new stream). The
  /// callback gets the result once the commit is durable, or `seq_conflict`, `too_large`,
  /// `map_full`, `io`, `closed`. Nothing of a failed request is written.
  void append_async(std::string pid, std::uint64_t expected_seq, std::vector<event_data> events,
                    append_callback done);

  /// Like `append_async`, and runs `with` in the same nested transaction as the events (after
  /// them), so the events and what `with` writes to tables commit together or not at all. If
  /// `with` fails, the append fails with its error and nothing of either is written.
  void append_async(std::string pid, std::uint64_t expected_seq, std::vector<event_data> events,
                    txn_fn with, append_callback done);

  /// Blocking form of `append_async`.
  expected<append_result> append(std::string pid, std::uint64_t expected_seq,
                                 std::vector<event_data> events);

  /// Stores a snapshot of `pid` as of `seq` (which must exist) and drops all but the newest
  /// `options::snapshots_keep`.
  void save_snapshot_async(std::string pid, std::uint64_t seq, event_data snapshot,
                           ack_callback done);
  expected<void> save_snapshot(std::string pid, std::uint64_t seq, event_data snapshot);

  // -- named tables (tables.hpp) ---------------------------------------------------------------

  /// Opens the named table, creating it unless the journal is read-only (then `not_found` when
  /// absent). Names: 1..64 bytes of [a-z0-9._-]; at most `max_tables` per journal.
  expected<table> open_table(std::string_view name);
  static constexpr std::size_t max_tables = 24;

  /// Runs `fn` on the writer thread in the next group commit, in its own nested transaction.
  /// `done` gets the commit id once that commit is durable, or `fn`'s own error (its writes
  /// rolled back, the rest of the batch unaffected), or the batch's error (`map_full`, `io`,
  /// `closed`). `done` runs on the writer thread.
  void transact_async(txn_fn fn, ack_callback done);
  /// Blocking form of `transact_async`.
  expected<std::uint64_t> transact(txn_fn fn);

  /// Calls `fn(key, value)` for the table's keys from `from` (inclusive) in key order while it
  /// returns true, in short read transactions of up to 4096 keys each (a long scan holds
  /// bounded memory and never blocks the writer; it sees commits that happen meanwhile).
  /// Returns how many were delivered.
  expected<std::uint64_t>
  read_table(const table& t, std::string_view from,
             const std::function<bool(std::string_view key, std::string_view value)>& fn) const;
  /// The value at `key`, or nullopt.
  expected<std::optional<std::string>> get_table(const table& t, std::string_view key) const;

  /// The last seq of `pid`, 0 when it has no events.
  expected<std::uint64_t> head_seq(std::string_view pid) const;

  /// Streams the events of `pid` with seq >= `from_seq` in order. Returns how many were
  /// delivered. A record that fails its checksum stops the scan with `corrupt`.
  expected<std::uint64_t> read_entity(std::string_view pid, std::uint64_t from_seq,
                                      const record_fn& fn) const;

  /// Streams up to `limit` events in global order from global seq `from` (1-based). Returns
  /// the global seq to resume from.
  expected<std::uint64_t> read_global(std::uint64_t from, std::uint64_t limit,
                                      const record_fn& fn) const;

  /// Calls `fn` with the newest snapshot of `pid`, then older ones while `fn` returns false
  /// (a snapshot it could not decode). Returns whether `fn` accepted one.
  expected<bool> read_snapshots(std::string_view pid, const record_fn& fn) const;

  /// Newest usable snapshot, then the events after it. `decode_snapshot` returns false when
  /// the bytes do not decode; then older snapshots are tried and finally a full replay, and
  /// the report says why.
  expected<recovery_report> recover(std::string_view pid, const record_fn& decode_snapshot,
                                    const record_fn& apply_event) const;

  /// Every persistence id starting with `prefix`, with its head seq, in byte order, from
  /// `after` (exclusive).
  expected<std::uint64_t>
  list_streams(const std::function<bool(std::string_view pid, std::uint64_t head)>& fn,
               std::string_view after = {}, std::string_view prefix = {}) const;

  /// Every snapshot record of every stream, in key order (for verification tools).
  expected<std::uint64_t> read_all_snapshots(const record_fn& fn) const;

  journal_stats stats() const;
  /// The LMDB environment flags in force (tests assert no sync-weakening flag is set).
  unsigned env_flags() const;
  const options& opts() const;

  struct impl;
  impl& internals() const { return *impl_; }

private:
  explicit journal(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace fp::journal
