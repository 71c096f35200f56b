#include "journal/stream_index.hpp"

#include "journal/lmdb_val.hpp"
#include "journal/record_format.hpp"

#include <algorithm>

namespace fp::journal {

int stream_index::indexed_through(MDB_txn* txn, MDB_dbi meta, std::uint64_t& out) {
  auto k = as_val(format::indexed_through_key);
  MDB_val v;
  out = 0;
  auto rc = mdb_get(txn, meta, &k, &v);
  if (rc == MDB_NOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  if (v.mv_size != 8)
    return MDB_CORRUPTED;
  out = format::read_u64be(as_view(v));
  return 0;
}

int stream_index::catch_up(MDB_txn* txn, MDB_dbi events, MDB_dbi meta,
                           const std::function<std::uint64_t(std::string_view)>& flushed_head) {
  std::uint64_t through = 0;
  if (auto rc = indexed_through(txn, meta, through); rc != 0)
    return rc;
  std::lock_guard guard{mu_};
  auto from = std::max(last_seen_, through) + 1;
  MDB_cursor* cur = nullptr;
  if (auto rc = mdb_cursor_open(txn, events, &cur); rc != 0)
    return rc;
  auto start = format::u64be(from);
  MDB_val key = as_val(start), val;
  int rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  for (; rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    if (key.mv_size != 8)
      continue;
    auto global = format::read_u64be(as_view(key));
    record_view r;
    std::string_view pid;
    std::uint64_t seq = 0;
    if (format::decode(as_view(val), r) == format::decode_status::ok) {
      pid = r.persistence_id;
      seq = r.seq;
    } else if (!format::stream_of(as_view(val), pid)) {
      unattributed_.push_back(global);
      last_seen_ = global;
      continue;
    }
    auto& v = delta_[std::string(pid)];
    if (seq == 0) // damaged: a stream's records are consecutive in global order
      seq = (v.empty() ? flushed_head(pid) : v.back().seq) + 1;
    v.push_back({seq, global});
    ++count_;
    last_seen_ = global;
  }
  mdb_cursor_close(cur);
  if (rc != 0 && rc != MDB_NOTFOUND)
    return rc;
  // Entries at or below the watermark are in `streams` now (a writer in another process
  // flushed them): keep only what `streams` does not have.
  drop_through_locked(through);
  return 0;
}

std::vector<std::uint64_t> stream_index::unattributed() const {
  std::lock_guard guard{mu_};
  return unattributed_;
}

std::vector<index_entry> stream_index::delta_for(std::string_view pid) const {
  std::lock_guard guard{mu_};
  auto it = delta_.find(pid);
  return it == delta_.end() ? std::vector<index_entry>{} : it->second;
}

std::optional<std::uint64_t> stream_index::delta_head(std::string_view pid) const {
  std::lock_guard guard{mu_};
  auto it = delta_.find(pid);
  if (it != delta_.end() && !it->second.empty())
    return it->second.back().seq;
  if (auto r = recent_heads_.find(pid); r != recent_heads_.end())
    return r->second;
  return std::nullopt;
}

std::vector<std::pair<std::string, std::uint64_t>>
stream_index::delta_heads(std::string_view prefix) const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  {
    std::lock_guard guard{mu_};
    for (auto& [pid, v] : delta_)
      if (!v.empty() && std::string_view(pid).starts_with(prefix))
        out.emplace_back(pid, v.back().seq);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool stream_index::find_owner(std::uint64_t global, std::string& pid, std::uint64_t& seq) const {
  std::lock_guard guard{mu_};
  for (auto& [p, v] : delta_)
    for (auto& e : v)
      if (e.global == global) {
        pid = p;
        seq = e.seq;
        return true;
      }
  return false;
}

std::size_t stream_index::size() const {
  std::lock_guard guard{mu_};
  return count_;
}

int stream_index::flush(MDB_txn* txn, MDB_dbi streams, MDB_dbi meta,
                        const std::vector<staged_entry>& batch, std::uint64_t through) const {
  // Group by stream (each stream's entries are already in seq order), then put the streams in
  // key order, so neighbouring puts land on the same leaf pages.
  std::lock_guard guard{mu_};
  by_pid<std::vector<index_entry>> from_batch;
  for (auto& s : batch)
    from_batch[s.pid].push_back(s.e);
  std::vector<std::string_view> pids;
  pids.reserve(delta_.size() + from_batch.size());
  for (auto& [pid, v] : delta_)
    pids.push_back(pid);
  for (auto& [pid, v] : from_batch)
    if (!delta_.contains(pid))
      pids.push_back(pid);
  std::sort(pids.begin(), pids.end());
  MDB_cursor* cur = nullptr;
  if (auto rc = mdb_cursor_open(txn, streams, &cur); rc != 0)
    return rc;
  std::string key, value;
  std::vector<index_entry> merged;
  // One entry per run of consecutive seqs (at most max_index_run): a stream with k new events
  // costs k/128 puts instead of k.
  auto put_all = [&](std::string_view pid) {
    for (std::size_t i = 0; i < merged.size();) {
      auto first = merged[i].seq;
      value.clear();
      std::size_t n = 0;
      while (i < merged.size() && n < format::max_index_run && merged[i].seq == first + n) {
        value += format::u64be(merged[i].global);
        ++i;
        ++n;
      }
      key.assign(pid);
      key.push_back('\0');
      key += format::u64be(first);
      auto kv = as_val(key);
      auto gv = as_val(value);
      if (auto rc = mdb_cursor_put(cur, &kv, &gv, MDB_NOOVERWRITE); rc != 0)
        return rc;
    }
    return 0;
  };
  for (auto pid : pids) {
    merged.clear();
    if (auto it = delta_.find(pid); it != delta_.end())
      merged = it->second;
    if (auto it = from_batch.find(pid); it != from_batch.end())
      merged.insert(merged.end(), it->second.begin(), it->second.end());
    if (auto rc = put_all(pid); rc != 0) {
      mdb_cursor_close(cur);
      return rc;
    }
  }
  mdb_cursor_close(cur);
  auto t = format::u64be(through);
  auto k = as_val(format::indexed_through_key);
  auto v = as_val(t);
  return mdb_put(txn, meta, &k, &v, 0);
}

void stream_index::add(const std::vector<staged_entry>& batch) {
  std::lock_guard guard{mu_};
  for (auto& s : batch) {
    auto it = delta_.find(std::string_view(s.pid));
    if (it == delta_.end())
      it = delta_.emplace(s.pid, std::vector<index_entry>{}).first;
    it->second.push_back(s.e);
    last_seen_ = std::max(last_seen_, s.e.global);
  }
  count_ += batch.size();
}

void stream_index::clear_through(std::uint64_t through) {
  std::lock_guard guard{mu_};
  recent_heads_.clear();
  for (auto& [pid, v] : delta_)
    if (!v.empty())
      recent_heads_[pid] = v.back().seq;
  drop_through_locked(through);
}

void stream_index::drop_through_locked(std::uint64_t through) {
  for (auto it = delta_.begin(); it != delta_.end();) {
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&](const index_entry& e) { return e.global <= through; }),
            v.end());
    it = v.empty() ? delta_.erase(it) : std::next(it);
  }
  count_ = 0;
  for (auto& [pid, v] : delta_)
    count_ += v.size();
  last_seen_ = std::max(last_seen_, through);
}

} // namespace fp::journal
