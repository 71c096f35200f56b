#pragma once

// Internal to journal/: the per-stream index `(persistence_id, seq) -> global seq`.
//
// Events are the truth and are written in global order, so a commit appends to one place.
// The per-stream index is a projection of them, kept current in memory (the delta) and written
// to the `streams` database in bulk (a flush, see flush_due), a slice of its streams per commit
// from the batch that triggers it on; the slice that ends it sets the watermark
// `indexed_through` (every event up to it is in `streams`). Writing it per commit would dirty
// one B-tree leaf per stream touched: with 256 entities per commit that is ~1 MiB of pages for
// ~75 KiB of events. For the same reason a flush waits until the streams it holds have several
// entries each.
//
// Readers combine `streams` as of their transaction with the delta entries above that
// transaction's watermark, a stream's entries from `streams` first and then the delta's with
// later seqs (a flush under way has put some above the watermark; the delta keeps them until
// it ends). The delta is copied before the transaction begins, so every entry committed
// before the read started is in one of the two.
//
// Each stream the writer has seen has one slot: its head, its delta entries and the writer's
// per-batch scratch, found by one hash lookup per append. Slots of streams that are neither in
// the delta nor recently appended to are dropped at a flush once there are more than
// `max_slots`; their heads are then found in `streams` again.

#include <lmdb.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fp::journal {

/// A u64be watermark in `meta` under `key` as of `txn` (0 when absent); MDB_CORRUPTED when
/// its value is not 8 bytes.
int read_watermark(MDB_txn* txn, MDB_dbi meta, std::string_view key, std::uint64_t& out);

struct index_entry {
  std::uint64_t seq = 0;
  std::uint64_t global = 0;
};

/// One stream the index knows. `pid` and the map entry are changed under the index's lock; the
/// writer's scratch fields (`batch`, `batch_head`) only by the writer thread.
struct stream_slot {
  // What an append reads (the lookup's compare, then the head and the batch fields) first,
  // together; what the index's bookkeeping reads after the commit, behind them.
  std::string pid;
  std::uint64_t head = 0;         ///< newest committed seq (the writer's is exact)
  std::uint64_t batch = 0;        ///< writer: the batch attempt `batch_head` belongs to
  std::uint64_t batch_head = 0;   ///< writer: head including that attempt's appends
  std::vector<index_entry> delta; ///< committed, not yet in `streams`, in seq order
  std::uint64_t touched = 0;      ///< flush generation of its last append
  bool dirty = false;             ///< listed in the index's streams with a delta
};

/// The slots by persistence id: open addressing with linear probing over (hash, slot) pairs,
/// at most half full. A lookup reads one bucket and the slot it names (a node-based map reads
/// about twice as many cache lines, which dominates once the streams outgrow the caches).
class slot_table {
public:
  static std::uint64_t hash(std::string_view pid);
  stream_slot* find(std::string_view pid, std::uint64_t h) const;
  /// Loads what a later `find(…, h)` reads, in stages: the bucket, then (once the bucket is
  /// in cache) the slot it names, then the slot's persistence id. Run for a whole batch stage
  /// by stage, the lookups' cache misses overlap instead of following each other. Each returns
  /// a value only so that the load is kept.
  std::uint64_t load_bucket(std::uint64_t h) const;
  std::uint64_t load_slot(std::uint64_t h) const;
  std::uint64_t load_pid(std::uint64_t h) const;
  /// Adds a slot for `pid`, which must not be in the table.
  stream_slot& insert(std::string_view pid, std::uint64_t h);
  /// Drops the slot `s` (destroying it); false when it is not in the table.
  bool erase(const stream_slot* s);
  /// Drops the slots for which `drop` is true.
  template <class Pred>
  void erase_if(Pred drop) {
    std::vector<bucket> old;
    old.swap(buckets_);
    buckets_.resize(old.size());
    size_ = 0;
    for (auto& b : old)
      if (b.slot && !drop(*b.slot))
        place(std::move(b));
  }
  std::size_t size() const { return size_; }

private:
  struct bucket {
    std::uint64_t hash = 0;
    std::unique_ptr<stream_slot> slot;
  };
  void place(bucket&& b);
  /// The slot in `h`'s first bucket when it is `h`'s (buckets_ must not be empty).
  const stream_slot* home_slot(std::uint64_t h) const;
  std::vector<bucket> buckets_;
  std::size_t size_ = 0;
};

struct staged_entry {
  stream_slot* slot = nullptr;
  index_entry e;
};

class stream_index {
public:
  /// The `indexed_through` watermark as of `txn` (0 when nothing was flushed yet).
  static int indexed_through(MDB_txn* txn, MDB_dbi meta, std::uint64_t& out);
  /// The head of `pid` in `streams` as of `txn` (0 when it has no entry there).
  static int flushed_head(MDB_txn* txn, MDB_dbi streams, std::string_view pid, std::uint64_t& head);

  /// Adds every event after the last one seen (or after the watermark) up to the end of `txn`
  /// to the delta. Used when opening, and by read-only readers before each read. A damaged
  /// record is indexed under the stream its header names, as that stream's next seq (reads of
  /// it then fail its checksum); one whose header cannot name a stream is remembered in
  /// `unattributed()`, and every per-stream read fails closed while it exists.
  int catch_up(MDB_txn* txn, MDB_dbi events, MDB_dbi streams, MDB_dbi meta);

  /// Global seqs of damaged records that could not be attributed to a stream.
  std::vector<std::uint64_t> unattributed() const;
  bool has_unattributed() const;

  std::vector<index_entry> delta_for(std::string_view pid) const;
  std::optional<std::uint64_t> delta_head(std::string_view pid) const;
  /// Persistence ids in the delta with their heads, sorted, filtered by prefix.
  std::vector<std::pair<std::string, std::uint64_t>> delta_heads(std::string_view prefix) const;
  /// Finds which stream owns `global` in the delta (for verification messages).
  bool find_owner(std::uint64_t global, std::string& pid, std::uint64_t& seq) const;
  std::size_t size() const;

  /// Writer: the slot of `pid`, whose `slot_table::hash` is `h`; a new one takes its head from
  /// `streams` as of `txn` (the delta has nothing of a stream without a slot). Null with `rc`
  /// set on an LMDB failure.
  stream_slot* writer_slot(MDB_txn* txn, MDB_dbi streams, std::string_view pid, std::uint64_t h,
                           int& rc);
  /// Writer: brings the slots of the streams hashed in `hashes` into cache (see slot_table).
  void warm(const std::vector<std::uint64_t>& hashes) const;
  /// Writer: whether the batch staging `staged` entries should flush: a flush is under way, or
  /// the delta plus the batch hold at least `records` entries and `per_stream` per stream in
  /// the delta, or `max_records`.
  bool flush_due(std::size_t staged, std::size_t records, std::size_t per_stream,
                 std::size_t max_records) const;
  /// Writer: starts a batch attempt (a flush's chunk of an earlier attempt is forgotten).
  void begin_batch();
  /// Writer: a flush is under way (or its streams are being sorted).
  bool flushing() const { return !flushing_.empty() || sorting_.valid(); }
  /// Writer: writes the next chunk of a flush into `streams`. The first call of a flush takes
  /// the committed delta's streams, sorted by id, and the newest committed event as its
  /// watermark; each commit then writes the entries up to that watermark of the next
  /// `ceil(streams / flush_chunks)` streams (or twice the entries the commit adds, `staged`,
  /// if that is more), so no one commit carries them all. A stream's new entries first extend
  /// its last run there (up to `max_index_run`); entries already there (a flush a crash cut
  /// short) are skipped. The chunk that ends the flush sets `indexed_through` (`finished`).
  /// `written` is how many entries this call wrote.
  int flush(MDB_txn* txn, MDB_dbi streams, MDB_dbi meta, std::size_t staged, std::size_t& written,
            bool& finished);
  /// Writer, after the commit: a chunk written (`flushed`) counts as done; once the flush
  /// `finished`, the delta lets go of what it took. Then, beyond `max_slots`, the next chunk of
  /// the finished flush's streams not appended to since are forgotten.
  void committed(bool flushed, bool finished);
  /// Writer, after a commit: the batch's entries join the delta.
  void add(const std::vector<staged_entry>& batch);
  /// The commits a flush is spread over.
  static constexpr std::size_t flush_chunks = 64;

  /// Slots kept beyond the delta's (their streams' heads need no B-tree search).
  void set_max_slots(std::size_t n) { max_slots_ = n; }

private:
  stream_slot& slot_locked(std::string_view pid);
  void drop_through_locked(std::uint64_t through);
  void evict_locked();
  void evict_some(); ///< writer: the next chunk of `evicting_`
  /// Writer: whether a flush is under way, starting one (or its sort) from the delta if not.
  bool take_flush();

  mutable std::mutex mu_;
  slot_table slots_;
  std::vector<stream_slot*> dirty_; ///< slots with a non-empty delta
  std::size_t count_ = 0;           ///< delta entries
  std::uint64_t last_seen_ = 0;     ///< highest global seq added to the delta
  std::uint64_t generation_ = 1;    ///< flushes so far, plus one
  std::size_t max_slots_ = 1u << 18;
  std::vector<std::uint64_t> unattributed_;
  std::atomic<bool> any_unattributed_{false}; ///< !unattributed_.empty(), read without mu_
  /// Writer: the flush under way (its streams, sorted; their slots stay until it ends), how far
  /// its committed chunks reach, how far this attempt's chunk reaches, and its watermark.
  std::vector<stream_slot*> flushing_;
  std::size_t flush_done_ = 0;
  std::size_t flush_next_ = 0;
  std::uint64_t flush_through_ = 0;
  /// Writer: streams of the last finished flush that may be forgotten, and how far it got.
  std::vector<stream_slot*> evicting_;
  std::size_t evict_pos_ = 0;
  static constexpr std::size_t evict_chunk = 8192;
  /// Writer: a flush's streams being sorted on another thread (from this many on), and the
  /// watermark that flush will set. After the slots, so it is destroyed (joined) before them.
  static constexpr std::size_t background_sort_streams = 16384;
  std::uint64_t sort_through_ = 0;
  std::future<std::pair<std::vector<stream_slot*>, std::size_t>> sorting_;
  /// Writer: bytes every id shared at the last flush (none yet: learnt at the first).
  std::size_t flush_prefix_ = std::numeric_limits<std::size_t>::max();
};

} // namespace fp::journal
