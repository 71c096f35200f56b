#pragma once

// Internal to journal/: where objects are stored and how their paths are found.
//
// An object's entry is written to `object_log` under the next object seq (u64be keys put with
// MDB_APPEND), so the objects of a commit fill pages one after another. Its path is kept in
// memory (the delta) until a flush writes the delta to `objects` in bulk, path -> u64be seq.
// A flush begins in the batch that brings the delta to `options::object_index_flush_records`
// and is spread, in path order, over the next commits (`flush_chunks` of them, fewer when
// commits carry many objects); the last chunk sets the
// watermark `objects_indexed_through` (every log entry up to it is in `objects`), and only then
// does the delta let go of those paths. Until then a path may be in both, with the same seq
// (also after a crash in the middle of a flush: the next flush writes it again). Written per
// commit, each object would dirty its own `objects` leaf and the branch pages above it: receipts,
// whose paths are hashes, made most of an admission's commit that way.
//
// `objects` may also hold entries themselves (format 1 wrote them there); both are read.
//
// Readers look the path up in the delta before their read transaction begins: every object
// committed before the read began is then in the delta copy or in `objects` as of the
// transaction (the delta is emptied only after the flush that wrote it has committed).

#include <lmdb.h>

#include <atomic>
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

/// An `object_log` value: u16le path length, the path, u64le XXH3-64 of the path seeded with
/// the object seq, then the object entry (record_format.hpp).
std::string encode_log_value(std::string_view path, std::uint64_t seq, std::string_view entry);
/// Splits a log value; false when its lengths do not add up or its path fails the checksum.
bool decode_log_value(std::string_view value, std::uint64_t seq, std::string_view& path,
                      std::string_view& entry);
/// The meta key of the watermark.
inline constexpr std::string_view objects_indexed_through_key = "objects_indexed_through";

class object_index {
public:
  /// Adds the log entries after the last one seen (or after the watermark) up to the end of
  /// `txn` to the delta, and learns the next object seq. Used when opening, and by read-only
  /// readers before each read. A log entry whose path cannot be read is remembered in
  /// `unattributed()`: a path found nowhere may be that object, so such lookups fail closed.
  int catch_up(MDB_txn* txn, MDB_dbi log, MDB_dbi meta);

  /// The object seq the delta holds for `path`.
  std::optional<std::uint64_t> find(std::string_view path) const;
  /// The delta's paths starting with `prefix`, in path order, with their seqs.
  std::vector<std::pair<std::string, std::uint64_t>> range(std::string_view prefix) const;
  bool has_unattributed() const { return any_unattributed_.load(std::memory_order_acquire); }
  std::vector<std::uint64_t> unattributed() const;
  std::size_t size() const;

  // -- writer thread only ----------------------------------------------------------------------

  /// Starts a batch attempt: forgets what an earlier attempt staged.
  void begin_batch();
  /// What a nested transaction rolls back to when it aborts.
  struct mark {
    std::size_t staged = 0;
    std::uint64_t next = 0;
  };
  mark now() const { return {staged_.size(), next_}; }
  void roll_back(mark m);
  /// The seq of `path` among this attempt's staged objects, then the delta.
  std::optional<std::uint64_t> find_for_write(std::string_view path) const;
  /// Assigns the next seq to `path` (its log entry is put by the caller).
  std::uint64_t stage(std::string_view path);
  /// A flush is under way, or the paths held (delta and staged) reached `records`.
  bool flush_due(std::size_t records) const {
    return !flushing_.empty() || delta_.size() + staged_.size() >= records;
  }
  /// Writes the next chunk of a flush into `objects`: the first call of a flush takes the
  /// delta (committed paths only), sorted, and each commit then writes the next
  /// `ceil(records / flush_chunks)` of them in path order (or twice the paths the commit adds,
  /// if that is more), so no one commit carries them all.
  /// The chunk that ends the flush sets the watermark to the newest seq it took (`finished`).
  /// `written` is how many paths this call wrote.
  int flush(MDB_txn* txn, MDB_dbi objects, MDB_dbi meta, std::size_t records, std::size_t& written,
            bool& finished);
  /// After the commit: the staged paths join the delta; a chunk written (`flushed`) counts as
  /// done, and once the flush `finished`, the delta lets go of the paths it took.
  void committed(bool flushed, bool finished);
  /// The commits a flush is spread over.
  static constexpr std::size_t flush_chunks = 64;

private:
  /// Paths share long prefixes (`fraud-platform/{run}/ig/receipts/`): hashed, not ordered,
  /// so a lookup compares one path, not a dozen prefixes; `range` and `flush` sort.
  struct path_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using path_map = std::unordered_map<std::string, std::uint64_t, path_hash, std::equal_to<>>;
  mutable std::mutex mu_;
  path_map delta_;                   ///< changed under mu_
  std::uint64_t last_seen_ = 0;      ///< highest log seq caught up
  std::uint64_t through_seen_ = 0;   ///< the watermark as of the last catch-up
  std::uint64_t next_ = 1;           ///< writer: the next seq of this attempt
  std::uint64_t committed_next_ = 1; ///< writer: the next seq after the last commit
  std::vector<std::pair<std::string, std::uint64_t>> staged_; ///< writer: this attempt's
  path_map staged_by_path_;
  /// writer: the flush under way (the delta as it began, sorted), how far its committed chunks
  /// reach, how far this attempt's chunk reaches, and the watermark its last chunk sets.
  std::vector<std::pair<std::string, std::uint64_t>> flushing_;
  std::size_t flush_done_ = 0;
  std::size_t flush_next_ = 0;
  std::uint64_t flush_through_ = 0;
  std::vector<std::uint64_t> unattributed_;
  std::atomic<bool> any_unattributed_{false};
};

} // namespace fp::journal
