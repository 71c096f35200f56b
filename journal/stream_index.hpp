#pragma once

// Internal to journal/: the per-stream index `(persistence_id, seq) -> global seq`.
//
// Events are the truth and are written in global order, so a commit appends to one place.
// The per-stream index is a projection of them, kept current in memory (the delta) and written
// to the `streams` database in bulk every `index_flush_records` events, in the same
// transaction as that batch, together with the watermark `indexed_through` (every event up to
// it is in `streams`). Writing it per commit would dirty one B-tree leaf per stream touched:
// with 256 entities per commit that is ~1 MiB of pages for ~75 KiB of events.
//
// Readers combine `streams` as of their transaction with the delta entries above that
// transaction's watermark. The delta is copied before the transaction begins, so every
// entry committed before the read started is in one of the two.

#include <lmdb.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fp::journal {

struct index_entry {
  std::uint64_t seq = 0;
  std::uint64_t global = 0;
};

struct staged_entry {
  std::string pid;
  index_entry e;
};

class stream_index {
public:
  /// The `indexed_through` watermark as of `txn` (0 when nothing was flushed yet).
  static int indexed_through(MDB_txn* txn, MDB_dbi meta, std::uint64_t& out);

  /// Adds every event after the last one seen (or after the watermark) up to the end of `txn`
  /// to the delta. Used when opening, and by read-only readers before each read. A damaged
  /// record is indexed under the stream its header names, as that stream's next seq (reads of
  /// it then fail its checksum); one whose header cannot name a stream is remembered in
  /// `unattributed()`, and every per-stream read fails closed while it exists.
  int catch_up(MDB_txn* txn, MDB_dbi events, MDB_dbi meta,
               const std::function<std::uint64_t(std::string_view pid)>& flushed_head);

  /// Global seqs of damaged records that could not be attributed to a stream.
  std::vector<std::uint64_t> unattributed() const;

  std::vector<index_entry> delta_for(std::string_view pid) const;
  std::optional<std::uint64_t> delta_head(std::string_view pid) const;
  /// Persistence ids in the delta with their heads, sorted, filtered by prefix.
  std::vector<std::pair<std::string, std::uint64_t>> delta_heads(std::string_view prefix) const;
  /// Finds which stream owns `global` in the delta (for verification messages).
  bool find_owner(std::uint64_t global, std::string& pid, std::uint64_t& seq) const;
  std::size_t size() const;

  /// Writer: puts every delta entry plus `batch` into `streams` and sets the watermark.
  int flush(MDB_txn* txn, MDB_dbi streams, MDB_dbi meta, const std::vector<staged_entry>& batch,
            std::uint64_t through) const;
  /// Writer, after a commit: remember `batch`, or forget everything a flush wrote.
  void add(const std::vector<staged_entry>& batch);
  void clear_through(std::uint64_t through);

private:
  void drop_through_locked(std::uint64_t through);

  /// Lets the maps be searched with a string_view, without building a std::string.
  struct sv_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  template <class T>
  using by_pid = std::unordered_map<std::string, T, sv_hash, std::equal_to<>>;

  mutable std::mutex mu_;
  by_pid<std::vector<index_entry>> delta_;
  /// Heads of the streams the last flush wrote, so the next appends to them need no B-tree
  /// search; dropped at the following flush unless they were appended to again.
  by_pid<std::uint64_t> recent_heads_;
  std::size_t count_ = 0;
  std::uint64_t last_seen_ = 0; ///< highest global seq added to the delta
  std::vector<std::uint64_t> unattributed_;
};

} // namespace fp::journal
