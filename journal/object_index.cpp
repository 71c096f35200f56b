#include "journal/object_index.hpp"

#include "journal/lmdb_val.hpp"
#include "journal/record_format.hpp"
#include "journal/stream_index.hpp"

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <algorithm>

namespace fp::journal {

namespace {

constexpr std::size_t path_len_bytes = 2, path_sum_bytes = 8;

std::uint64_t path_sum(std::string_view path, std::uint64_t seq) {
  return XXH3_64bits_withSeed(path.data(), path.size(), seq);
}

} // namespace

std::string encode_log_value(std::string_view path, std::uint64_t seq, std::string_view entry) {
  std::string out(path_len_bytes, '\0');
  format::put_le<std::uint16_t>(out, 0, static_cast<std::uint16_t>(path.size()));
  out.append(path);
  out.append(path_sum_bytes, '\0');
  format::put_le<std::uint64_t>(out, path_len_bytes + path.size(), path_sum(path, seq));
  out.append(entry);
  return out;
}

bool decode_log_value(std::string_view value, std::uint64_t seq, std::string_view& path,
                      std::string_view& entry) {
  if (value.size() < path_len_bytes)
    return false;
  std::size_t n = format::get_le<std::uint16_t>(value, 0);
  if (n == 0 || path_len_bytes + n + path_sum_bytes > value.size())
    return false;
  auto p = value.substr(path_len_bytes, n);
  if (format::get_le<std::uint64_t>(value, path_len_bytes + n) != path_sum(p, seq))
    return false;
  path = p;
  entry = value.substr(path_len_bytes + n + path_sum_bytes);
  return true;
}

int object_index::catch_up(MDB_txn* txn, MDB_dbi log, MDB_dbi meta) {
  std::uint64_t through = 0;
  if (auto rc = read_watermark(txn, meta, objects_indexed_through_key, through); rc != 0)
    return rc;
  std::lock_guard guard{mu_};
  if (through > through_seen_) { // a read-only reader: another process flushed these
    std::erase_if(delta_, [&](const auto& e) { return e.second <= through; });
    through_seen_ = through;
  }
  auto from = std::max(last_seen_, through) + 1;
  scoped_cursor cursor_guard;
  if (auto rc = cursor_guard.open(txn, log); rc != 0)
    return rc;
  MDB_cursor* cur = cursor_guard.c;
  auto start = format::u64be(from);
  MDB_val key = as_val(start), val;
  int rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  for (; rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    if (key.mv_size != 8) {
      rc = MDB_CORRUPTED;
      break;
    }
    auto seq = format::read_u64be(as_view(key));
    std::string_view path, entry;
    if (decode_log_value(as_view(val), seq, path, entry)) {
      delta_.insert_or_assign(std::string(path), seq);
    } else {
      unattributed_.push_back(seq);
      any_unattributed_.store(true, std::memory_order_release);
    }
    last_seen_ = seq;
  }
  if (rc == MDB_NOTFOUND) {
    rc = 0;
    MDB_val k, v;
    int lrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (lrc == 0 && k.mv_size == 8)
      committed_next_ = format::read_u64be(as_view(k)) + 1;
    else if (lrc != 0 && lrc != MDB_NOTFOUND)
      rc = lrc;
    committed_next_ = std::max(committed_next_, through + 1);
    next_ = committed_next_;
  }
  return rc;
}

std::optional<std::uint64_t> object_index::find(std::string_view path) const {
  std::lock_guard guard{mu_};
  auto it = delta_.find(path);
  if (it == delta_.end())
    return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, std::uint64_t>>
object_index::range(std::string_view prefix) const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  {
    std::lock_guard guard{mu_};
    for (auto& [path, seq] : delta_)
      if (path.starts_with(prefix))
        out.emplace_back(path, seq);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::uint64_t> object_index::unattributed() const {
  std::lock_guard guard{mu_};
  return unattributed_;
}

std::size_t object_index::size() const {
  std::lock_guard guard{mu_};
  return delta_.size();
}

void object_index::begin_batch() {
  staged_.clear();
  staged_by_path_.clear();
  next_ = committed_next_;
  flush_next_ = flush_done_;
}

void object_index::roll_back(mark m) {
  while (staged_.size() > m.staged) {
    staged_by_path_.erase(staged_.back().first);
    staged_.pop_back();
  }
  next_ = m.next;
}

std::optional<std::uint64_t> object_index::find_for_write(std::string_view path) const {
  if (!staged_by_path_.empty())
    if (auto it = staged_by_path_.find(path); it != staged_by_path_.end())
      return it->second;
  // Only this thread changes the delta, so it reads it without the lock.
  auto it = delta_.find(path);
  if (it == delta_.end())
    return std::nullopt;
  return it->second;
}

std::uint64_t object_index::stage(std::string_view path) {
  auto seq = next_++;
  staged_.emplace_back(std::string(path), seq);
  staged_by_path_.emplace(std::string(path), seq);
  return seq;
}

int object_index::flush(MDB_txn* txn, MDB_dbi objects, MDB_dbi meta, std::size_t records,
                        std::size_t& written, bool& finished) {
  written = 0;
  finished = false;
  if (flushing_.empty()) {
    // Committed paths only: this attempt's staged ones may still be rolled back, and the
    // watermark must not pass a log entry the flush did not take.
    if (delta_.empty())
      return 0;
    flushing_.reserve(delta_.size());
    for (auto& [path, seq] : delta_)
      flushing_.emplace_back(path, seq);
    std::sort(flushing_.begin(), flushing_.end());
    flush_through_ = committed_next_ - 1;
    flush_done_ = flush_next_ = 0;
  }
  // Small enough to add little to any one commit, and at least twice what this commit adds,
  // so that a flush outruns the paths arriving while it runs.
  auto chunk =
      std::max<std::size_t>({1, (records + flush_chunks - 1) / flush_chunks, 2 * staged_.size()});
  auto end = std::min(flushing_.size(), flush_done_ + chunk);
  scoped_cursor cursor_guard;
  if (auto rc = cursor_guard.open(txn, objects); rc != 0)
    return rc;
  MDB_cursor* cur = cursor_guard.c;
  for (auto i = flush_done_; i < end; ++i) {
    auto& [path, seq] = flushing_[i];
    auto v = format::u64be(seq);
    MDB_val key = as_val(path), val = as_val(v);
    if (auto rc = mdb_cursor_put(cur, &key, &val, MDB_NOOVERWRITE); rc != 0) {
      // Written by a flush a crash cut short: the same seq again is fine. Anything else is
      // damage (write-once was checked when the object was written).
      bool same = rc == MDB_KEYEXIST && as_view(val) == std::string_view(v);
      if (!same)
        return rc == MDB_KEYEXIST ? MDB_CORRUPTED : rc;
    }
    ++written;
  }
  flush_next_ = end;
  if (end < flushing_.size())
    return 0;
  finished = true;
  auto through = format::u64be(flush_through_);
  MDB_val k = as_val(objects_indexed_through_key), v = as_val(through);
  return mdb_put(txn, meta, &k, &v, 0);
}

void object_index::committed(bool flushed, bool finished) {
  {
    std::lock_guard guard{mu_};
    if (finished)
      std::erase_if(delta_, [&](const auto& e) { return e.second <= flush_through_; });
    // No reserve() here: a reserve to the exact size picks the next prime bucket count, so
    // commits that each add a few paths rehash the whole delta every few commits (the paths'
    // hashes are not cached); growing on its own, the table doubles.
    for (auto& [path, seq] : staged_)
      delta_.insert_or_assign(std::move(path), seq);
    if (next_ > 1)
      last_seen_ = std::max(last_seen_, next_ - 1);
    if (finished)
      through_seen_ = std::max(through_seen_, flush_through_);
  }
  if (flushed)
    flush_done_ = flush_next_;
  if (finished) {
    std::vector<std::pair<std::string, std::uint64_t>>{}.swap(flushing_);
    flush_done_ = flush_next_ = 0;
  }
  staged_.clear();
  staged_by_path_.clear();
  committed_next_ = next_;
}

} // namespace fp::journal
