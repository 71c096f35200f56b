#include "journal/stream_index.hpp"

#include "journal/lmdb_val.hpp"
#include "journal/record_format.hpp"

#include <algorithm>
#include <system_error>

#include <xxhash.h>

namespace fp::journal {

int read_watermark(MDB_txn* txn, MDB_dbi meta, std::string_view key, std::uint64_t& out) {
  auto k = as_val(key);
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

int stream_index::indexed_through(MDB_txn* txn, MDB_dbi meta, std::uint64_t& out) {
  return read_watermark(txn, meta, format::indexed_through_key, out);
}

namespace {

/// Puts `cur` on the last key before `pid`'s end: `pid`'s last entry when it has one (the
/// caller checks the key's stream). MDB_NOTFOUND when `streams` has nothing there.
int seek_last_of(MDB_cursor* cur, std::string_view pid, MDB_val& key, MDB_val& val) {
  auto probe = format::stream_key(pid, UINT64_MAX);
  key = as_val(probe);
  auto rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  if (rc == 0)
    return mdb_cursor_get(cur, &key, &val, MDB_PREV);
  if (rc == MDB_NOTFOUND)
    return mdb_cursor_get(cur, &key, &val, MDB_LAST);
  return rc;
}

/// seek_last_of on `c`, opened on `streams`.
int open_at_last_of(scoped_cursor& c, MDB_txn* txn, MDB_dbi streams, std::string_view pid,
                    MDB_val& key, MDB_val& val) {
  if (auto rc = c.open(txn, streams); rc != 0)
    return rc;
  return seek_last_of(c.c, pid, key, val);
}

} // namespace

int stream_index::flushed_head(MDB_txn* txn, MDB_dbi streams, std::string_view pid,
                               std::uint64_t& head) {
  head = 0;
  scoped_cursor c;
  MDB_val key, val;
  auto rc = open_at_last_of(c, txn, streams, pid, key, val);
  if (rc == 0) {
    std::string_view found_pid;
    std::uint64_t seq = 0;
    if (format::parse_stream_key(as_view(key), found_pid, seq) && found_pid == pid) {
      auto n = format::run_length(val.mv_size);
      if (n == 0)
        return MDB_CORRUPTED;
      head = seq + n - 1;
    }
  }
  return rc == MDB_NOTFOUND ? 0 : rc;
}

namespace {

/// The seq of `pid`'s newest entry in `streams` as of `txn` whose global seq is below `global`
/// (0 when none). Entries above the watermark may be there (a flush in chunks writes them
/// before it moves the watermark), so the last run is not simply the head.
int flushed_seq_before(MDB_txn* txn, MDB_dbi streams, std::string_view pid, std::uint64_t global,
                       std::uint64_t& out) {
  out = 0;
  scoped_cursor c;
  MDB_val key, val;
  auto rc = open_at_last_of(c, txn, streams, pid, key, val);
  for (; rc == 0; rc = mdb_cursor_get(c.c, &key, &val, MDB_PREV)) {
    std::string_view found;
    std::uint64_t first = 0;
    auto n = format::run_length(val.mv_size);
    if (!format::parse_stream_key(as_view(key), found, first) || found != pid || n == 0)
      break;
    for (auto i = n; i-- > 0;)
      if (format::read_u64be(as_view(val).substr(8 * i, 8)) < global) {
        out = first + i;
        return 0;
      }
  }
  return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

} // namespace

std::uint64_t slot_table::hash(std::string_view pid) {
  return XXH3_64bits(pid.data(), pid.size());
}

stream_slot* slot_table::find(std::string_view pid, std::uint64_t h) const {
  if (buckets_.empty())
    return nullptr;
  auto mask = buckets_.size() - 1;
  for (auto i = h & mask;; i = (i + 1) & mask) {
    auto& b = buckets_[i];
    if (!b.slot)
      return nullptr;
    if (b.hash == h && b.slot->pid == pid)
      return b.slot.get();
  }
}

const stream_slot* slot_table::home_slot(std::uint64_t h) const {
  auto& b = buckets_[h & (buckets_.size() - 1)];
  return b.slot && b.hash == h ? b.slot.get() : nullptr;
}

std::uint64_t slot_table::load_bucket(std::uint64_t h) const {
  return buckets_.empty() ? 0 : buckets_[h & (buckets_.size() - 1)].hash;
}

std::uint64_t slot_table::load_slot(std::uint64_t h) const {
  auto* s = buckets_.empty() ? nullptr : home_slot(h);
  return s == nullptr ? 0 : s->head + s->pid.size() + s->delta.size();
}

std::uint64_t slot_table::load_pid(std::uint64_t h) const {
  auto* s = buckets_.empty() ? nullptr : home_slot(h);
  return s == nullptr || s->pid.empty() ? 0 : static_cast<unsigned char>(s->pid[0]);
}

void slot_table::place(bucket&& b) {
  auto mask = buckets_.size() - 1;
  auto i = b.hash & mask;
  while (buckets_[i].slot)
    i = (i + 1) & mask;
  buckets_[i] = std::move(b);
  ++size_;
}

stream_slot& slot_table::insert(std::string_view pid, std::uint64_t h) {
  if ((size_ + 1) * 2 > buckets_.size()) {
    std::vector<bucket> old(std::max<std::size_t>(64, buckets_.size() * 2));
    old.swap(buckets_);
    size_ = 0;
    for (auto& b : old)
      if (b.slot)
        place(std::move(b));
  }
  bucket b{h, std::make_unique<stream_slot>()};
  b.slot->pid.assign(pid);
  auto& ref = *b.slot;
  place(std::move(b));
  return ref;
}

bool slot_table::erase(const stream_slot* s) {
  if (buckets_.empty())
    return false;
  auto mask = buckets_.size() - 1;
  auto i = hash(s->pid) & mask;
  for (; buckets_[i].slot.get() != s; i = (i + 1) & mask)
    if (!buckets_[i].slot)
      return false;
  buckets_[i].slot.reset();
  // Backward shift: pull later members of the run into the hole when their home bucket is not
  // cyclically in (hole, their bucket], so every lookup still meets them before an empty one.
  for (auto j = (i + 1) & mask; buckets_[j].slot; j = (j + 1) & mask) {
    auto home = buckets_[j].hash & mask;
    bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (!stays) {
      buckets_[i] = std::move(buckets_[j]);
      i = j;
    }
  }
  buckets_[i] = bucket{};
  --size_;
  return true;
}

stream_slot& stream_index::slot_locked(std::string_view pid) {
  auto h = slot_table::hash(pid);
  if (auto* s = slots_.find(pid, h))
    return *s;
  return slots_.insert(pid, h);
}

int stream_index::catch_up(MDB_txn* txn, MDB_dbi events, MDB_dbi streams, MDB_dbi meta) {
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
      any_unattributed_.store(true, std::memory_order_release);
      last_seen_ = global;
      continue;
    }
    auto& s = slot_locked(pid);
    if (seq == 0) { // damaged: a stream's records are consecutive in global order
      std::uint64_t flushed = 0;
      if (s.delta.empty())
        (void)flushed_seq_before(txn, streams, pid, global, flushed);
      seq = (s.delta.empty() ? flushed : s.delta.back().seq) + 1;
    }
    s.delta.push_back({seq, global});
    s.head = std::max(s.head, seq);
    if (!s.dirty) {
      s.dirty = true;
      dirty_.push_back(&s);
    }
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

bool stream_index::has_unattributed() const {
  // Set under mu_ and never cleared: once seen, every later append fails closed.
  return any_unattributed_.load(std::memory_order_acquire);
}

std::vector<index_entry> stream_index::delta_for(std::string_view pid) const {
  std::lock_guard guard{mu_};
  auto* s = slots_.find(pid, slot_table::hash(pid));
  return s == nullptr ? std::vector<index_entry>{} : s->delta;
}

std::optional<std::uint64_t> stream_index::delta_head(std::string_view pid) const {
  std::lock_guard guard{mu_};
  auto* s = slots_.find(pid, slot_table::hash(pid));
  if (s == nullptr || s->head == 0)
    return std::nullopt;
  return s->head;
}

std::vector<std::pair<std::string, std::uint64_t>>
stream_index::delta_heads(std::string_view prefix) const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  {
    std::lock_guard guard{mu_};
    for (auto* s : dirty_)
      if (!s->delta.empty() && std::string_view(s->pid).starts_with(prefix))
        out.emplace_back(s->pid, s->delta.back().seq);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool stream_index::find_owner(std::uint64_t global, std::string& pid, std::uint64_t& seq) const {
  std::lock_guard guard{mu_};
  for (auto* s : dirty_)
    for (auto& e : s->delta)
      if (e.global == global) {
        pid = s->pid;
        seq = e.seq;
        return true;
      }
  return false;
}

std::size_t stream_index::size() const {
  std::lock_guard guard{mu_};
  return count_;
}

void stream_index::warm(const std::vector<std::uint64_t>& hashes) const {
  // Only the writer changes the map, so its own reads need no lock. Plain loads, not
  // __builtin_prefetch: on the machine this was measured on, software prefetches of these
  // scattered lines were dropped (the lookups' stalls stayed), while independent loads overlap
  // in the out-of-order core. `sink` keeps the compiler from dropping them.
  std::uint64_t sink = 0;
  for (auto h : hashes)
    sink += slots_.load_bucket(h);
  for (auto h : hashes)
    sink += slots_.load_slot(h);
  for (auto h : hashes)
    sink += slots_.load_pid(h);
  asm volatile("" : : "r"(sink));
}

stream_slot* stream_index::writer_slot(MDB_txn* txn, MDB_dbi streams, std::string_view pid,
                                       std::uint64_t h, int& rc) {
  rc = 0;
  // Only the writer changes the map, so its own lookups need no lock.
  if (auto* s = slots_.find(pid, h))
    return s;
  std::uint64_t head = 0;
  if (rc = flushed_head(txn, streams, pid, head); rc != 0)
    return nullptr;
  std::lock_guard guard{mu_};
  auto& s = slots_.insert(pid, h);
  s.head = head;
  s.touched = generation_;
  return &s;
}

bool stream_index::flush_due(std::size_t staged, std::size_t records, std::size_t per_stream,
                             std::size_t max_records) const {
  // Writer thread only, like flush(): it is the only one changing count_ and dirty_.
  if (flushing())
    return true;
  auto entries = count_ + staged;
  if (entries < records)
    return false;
  return entries >= max_records || entries >= per_stream * dirty_.size();
}

namespace {

/// The eight bytes of `pid` from `at` on, big-endian, zero past its end: ids that agree on
/// their first `at` bytes compare as these keys do whenever the keys differ (an id holds no
/// NUL, so a shorter id's zero padding is below any byte of a longer one).
std::uint64_t key_after(std::string_view pid, std::size_t at) {
  std::uint64_t k = 0;
  for (std::size_t i = 0; i < 8; ++i)
    k = (k << 8) | (at + i < pid.size() ? static_cast<unsigned char>(pid[at + i]) : 0u);
  return k;
}

std::size_t shared_prefix(std::string_view a, std::string_view b) {
  auto n = std::min(a.size(), b.size());
  return static_cast<std::size_t>(std::mismatch(a.begin(), a.begin() + n, b.begin()).first -
                                  a.begin());
}

} // namespace

static std::size_t sort_slots(std::vector<stream_slot*>& order, std::size_t prefix_hint) {
  // The ids of one entity type share a prefix ("counter/…"): compared whole, every comparison
  // walks it, two cache misses away (the slots and their ids). Sort instead by the eight bytes
  // past the prefix that the ids shared at the last flush, and compare whole ids only on ties.
  // Each id is checked against that prefix once; if one does not have it, the keys are made
  // again from the prefix all of them share.
  if (order.size() < 2)
    return prefix_hint;
  std::vector<std::pair<std::uint64_t, stream_slot*>> keyed;
  keyed.reserve(order.size());
  std::string_view first = order.front()->pid;
  auto prefix = std::min(prefix_hint, first.size());
  auto fill = [&] {
    keyed.clear();
    for (auto* s : order) {
      std::string_view pid = s->pid;
      if (pid.size() < prefix || pid.compare(0, prefix, first, 0, prefix) != 0)
        return false;
      keyed.emplace_back(key_after(pid, prefix), s);
    }
    return true;
  };
  if (!fill()) {
    for (auto* s : order)
      prefix = std::min(prefix, shared_prefix(first, s->pid));
    fill();
  }
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second->pid < b.second->pid;
  });
  for (std::size_t i = 0; i < keyed.size(); ++i)
    order[i] = keyed[i].second;
  // What every id shares is what the smallest and the largest share.
  return shared_prefix(order.front()->pid, order.back()->pid);
}

void stream_index::begin_batch() {
  flush_next_ = flush_done_;
}

bool stream_index::take_flush() {
  // The committed delta as it is now: every stream with entries, in key order, so that
  // neighbouring puts land on the same leaf pages. This attempt's entries are not in it (it
  // may still be rolled back); the watermark is the newest committed event.
  if (!flushing_.empty())
    return true;
  if (sorting_.valid()) {
    if (sorting_.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
      return false;
    auto [order, prefix] = sorting_.get();
    flushing_ = std::move(order);
    flush_prefix_ = prefix;
  } else {
    if (dirty_.empty())
      return false;
    std::vector<stream_slot*> order(dirty_.begin(), dirty_.end());
    sort_through_ = last_seen_;
    if (order.size() >= background_sort_streams) {
      // Sorting half a million ids took a tenth of a second: on another thread, while the
      // commits go on; the flush begins with the first commit after it is done. The slots
      // stay (they have entries, and no flush is under way to drop them). Without a thread
      // to be had, the sort runs here.
      try {
        auto task = [order, hint = flush_prefix_]() mutable {
          auto prefix = sort_slots(order, hint);
          return std::make_pair(std::move(order), prefix);
        };
        sorting_ = std::async(std::launch::async, std::move(task));
        return false;
      } catch (const std::system_error&) {
      }
    }
    flush_prefix_ = sort_slots(order, flush_prefix_);
    flushing_ = std::move(order);
  }
  flush_through_ = sort_through_;
  flush_done_ = flush_next_ = 0;
  return true;
}

int stream_index::flush(MDB_txn* txn, MDB_dbi streams, MDB_dbi meta, std::size_t staged,
                        std::size_t& written, bool& finished) {
  // Only the writer changes slots, so reading them here needs no lock.
  written = 0;
  finished = false;
  if (!take_flush())
    return 0;
  // Small enough to add little to any one commit, and at least twice the streams this commit
  // touches, so that a flush outruns the streams arriving while it runs.
  auto chunk =
      std::max<std::size_t>({1, (flushing_.size() + flush_chunks - 1) / flush_chunks, 2 * staged});
  auto end = std::min(flushing_.size(), flush_done_ + chunk);
  MDB_cursor* cur = nullptr;
  if (auto rc = mdb_cursor_open(txn, streams, &cur); rc != 0)
    return rc;
  std::string key, value;
  std::vector<index_entry> merged;
  auto put_runs = [&](const stream_slot& s) -> int {
    // The stream's last entry in `streams`: what it already holds (a flush that a crash cut
    // short may have written some of these entries; the same ones again are skipped, any
    // other value there is damage), and the run the new entries may extend.
    MDB_val k, v;
    int rc = seek_last_of(cur, s.pid, k, v);
    if (rc != 0 && rc != MDB_NOTFOUND)
      return rc;
    std::string_view kpid;
    std::uint64_t first = 0;
    std::size_t n = 0;
    if (rc == 0 && format::parse_stream_key(as_view(k), kpid, first) && kpid == s.pid) {
      n = format::run_length(v.mv_size);
      if (n == 0)
        return MDB_CORRUPTED;
    }
    std::size_t i = 0;
    for (; i < merged.size() && n > 0 && merged[i].seq < first + n; ++i) {
      // Already there: only the last run is checked (an earlier one would mean a flush wrote
      // more than a run of this stream and then stopped; verify checks every entry).
      if (merged[i].seq >= first &&
          format::read_u64be(as_view(v).substr(8 * (merged[i].seq - first), 8)) != merged[i].global)
        return MDB_KEYEXIST; // write-once: never a different global for a seq
    }
    if (i == merged.size())
      return 0;
    // Extend the stream's last run when it ends just before the first new seq: a stream
    // appended to a few events per flush then keeps one entry per 128 events, not one per
    // flush, so `streams` (and the pages a flush rewrites) stays small.
    if (n > 0 && n < format::max_index_run && first + n == merged[i].seq) {
      key.assign(as_view(k)); // copied: the put below moves the page's bytes
      value.assign(as_view(v));
      for (; i < merged.size() && n < format::max_index_run && merged[i].seq == first + n; ++i) {
        value += format::u64be(merged[i].global);
        ++n;
        ++written;
      }
      auto kv = as_val(key);
      auto gv = as_val(value);
      if (rc = mdb_cursor_put(cur, &kv, &gv, MDB_CURRENT); rc != 0)
        return rc;
    }
    // Then one entry per run of consecutive seqs (at most max_index_run).
    while (i < merged.size()) {
      auto run_first = merged[i].seq;
      value.clear();
      std::size_t m = 0;
      while (i < merged.size() && m < format::max_index_run && merged[i].seq == run_first + m) {
        value += format::u64be(merged[i].global);
        ++i;
        ++m;
      }
      written += m;
      key.assign(s.pid);
      key.push_back('\0');
      key += format::u64be(run_first);
      auto kv = as_val(key);
      auto gv = as_val(value);
      if (rc = mdb_cursor_put(cur, &kv, &gv, MDB_NOOVERWRITE); rc != 0)
        return rc;
    }
    return 0;
  };
  for (auto i = flush_done_; i < end; ++i) {
    auto* s = flushing_[i];
    // The entries the flush took: those up to its watermark (later ones wait for the next).
    merged.clear();
    for (auto& e : s->delta) {
      if (e.global > flush_through_)
        break;
      merged.push_back(e);
    }
    if (merged.empty())
      continue;
    if (auto rc = put_runs(*s); rc != 0) {
      mdb_cursor_close(cur);
      return rc;
    }
  }
  mdb_cursor_close(cur);
  flush_next_ = end;
  if (end < flushing_.size())
    return 0;
  finished = true;
  auto t = format::u64be(flush_through_);
  auto k = as_val(format::indexed_through_key);
  auto v = as_val(t);
  return mdb_put(txn, meta, &k, &v, 0);
}

void stream_index::committed(bool flushed, bool finished) {
  if (flushed)
    flush_done_ = flush_next_;
  if (finished) {
    std::lock_guard guard{mu_};
    drop_through_locked(flush_through_);
    ++generation_;
    // Beyond max_slots, the streams this flush wrote that nobody appended to since it began
    // are forgotten, a chunk per commit (freeing hundreds of thousands at once held the
    // writer for a fifth of a second).
    if (slots_.size() > max_slots_) {
      evicting_ = std::move(flushing_);
      evict_pos_ = 0;
    }
    std::vector<stream_slot*>{}.swap(flushing_);
    flush_done_ = flush_next_ = 0;
  }
  if (!evicting_.empty())
    evict_some();
}

void stream_index::evict_some() {
  std::lock_guard guard{mu_};
  if (slots_.size() > 4 * max_slots_) {
    // Far over (streams the flushes never took, say): all at once, as a backstop.
    std::vector<stream_slot*>{}.swap(evicting_);
    evict_pos_ = 0;
    evict_locked();
    return;
  }
  auto end = std::min(evicting_.size(), evict_pos_ + evict_chunk);
  for (; evict_pos_ < end && slots_.size() > max_slots_ / 2; ++evict_pos_) {
    auto* s = evicting_[evict_pos_];
    if (!s->dirty) // appended to since: it is in the delta, and stays
      slots_.erase(s);
  }
  if (evict_pos_ >= evicting_.size() || slots_.size() <= max_slots_ / 2) {
    std::vector<stream_slot*>{}.swap(evicting_);
    evict_pos_ = 0;
  }
}

void stream_index::add(const std::vector<staged_entry>& batch) {
  std::lock_guard guard{mu_};
  for (auto& b : batch) {
    auto& s = *b.slot;
    s.delta.push_back(b.e);
    s.head = b.e.seq;
    s.touched = generation_;
    if (!s.dirty) {
      s.dirty = true;
      dirty_.push_back(&s);
    }
    last_seen_ = std::max(last_seen_, b.e.global);
  }
  count_ += batch.size();
}

void stream_index::drop_through_locked(std::uint64_t through) {
  std::size_t kept = 0;
  for (auto* s : dirty_) {
    auto& v = s->delta;
    if (!v.empty() && v.back().global <= through) {
      count_ -= v.size();
      v.clear();
    } else {
      auto before = v.size();
      v.erase(std::remove_if(v.begin(), v.end(),
                             [&](const index_entry& e) { return e.global <= through; }),
              v.end());
      count_ -= before - v.size();
    }
    if (v.empty()) {
      s->dirty = false;
      if (v.capacity() > 8)
        std::vector<index_entry>().swap(v);
    } else {
      dirty_[kept++] = s;
    }
  }
  dirty_.resize(kept);
  last_seen_ = std::max(last_seen_, through);
}

void stream_index::evict_locked() {
  if (slots_.size() <= max_slots_)
    return;
  // Drop streams not appended to in the last two flush intervals first, then any without a
  // delta; all their entries are in `streams`, where a later append finds the head again.
  for (std::uint64_t age : {2u, 1u}) {
    auto excess = slots_.size() - max_slots_ / 2;
    slots_.erase_if([&](const stream_slot& s) {
      if (excess == 0 || s.dirty || s.touched + age > generation_)
        return false;
      --excess;
      return true;
    });
    if (slots_.size() <= max_slots_)
      return;
  }
}

} // namespace fp::journal
