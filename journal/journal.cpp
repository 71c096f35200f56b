#include "journal/journal.hpp"

#include "journal/journal_impl.hpp"
#include "journal/lmdb_val.hpp"
#include "journal/record_format.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <future>
#include <sys/file.h>
#include <system_error>
#include <unistd.h>
#include <unordered_map>

namespace fp::journal {

namespace {

std::int64_t now_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

/// Checks what can be checked without the database, so that a bad request never reaches
/// (and never fails) a shared commit.
expected<void> validate_event(const options& o, std::string_view pid, const event_data& e) {
  if (e.event_type.empty() || e.event_type.size() > format::max_type_bytes)
    return error{errc::invalid_argument, "journal: append \"" + std::string(pid) +
                                             "\": event_type must be 1.." +
                                             std::to_string(format::max_type_bytes) + " bytes"};
  auto size = format::header_size + pid.size() + e.event_type.size() + o.writer_id.size() +
              e.payload.size();
  if (size > o.max_record_bytes)
    return error{errc::too_large, "journal: append \"" + std::string(pid) + "\": record of " +
                                      std::to_string(size) + " bytes exceeds max_record_bytes " +
                                      std::to_string(o.max_record_bytes)};
  return {};
}

expected<void> validate_pid(std::string_view pid) {
  if (pid.find('\0') != std::string_view::npos)
    return error{errc::invalid_argument, "journal: persistence_id must not contain NUL bytes"};
  if (pid.empty() || pid.size() > format::max_pid_bytes)
    return error{errc::invalid_argument, "journal: persistence_id must be 1.." +
                                             std::to_string(format::max_pid_bytes) +
                                             " bytes, got " + std::to_string(pid.size())};
  return {};
}

/// Thrown inside a batch to abort its transaction; never leaves this file.
struct batch_abort {
  int rc;
  std::string what;
};

void put_or_abort(MDB_txn* txn, MDB_dbi dbi, std::string_view key, std::string_view value,
                  unsigned flags, const char* what) {
  auto k = as_val(key);
  auto v = as_val(value);
  if (auto rc = mdb_put(txn, dbi, &k, &v, flags); rc != 0)
    throw batch_abort{rc, what};
}

/// Thrown when a table function run straight in the batch's transaction refuses: the batch
/// is written again with each table function in a nested transaction of its own.
struct inline_refused {};

/// Runs `fn` straight in the batch's transaction `txn`: no nested transaction to begin, copy
/// pages into and merge back, which is most of what a small table write costs. A refusal
/// cannot be rolled back alone here, so it throws `inline_refused` (the batch is retried with
/// `run_nested`, and then only the refusing request fails). A fatal error is thrown as in
/// `run_nested`.
void run_inline(MDB_txn* txn, const txn_fn& fn) {
  txn_context ctx{txn};
  bool ok = false;
  try {
    ok = fn(ctx).has_value();
  } catch (const std::exception&) {
  }
  if (ctx.fatal() != 0)
    throw batch_abort{ctx.fatal(), "write table"};
  if (!ok)
    throw inline_refused{};
}

/// Runs `fn` in the nested transaction `child` and ends it: committed into the parent when
/// `fn` succeeds, aborted (its writes rolled back) when it fails. A failure that must abort
/// the whole batch (the map is full) is thrown.
/// Objects `fn` wrote (object_store::stage) are forgotten with its writes.
expected<void> run_nested(MDB_txn* child, const txn_fn& fn, object_index& objects) {
  txn_context ctx{child};
  auto mark = objects.now();
  expected<void> ok = error{errc::io, "journal: table function threw"};
  try {
    ok = fn(ctx);
  } catch (const std::exception& x) {
    ok = error{errc::io, std::string("journal: table function threw: ") + x.what()};
  }
  if (ctx.fatal() != 0) {
    mdb_txn_abort(child);
    throw batch_abort{ctx.fatal(), "write table"};
  }
  if (!ok) {
    mdb_txn_abort(child);
    objects.roll_back(mark);
    return ok;
  }
  if (auto rc = mdb_txn_commit(child); rc != 0)
    throw batch_abort{rc, "commit nested transaction"};
  return {};
}

} // namespace

error lmdb_error(int rc, std::string_view what) {
  auto msg = "journal: " + std::string(what) + ": " + mdb_strerror(rc);
  if (rc == MDB_MAP_FULL)
    return error{errc::map_full, std::move(msg)};
  if (rc == MDB_NOTFOUND)
    return error{errc::not_found, std::move(msg)};
  if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID)
    return error{errc::corrupt, std::move(msg)};
  if (rc == EACCES || rc == EROFS)
    return error{errc::read_only, std::move(msg)};
  return error{errc::io, std::move(msg)};
}

// -- read transactions ------------------------------------------------------------------------

read_txn::read_txn(const journal::impl& j)
    : lock_(j.resize_mu) {
  rc_ = mdb_txn_begin(j.env, nullptr, MDB_RDONLY, &txn_);
  if (rc_ == MDB_MAP_RESIZED) {
    // Another process grew the map. Remapping moves the map under every open transaction of
    // this process, so it happens under the exclusive lock, with no reader active.
    lock_.unlock();
    {
      std::unique_lock exclusive{j.resize_mu};
      mdb_env_set_mapsize(j.env, 0);
    }
    lock_.lock();
    rc_ = mdb_txn_begin(j.env, nullptr, MDB_RDONLY, &txn_);
  }
  if (rc_ != 0)
    txn_ = nullptr;
}

read_txn::~read_txn() {
  if (txn_ != nullptr)
    mdb_txn_abort(txn_);
}

int head_in_txn(const journal::impl& j, MDB_txn* txn, std::string_view pid, std::uint64_t& head) {
  // In the writer the in-memory index is never behind `streams`: when it knows the stream, it
  // has the head. A read-only process's index may be older than `streams` as of `txn`.
  auto d = j.index.delta_head(pid);
  if (d && !j.opts.read_only) {
    head = *d;
    return 0;
  }
  if (auto rc = stream_index::flushed_head(txn, j.streams, pid, head); rc != 0)
    return rc;
  if (d && *d > head)
    head = *d;
  return 0;
}

/// Per-stream reads fail closed while a damaged record cannot be attributed to a stream.
expected<void> check_attributable(const journal::impl& j) {
  auto bad = j.index.unattributed();
  if (bad.empty())
    return {};
  return error{errc::corrupt, "journal: the event at global seq " + std::to_string(bad.front()) +
                                  " is damaged and names no stream; per-stream reads are "
                                  "refused until it is repaired (fp replay verify)"};
}

void journal::impl::refresh() const {
  if (!opts.read_only)
    return;
  read_txn txn{*this};
  if (txn.rc() != 0)
    return;
  const_cast<stream_index&>(index).catch_up(txn.get(), events, streams, meta);
  if (has_object_log)
    const_cast<object_index&>(objidx).catch_up(txn.get(), object_log, meta);
}

// -- open / close -----------------------------------------------------------------------------

journal::journal(std::unique_ptr<impl> p)
    : impl_(std::move(p)) {}

journal::~journal() = default;

journal::impl::~impl() {
  {
    std::lock_guard guard{queue_mu};
    stopping = true;
  }
  queue_cv.notify_all();
  if (writer.joinable())
    writer.join();
  if (env != nullptr)
    mdb_env_close(env);
  if (writer_lock_fd >= 0)
    ::close(writer_lock_fd); // releases the flock
}

expected<std::unique_ptr<journal>> journal::open(options opts) {
  auto p = std::make_unique<impl>();
  p->opts = std::move(opts);
  auto& o = p->opts;
  if (o.writer_id.size() > format::max_writer_bytes)
    return error{errc::invalid_argument, "journal: writer_id longer than 255 bytes"};
  std::error_code ec;
  const auto data_file = o.dir / "data.mdb";
  if (!o.read_only) {
    std::filesystem::create_directories(o.dir, ec);
    if (ec)
      return error{errc::io, "journal: cannot create " + o.dir.string() + ": " + ec.message()};
  } else if (!std::filesystem::exists(data_file)) {
    return error{errc::not_found,
                 "journal: no journal at " + o.dir.string() + " (expected data.mdb)"};
  } else if (std::filesystem::file_size(data_file, ec) == 0 && !ec) {
    return error{errc::corrupt, "journal: " + data_file.string() + " is empty"};
  }
  if (!o.read_only) {
    // One writer process per journal: each writer assigns global seqs from its own view.
    auto lock_path = o.dir / "writer.lock";
    p->writer_lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (p->writer_lock_fd < 0)
      return error{errc::io,
                   "journal: cannot open " + lock_path.string() + ": " + std::strerror(errno)};
    if (::flock(p->writer_lock_fd, LOCK_EX | LOCK_NB) != 0)
      return error{errc::io, "journal: " + o.dir.string() +
                                 " is already open for writing by another process (fpnode or "
                                 "fp demo); stop it, or open read-only (fp replay)"};
  }
  if (auto rc = mdb_env_create(&p->env); rc != 0)
    return lmdb_error(rc, "mdb_env_create");
  // The journal's six databases plus the named tables (tables.hpp).
  mdb_env_set_maxdbs(p->env, static_cast<MDB_dbi>(6 + max_tables));
  mdb_env_set_maxreaders(p->env, 512);
  mdb_env_set_mapsize(p->env, o.initial_map_bytes);
  // Durability comes from LMDB's default: every commit fsyncs data and meta pages. The
  // sync-weakening flags (NOSYNC, NOMETASYNC, MAPASYNC) are never set.
  unsigned flags = MDB_NOTLS | (o.read_only ? MDB_RDONLY : 0u);
  if (auto rc = mdb_env_open(p->env, o.dir.c_str(), flags, 0644); rc != 0)
    return lmdb_error(rc, "open " + o.dir.string());
  // A data file shorter than the pages it has in use (a partial copy, a truncated disk) would
  // fault when those pages are read through the map: refused here, with the numbers.
  {
    MDB_envinfo info{};
    MDB_stat st{};
    mdb_env_info(p->env, &info);
    mdb_env_stat(p->env, &st);
    auto need = (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
    auto have = std::filesystem::file_size(data_file, ec);
    if (!ec && have < need)
      return error{errc::corrupt,
                   "journal: " + data_file.string() + " is truncated: " + std::to_string(have) +
                       " bytes, but its pages in use end at " + std::to_string(need)};
  }
  MDB_txn* txn = nullptr;
  if (auto rc = mdb_txn_begin(p->env, nullptr, o.read_only ? MDB_RDONLY : 0, &txn); rc != 0)
    return lmdb_error(rc, "begin open transaction");
  unsigned create = o.read_only ? 0 : MDB_CREATE;
  auto open_db = [&](const char* name, MDB_dbi& dbi) {
    return mdb_dbi_open(txn, name, create, &dbi);
  };
  int rc = 0;
  for (auto [name, dbi] :
       {std::pair{format::events_db, &p->events}, std::pair{format::streams_db, &p->streams},
        std::pair{format::snapshots_db, &p->snapshots}, std::pair{format::objects_db, &p->objects},
        std::pair{format::meta_db, &p->meta}}) {
    if ((rc = open_db(name, *dbi)) != 0) {
      mdb_txn_abort(txn);
      return lmdb_error(rc, std::string("open database ") + name);
    }
  }
  std::string_view format_key = "format";
  auto k = as_val(format_key);
  MDB_val v;
  rc = mdb_get(txn, p->meta, &k, &v);
  unsigned found_version = 0;
  if (rc == 0 && v.mv_size == 1)
    found_version = *static_cast<const unsigned char*>(v.mv_data);
  if (rc == 0 && (found_version < 1 || found_version > format::env_version)) {
    mdb_txn_abort(txn);
    return error{errc::corrupt, "journal: " + o.dir.string() +
                                    " uses an unknown format version (this build reads 1.." +
                                    std::to_string(format::env_version) + ")"};
  }
  if ((rc == MDB_NOTFOUND || found_version < format::env_version) && !o.read_only) {
    // A format-1 journal is read as it is; its new objects go to `object_log` from now on.
    std::string ver(1, static_cast<char>(format::env_version));
    auto vv = as_val(ver);
    rc = mdb_put(txn, p->meta, &k, &vv, 0);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) {
    mdb_txn_abort(txn);
    return lmdb_error(rc, "read format version");
  }
  rc = open_db(format::object_log_db, p->object_log);
  if (rc != 0 && !(rc == MDB_NOTFOUND && o.read_only)) {
    mdb_txn_abort(txn);
    return lmdb_error(rc, std::string("open database ") + format::object_log_db);
  }
  p->has_object_log = rc == 0;
  if (p->has_object_log) {
    // Objects committed after the last flush of their paths are indexed in memory again.
    if (rc = p->objidx.catch_up(txn, p->object_log, p->meta); rc != 0) {
      mdb_txn_abort(txn);
      return lmdb_error(rc, "rebuild the object index");
    }
  }
  {
    // The newest event names the next global seq. The cursor closes before the transaction
    // ends (a write transaction's cursors must not outlive it).
    scoped_cursor cur;
    MDB_val key, val;
    rc = cur.open(txn, p->events);
    if (rc == 0)
      rc = mdb_cursor_get(cur.c, &key, &val, MDB_LAST);
    if (rc != 0 && rc != MDB_NOTFOUND) {
      cur.close();
      mdb_txn_abort(txn);
      return lmdb_error(rc, "find the newest event");
    }
    if (rc == 0 && key.mv_size == 8)
      p->next_global = format::read_u64be(as_view(key)) + 1;
  }
  p->index.set_max_slots(o.cached_streams);
  // Events committed after the last index flush are indexed in memory again.
  if (rc = p->index.catch_up(txn, p->events, p->streams, p->meta); rc != 0) {
    mdb_txn_abort(txn);
    return lmdb_error(rc, "rebuild the stream index");
  }
  // Committing (even the read-only transaction) keeps the database handles open.
  if ((rc = mdb_txn_commit(txn)) != 0) {
    return lmdb_error(rc, "commit open transaction");
  }
  MDB_envinfo info;
  mdb_env_info(p->env, &info);
  p->stat.map_bytes = info.me_mapsize;
  p->stat.next_global_seq = p->next_global;
  if (!o.read_only)
    p->writer = std::thread([raw = p.get()] { raw->run_writer(); });
  return std::unique_ptr<journal>(new journal(std::move(p)));
}

// -- the writer -------------------------------------------------------------------------------

void journal::impl::enqueue(request r, std::size_t records) {
  {
    std::lock_guard guard{queue_mu};
    if (!stopping) {
      queue.push_back(std::move(r));
      queued_records += records;
      queue_cv.notify_one();
      return;
    }
  }
  auto closed = error{errc::closed, "journal: closed; write not accepted"};
  std::visit([&](auto& req) { req.done(closed); }, r);
}

void journal::impl::run_writer() {
  std::vector<request> batch;
  for (;;) {
    {
      std::unique_lock lock{queue_mu};
      queue_cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty())
        return; // stopping, and everything queued has been written
      // In a closed loop the callers of the last commit come back, and join those that queued
      // while it synced: that many are expected.
      auto expected_back = last_acked + queued_during_commit;
      if (linger_rest > 0) {
        --linger_rest;
      } else if (opts.adaptive_linger && last_acked > 1 && queue.size() < expected_back &&
                 !stopping && last_work < last_commit_time / 2) {
        // Fewer are back than are expected: keep the commit open while they keep arriving
        // (each new request extends the wait by a short gap, 20 us), so that one fsync serves
        // them all instead of two in turn.
        //
        // That pays only if they all come back sooner than a commit lasts; otherwise two
        // commits in turn keep both the writer and the callers busy, and waiting only adds to
        // each. So the budget is the last commit's duration, and a wait that runs it out before
        // everyone is back rests the lingering for `linger_rest_commits` commits, after which
        // it is tried again. A writer whose own work on the last batch took half its commit's
        // duration or more is the bottleneck and does not wait either: the stragglers join the
        // next commit, which starts as soon as this one ends.
        using namespace std::chrono;
        auto deadline =
            steady_clock::now() + std::min<nanoseconds>(last_commit_time, microseconds(2000));
        auto seen = queue.size();
        // Everyone is back: commit now rather than wait out one more gap.
        while (!stopping && queued_records < opts.max_batch_records &&
               queue.size() < expected_back) {
          auto until = std::min(deadline, steady_clock::now() + microseconds(20));
          queue_cv.wait_until(lock, until, [&] {
            return stopping || queue.size() > seen || queued_records >= opts.max_batch_records;
          });
          if (queue.size() == seen)
            break; // a gap with no arrival: nobody else is coming soon
          if (steady_clock::now() >= deadline) {
            if (queue.size() < expected_back)
              linger_rest = linger_rest_commits;
            break;
          }
          seen = queue.size();
        }
      }
      if (opts.max_wait.count() > 0 && queued_records < opts.max_batch_records && !stopping)
        queue_cv.wait_for(lock, opts.max_wait,
                          [&] { return stopping || queued_records >= opts.max_batch_records; });
      std::size_t records = 0;
      while (!queue.empty() && (batch.empty() || records < opts.max_batch_records)) {
        auto n = std::visit(
            [](const auto& req) -> std::size_t {
              if constexpr (std::is_same_v<std::decay_t<decltype(req)>, append_req>)
                return req.events.size();
              else
                return 1;
            },
            queue.front());
        records += n;
        queued_records -= n;
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    auto started = std::chrono::steady_clock::now();
    process(batch);
    last_work = std::max<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now() - started - last_commit_time, {});
    batch.clear();
  }
}

bool journal::impl::grow_map() {
  std::unique_lock lock{resize_mu};
  MDB_envinfo info;
  mdb_env_info(env, &info);
  if (info.me_mapsize >= opts.max_map_bytes)
    return false;
  auto next = std::min(info.me_mapsize * 2, opts.max_map_bytes);
  if (mdb_env_set_mapsize(env, next) != 0)
    return false;
  stat.map_resizes++;
  stat.map_bytes = next;
  return true;
}

void journal::impl::process(std::vector<request>& batch) {
  // One outcome per request: empty optional = written in this commit.
  std::vector<std::optional<error>> rejected(batch.size());
  std::vector<append_result> appended(batch.size());
  std::vector<std::string> stored_entries(batch.size());
  auto& staged = staged_buf;
  bool flushed = false; ///< a chunk of the stream index flush is in this commit
  bool index_flush_finished = false;
  std::size_t flushed_entries = 0;
  bool objects_flushed = false; ///< a chunk of the object index flush is in this commit
  bool objects_flush_finished = false;
  std::size_t objects_flushed_entries = 0;
  // Each stream's slot is a few cache misses away once the streams are many: hash the batch's
  // persistence ids once and load their slots together.
  auto& hashes = hash_buf;
  hashes.assign(batch.size(), 0);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (auto* a = std::get_if<append_req>(&batch[i]))
      hashes[i] = slot_table::hash(a->pid);
    else if (auto* s = std::get_if<snapshot_req>(&batch[i]))
      hashes[i] = slot_table::hash(s->pid);
  }
  index.warm(hashes);
  // Table functions run straight in the batch's transaction until one refuses; then the batch
  // starts over with each in a nested transaction (`run_nested`), so that only its own writes
  // roll back. Functions may run more than once (txn_fn), as after growing the map.
  bool nested_each = false;
  for (;;) {
    auto first_global = next_global;
    staged.clear();
    objidx.begin_batch();
    index.begin_batch();
    flushed = false;
    index_flush_finished = false;
    objects_flushed = false;
    objects_flush_finished = false;
    // Appends earlier in this attempt are not in the index yet: their slots carry the head
    // as of this attempt (a retried batch starts a new attempt, so stale heads are ignored).
    auto attempt = ++batch_attempt;
    auto head_of = [&](MDB_txn* txn, const std::string& pid, std::uint64_t h, stream_slot*& slot,
                       std::uint64_t& head) {
      if (index.has_unattributed())
        return MDB_CORRUPTED; // fail closed: this stream may own the damaged record
      int rc = 0;
      slot = index.writer_slot(txn, streams, pid, h, rc);
      if (slot == nullptr)
        return rc;
      head = slot->batch == attempt ? slot->batch_head : slot->head;
      return 0;
    };
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env, nullptr, 0, &txn);
    std::string what = "begin write transaction";
    try {
      if (rc != 0)
        throw batch_abort{rc, what};
      auto written_at = now_ns();
      for (std::size_t i = 0; i < batch.size(); ++i) {
        rejected[i].reset();
        if (auto* a = std::get_if<append_req>(&batch[i])) {
          std::uint64_t head = 0;
          stream_slot* slot = nullptr;
          if (auto hrc = head_of(txn, a->pid, hashes[i], slot, head); hrc != 0)
            throw batch_abort{hrc, "read head of \"" + a->pid + "\""};
          if (head != a->expected_seq) {
            rejected[i] =
                error{errc::seq_conflict, "journal: append \"" + a->pid + "\": expected seq " +
                                              std::to_string(a->expected_seq) + ", head is " +
                                              std::to_string(head)};
            continue;
          }
          auto& res = appended[i];
          res.first_seq = head + 1;
          res.first_global = next_global;
          std::uint64_t seq = head;
          // With a table function, the events and its writes go straight into the batch's
          // transaction, or, once a function has refused, share a nested transaction.
          MDB_txn* target = txn;
          auto staged_before = staged.size();
          if (a->with && nested_each) {
            if (auto brc = mdb_txn_begin(env, txn, 0, &target); brc != 0)
              throw batch_abort{brc, "begin nested transaction"};
          }
          for (auto& e : a->events) {
            record_view r;
            r.kind = record_kind::event;
            r.persistence_id = a->pid;
            r.seq = ++seq;
            r.global_seq = next_global++;
            r.event_type = e.event_type;
            r.schema_version = e.schema_version;
            r.written_at_ns = written_at;
            r.writer = opts.writer_id;
            r.payload = e.payload;
            format::encode_into(r, encode_buf);
            put_or_abort(target, events, format::u64be(r.global_seq), encode_buf, MDB_APPEND,
                         "put event");
            staged.push_back({slot, {r.seq, r.global_seq}});
          }
          if (a->with && !nested_each) {
            run_inline(txn, a->with);
          } else if (a->with) {
            auto ok = run_nested(target, a->with, objidx);
            if (!ok) {
              next_global = res.first_global; // hand the global seqs back
              staged.resize(staged_before);
              rejected[i] = std::move(ok).error();
              continue;
            }
          }
          slot->batch = attempt;
          slot->batch_head = seq;
          res.last_seq = seq;
          res.last_global = next_global - 1;
        } else if (auto* s = std::get_if<snapshot_req>(&batch[i])) {
          std::uint64_t head = 0;
          stream_slot* slot = nullptr;
          if (auto hrc = head_of(txn, s->pid, hashes[i], slot, head); hrc != 0)
            throw batch_abort{hrc, "read head of \"" + s->pid + "\""};
          if (s->seq == 0 || s->seq > head) {
            rejected[i] =
                error{errc::invalid_argument, "journal: snapshot \"" + s->pid + "\" at seq " +
                                                  std::to_string(s->seq) + ": stream head is " +
                                                  std::to_string(head)};
            continue;
          }
          record_view r;
          r.kind = record_kind::snapshot;
          r.persistence_id = s->pid;
          r.seq = s->seq;
          r.event_type = s->snapshot.event_type;
          r.schema_version = s->snapshot.schema_version;
          r.written_at_ns = written_at;
          r.writer = opts.writer_id;
          r.payload = s->snapshot.payload;
          put_or_abort(txn, snapshots, format::stream_key(s->pid, s->seq), format::encode(r), 0,
                       "put snapshot");
          // Keep the newest `snapshots_keep`: walk this stream's snapshots newest first.
          scoped_cursor cursor_guard;
          if (auto crc = cursor_guard.open(txn, snapshots); crc != 0)
            throw batch_abort{crc, "open snapshot cursor"};
          MDB_cursor* cur = cursor_guard.c;
          auto prefix = format::stream_prefix(s->pid);
          auto probe = format::stream_key(s->pid, UINT64_MAX);
          MDB_val key = as_val(probe), val;
          int crc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
          crc = crc == 0 ? mdb_cursor_get(cur, &key, &val, MDB_PREV)
                         : mdb_cursor_get(cur, &key, &val, MDB_LAST);
          std::uint32_t kept = 0;
          while (crc == 0 && as_view(key).starts_with(prefix) && key.mv_size == prefix.size() + 8) {
            if (++kept > opts.snapshots_keep) {
              if (auto drc = mdb_cursor_del(cur, 0); drc != 0)
                throw batch_abort{drc, "prune snapshot"};
            }
            crc = mdb_cursor_get(cur, &key, &val, MDB_PREV);
          }
        } else if (auto* t = std::get_if<txn_req>(&batch[i]); t && !nested_each) {
          run_inline(txn, t->fn);
        } else if (t) {
          MDB_txn* child = nullptr;
          if (auto brc = mdb_txn_begin(env, txn, 0, &child); brc != 0)
            throw batch_abort{brc, "begin nested transaction"};
          if (auto ok = run_nested(child, t->fn, objidx); !ok)
            rejected[i] = std::move(ok).error();
        } else {
          auto& o = std::get<object_req>(batch[i]);
          txn_context ctx{txn};
          auto stored = write_object(*this, ctx, o.path, o.entry, o.digest);
          if (ctx.fatal() != 0)
            throw batch_abort{ctx.fatal(), "write object \"" + o.path + "\""};
          if (!stored) {
            rejected[i] = std::move(stored).error();
            continue;
          }
          stored_entries[i] = std::move(*stored);
        }
      }
      if (objidx.flush_due(opts.object_index_flush_records)) {
        if (auto frc = objidx.flush(txn, objects, meta, opts.object_index_flush_records,
                                    objects_flushed_entries, objects_flush_finished);
            frc != 0)
          throw batch_abort{frc, "flush the object index"};
        objects_flushed = true;
      }
      if ((!staged.empty() || index.flushing()) &&
          index.flush_due(staged.size(), opts.index_flush_records, opts.index_flush_per_stream,
                          opts.index_max_delta_records)) {
        if (auto frc = index.flush(txn, streams, meta, staged.size(), flushed_entries,
                                   index_flush_finished);
            frc != 0)
          throw batch_abort{frc, "flush the stream index"};
        flushed = true;
      }
      what = "commit";
      auto commit_start = std::chrono::steady_clock::now();
      rc = mdb_txn_commit(txn); // the fsync: durable when this returns 0
      last_commit_time = std::chrono::steady_clock::now() - commit_start;
      {
        std::lock_guard guard{queue_mu};
        queued_during_commit = queue.size();
      }
      txn = nullptr;
      if (rc != 0)
        throw batch_abort{rc, what};
    } catch (const inline_refused&) {
      if (txn != nullptr)
        mdb_txn_abort(txn);
      next_global = first_global;
      nested_each = true;
      stat.table_fn_retries++;
      continue;
    } catch (const batch_abort& abort) {
      if (txn != nullptr)
        mdb_txn_abort(txn);
      next_global = first_global;
      if (abort.rc == MDB_MAP_FULL && grow_map())
        continue; // retry the whole batch in a bigger map
      auto err = lmdb_error(abort.rc, abort.what);
      for (auto& r : batch) {
        stat.failed_batches++;
        stat.io_failures++;
        std::visit([&](auto& req) { req.done(err); }, r);
      }
      return;
    }
    break;
  }
  // The indexes learn the batch before any caller hears of it, so what was acked is readable.
  index.add(staged);
  objidx.committed(objects_flushed, objects_flush_finished);
  if (objects_flushed)
    stat.object_index_entries_flushed += objects_flushed_entries;
  if (objects_flush_finished)
    stat.object_index_flushes++;
  index.committed(flushed, index_flush_finished);
  if (flushed)
    stat.index_entries_flushed += flushed_entries;
  if (index_flush_finished)
    stat.index_flushes++;
  last_acked = batch.size();
  observe_commit(std::chrono::duration<double>(last_commit_time).count(), batch.size());
  auto commit_id = ++stat.commits;
  stat.next_global_seq = next_global;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (rejected[i]) {
      stat.failed_batches++;
      if (rejected[i]->is(errc::seq_conflict))
        stat.seq_conflicts++;
      std::visit([&](auto& req) { req.done(*rejected[i]); }, batch[i]);
      continue;
    }
    stat.acked_batches++;
    if (auto* a = std::get_if<append_req>(&batch[i])) {
      appended[i].commit_id = commit_id;
      stat.events_appended += a->events.size();
      for (auto& e : a->events)
        stat.bytes_appended += e.payload.size();
      a->done(appended[i]);
    } else if (auto* s = std::get_if<snapshot_req>(&batch[i])) {
      stat.snapshots_saved++;
      s->done(commit_id);
    } else if (auto* t = std::get_if<txn_req>(&batch[i])) {
      t->done(commit_id);
    } else {
      auto& o = std::get<object_req>(batch[i]);
      stat.objects_written++;
      o.done(std::move(stored_entries[i]));
    }
  }
}

// -- writes -----------------------------------------------------------------------------------

namespace {

void enqueue_append(journal::impl& j, std::string pid, std::uint64_t expected_seq,
                    std::vector<event_data> events, txn_fn with, journal::append_callback done) {
  if (j.opts.read_only)
    return done(error{errc::read_only, "journal: opened read-only; append refused"});
  if (auto ok = validate_pid(pid); !ok)
    return done(ok.error());
  if (events.empty())
    return done(error{errc::invalid_argument, "journal: append \"" + pid + "\": no events"});
  for (auto& e : events)
    if (auto ok = validate_event(j.opts, pid, e); !ok)
      return done(ok.error());
  auto n = events.size();
  j.enqueue(
      append_req{std::move(pid), expected_seq, std::move(events), std::move(done), std::move(with)},
      n);
}

} // namespace

void journal::append_async(std::string pid, std::uint64_t expected_seq,
                           std::vector<event_data> events, append_callback done) {
  enqueue_append(*impl_, std::move(pid), expected_seq, std::move(events), nullptr, std::move(done));
}

void journal::append_async(std::string pid, std::uint64_t expected_seq,
                           std::vector<event_data> events, txn_fn with, append_callback done) {
  if (!with)
    return done(
        error{errc::invalid_argument, "journal: append \"" + pid + "\": no table function"});
  enqueue_append(*impl_, std::move(pid), expected_seq, std::move(events), std::move(with),
                 std::move(done));
}

expected<append_result> journal::append(std::string pid, std::uint64_t expected_seq,
                                        std::vector<event_data> events) {
  std::promise<expected<append_result>> p;
  auto f = p.get_future();
  append_async(std::move(pid), expected_seq, std::move(events),
               [&p](expected<append_result> r) { p.set_value(std::move(r)); });
  return f.get();
}

void journal::save_snapshot_async(std::string pid, std::uint64_t seq, event_data snapshot,
                                  ack_callback done) {
  if (impl_->opts.read_only)
    return done(error{errc::read_only, "journal: opened read-only; snapshot refused"});
  if (auto ok = validate_pid(pid); !ok)
    return done(ok.error());
  if (auto ok = validate_event(impl_->opts, pid, snapshot); !ok)
    return done(ok.error());
  impl_->enqueue(snapshot_req{std::move(pid), seq, std::move(snapshot), std::move(done)}, 1);
}

expected<void> journal::save_snapshot(std::string pid, std::uint64_t seq, event_data snapshot) {
  std::promise<expected<void>> p;
  auto f = p.get_future();
  save_snapshot_async(std::move(pid), seq, std::move(snapshot), [&p](expected<std::uint64_t> r) {
    p.set_value(r ? expected<void>{} : expected<void>{r.error()});
  });
  return f.get();
}

// -- reads ------------------------------------------------------------------------------------

namespace {

constexpr std::uint64_t read_chunk = 4096; // records per read transaction

error corrupt_record(const journal::impl& j, std::string what, format::decode_status s) {
  j.stat.checksum_failures++;
  return error{errc::corrupt, "journal: " + what + ": " + format::to_string(s)};
}

} // namespace

expected<std::uint64_t> journal::head_seq(std::string_view pid) const {
  if (auto ok = validate_pid(pid); !ok)
    return ok.error();
  impl_->refresh();
  if (auto ok = check_attributable(*impl_); !ok)
    return ok.error();
  // The in-memory index is read before the transaction begins (see stream_index.hpp): a
  // flush in between moves the entries into `streams` as of the transaction.
  auto in_memory = impl_->index.delta_head(pid);
  read_txn txn{*impl_};
  if (txn.rc() != 0)
    return lmdb_error(txn.rc(), "begin read transaction");
  std::uint64_t head = 0;
  if (auto rc = stream_index::flushed_head(txn.get(), impl_->streams, pid, head); rc != 0)
    return lmdb_error(rc, "read head");
  return std::max(head, in_memory.value_or(0));
}

expected<std::uint64_t> journal::read_entity(std::string_view pid, std::uint64_t from_seq,
                                             const record_fn& fn) const {
  if (auto ok = validate_pid(pid); !ok)
    return ok.error();
  auto& j = *impl_;
  j.refresh();
  if (auto ok = check_attributable(j); !ok)
    return ok.error();
  std::uint64_t delivered = 0;
  auto next = std::max<std::uint64_t>(from_seq, 1);
  std::vector<index_entry> chunk;
  for (;;) {
    // The delta is copied before the transaction begins (see stream_index.hpp).
    auto delta = j.index.delta_for(pid);
    read_txn txn{j};
    if (txn.rc() != 0)
      return lmdb_error(txn.rc(), "begin read transaction");
    std::uint64_t through = 0;
    if (auto rc = stream_index::indexed_through(txn.get(), j.meta, through); rc != 0)
      return lmdb_error(rc, "read the index watermark");
    // Up to read_chunk (seq, global) pairs from `streams`, then from the delta above it.
    chunk.clear();
    scoped_cursor cursor_guard;
    if (auto rc = cursor_guard.open(txn.get(), j.streams); rc != 0)
      return lmdb_error(rc, "open stream cursor");
    MDB_cursor* cur = cursor_guard.c;
    // The run holding `next` starts at or before it: seek past it, then step back one.
    auto start = format::stream_key(pid, next);
    MDB_val key = as_val(start), val;
    int rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    {
      std::string_view kpid;
      std::uint64_t seq = 0;
      bool exact = rc == 0 && format::parse_stream_key(as_view(key), kpid, seq) && kpid == pid &&
                   seq == next;
      if (!exact && (rc == 0 || rc == MDB_NOTFOUND)) {
        rc = mdb_cursor_get(cur, &key, &val, rc == 0 ? MDB_PREV : MDB_LAST);
        if (rc == 0 && !(format::parse_stream_key(as_view(key), kpid, seq) && kpid == pid))
          rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
      }
    }
    for (; rc == 0 && chunk.size() < read_chunk; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
      std::string_view kpid;
      std::uint64_t seq = 0;
      if (!format::parse_stream_key(as_view(key), kpid, seq) || kpid != pid)
        break;
      auto n = format::run_length(val.mv_size);
      if (n == 0) {
        return error{errc::corrupt, "journal: stream index of \"" + std::string(pid) + "\" seq " +
                                        std::to_string(seq) + " is malformed"};
      }
      auto globals = as_view(val);
      for (std::size_t i = 0; i < n; ++i)
        if (seq + i >= next)
          chunk.push_back({seq + i, format::read_u64be(globals.substr(8 * i, 8))});
    }
    if (rc != 0 && rc != MDB_NOTFOUND)
      return lmdb_error(rc, "scan stream \"" + std::string(pid) + "\"");
    auto after = chunk.empty() ? next : chunk.back().seq + 1;
    for (auto& e : delta)
      if (chunk.size() < read_chunk && e.global > through && e.seq >= after)
        chunk.push_back(e);
    for (auto& e : chunk) {
      auto global = format::u64be(e.global);
      MDB_val gk = as_val(global), gv;
      if (auto grc = mdb_get(txn.get(), j.events, &gk, &gv); grc != 0) {
        if (grc == MDB_NOTFOUND && e.global > through)
          return delivered; // committed after this read began
        return lmdb_error(grc,
                          "read event \"" + std::string(pid) + "\" seq " + std::to_string(e.seq));
      }
      record_view r;
      auto st = format::decode(as_view(gv), r);
      if (st == format::decode_status::ok && (r.persistence_id != pid || r.seq != e.seq))
        st = format::decode_status::bad_lengths;
      if (st != format::decode_status::ok)
        return corrupt_record(j,
                              "event \"" + std::string(pid) + "\" seq " + std::to_string(e.seq) +
                                  " (global " + std::to_string(e.global) + ")",
                              st);
      ++delivered;
      next = e.seq + 1;
      if (!fn(r))
        return delivered;
    }
    if (chunk.size() < read_chunk)
      return delivered;
  }
}

expected<std::uint64_t> journal::read_global(std::uint64_t from, std::uint64_t limit,
                                             const record_fn& fn) const {
  auto& j = *impl_;
  auto next = std::max<std::uint64_t>(from, 1);
  std::uint64_t delivered = 0;
  while (delivered < limit) {
    read_txn txn{j};
    if (txn.rc() != 0)
      return lmdb_error(txn.rc(), "begin read transaction");
    // The scan's cursor is closed by hand on each way out: this loop is the replay's hot path,
    // and holding the cursor in a scoped_cursor (or closing it in a catch) measured a quarter
    // slower here (journal_bench replay_eps). A callback that throws leaves it open: a read-only
    // cursor's few bytes, not a lock or a transaction.
    MDB_cursor* cur = nullptr;
    if (auto rc = mdb_cursor_open(txn.get(), j.events, &cur); rc != 0)
      return lmdb_error(rc, "open event cursor");
    auto start = format::u64be(next);
    MDB_val key = as_val(start), val;
    int rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    std::uint64_t in_chunk = 0;
    for (; rc == 0 && in_chunk < read_chunk && delivered < limit; ++in_chunk) {
      auto global = key.mv_size == 8 ? format::read_u64be(as_view(key)) : 0;
      record_view r;
      auto st = format::decode(as_view(val), r);
      if (st == format::decode_status::ok && r.global_seq != global)
        st = format::decode_status::bad_lengths;
      if (st != format::decode_status::ok) {
        mdb_cursor_close(cur);
        return corrupt_record(j, "event at global seq " + std::to_string(global), st);
      }
      ++delivered;
      next = global + 1;
      if (!fn(r)) {
        mdb_cursor_close(cur);
        return next;
      }
      rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
      return lmdb_error(rc, "scan events");
    if (rc == MDB_NOTFOUND)
      break;
  }
  return next;
}

int scan_snapshots(const journal::impl& j, MDB_cursor* cur, std::string_view pid,
                   const journal::record_fn& fn, bool& accepted) {
  auto probe = format::stream_key(pid, UINT64_MAX);
  MDB_val key = as_val(probe), val;
  int rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
  rc = rc == 0 ? mdb_cursor_get(cur, &key, &val, MDB_PREV)
               : mdb_cursor_get(cur, &key, &val, MDB_LAST);
  accepted = false;
  while (rc == 0 && !accepted) {
    std::string_view kpid;
    std::uint64_t seq = 0;
    if (!format::parse_stream_key(as_view(key), kpid, seq) || kpid != pid)
      break;
    record_view r;
    auto st = format::decode(as_view(val), r);
    if (st == format::decode_status::ok && (r.persistence_id != pid || r.seq != seq))
      st = format::decode_status::bad_lengths;
    if (st != format::decode_status::ok) {
      // A damaged snapshot is reported to the caller as one it could not decode.
      j.stat.checksum_failures++;
      r = record_view{};
      r.kind = record_kind::snapshot;
      r.persistence_id = pid;
      r.seq = seq;
      r.event_type = format::to_string(st);
      r.schema_version = 0;
    }
    accepted = fn(r);
    if (!accepted)
      rc = mdb_cursor_get(cur, &key, &val, MDB_PREV);
  }
  return rc == MDB_NOTFOUND ? 0 : rc;
}

expected<bool> journal::read_snapshots(std::string_view pid, const record_fn& fn) const {
  auto& j = *impl_;
  read_txn txn{j};
  if (txn.rc() != 0)
    return lmdb_error(txn.rc(), "begin read transaction");
  scoped_cursor cursor_guard;
  if (auto rc = cursor_guard.open(txn.get(), j.snapshots); rc != 0)
    return lmdb_error(rc, "open snapshot cursor");
  MDB_cursor* cur = cursor_guard.c;
  bool accepted = false;
  auto rc = scan_snapshots(j, cur, pid, fn, accepted);
  if (rc != 0)
    return lmdb_error(rc, "scan snapshots");
  return accepted;
}

expected<recovery_report> journal::recover(std::string_view pid, const record_fn& decode_snapshot,
                                           const record_fn& apply_event) const {
  recovery_report report;
  std::vector<std::uint64_t> rejected;
  auto used = read_snapshots(pid, [&](const record_view& r) {
    // A snapshot whose record failed its checksum arrives with schema_version 0.
    if (r.schema_version != 0 && decode_snapshot(r)) {
      report.snapshot_seq = r.seq;
      return true;
    }
    rejected.push_back(r.seq);
    return false;
  });
  if (!used)
    return used.error();
  report.used_snapshot = *used;
  if (!rejected.empty()) {
    impl_->stat.snapshot_fallbacks++;
    report.fallback_reason =
        "snapshot at seq " + std::to_string(rejected.front()) + " did not decode; " +
        (report.used_snapshot
             ? "recovered from older snapshot at seq " + std::to_string(report.snapshot_seq)
             : std::string("replayed the full stream"));
  }
  report.last_seq = report.snapshot_seq;
  auto n = read_entity(pid, report.snapshot_seq + 1, [&](const record_view& r) {
    report.last_seq = r.seq;
    return apply_event(r);
  });
  if (!n)
    return n.error();
  report.events_replayed = *n;
  return report;
}

namespace {

/// Streams whose entries are in the `streams` database, from `after`, with `prefix`.
expected<std::uint64_t> list_flushed(const journal::impl& j,
                                     const std::function<bool(std::string_view, std::uint64_t)>& fn,
                                     std::string_view after, std::string_view prefix) {
  std::uint64_t count = 0;
  std::string resume = after.empty() ? std::string(prefix) : format::stream_key(after, UINT64_MAX);
  for (;;) {
    read_txn txn{j};
    if (txn.rc() != 0)
      return lmdb_error(txn.rc(), "begin read transaction");
    scoped_cursor cursor_guard;
    if (auto rc = cursor_guard.open(txn.get(), j.streams); rc != 0)
      return lmdb_error(rc, "open stream cursor");
    MDB_cursor* cur = cursor_guard.c;
    MDB_val key = as_val(resume), val;
    int rc = resume.empty() ? mdb_cursor_get(cur, &key, &val, MDB_FIRST)
                            : mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    std::uint64_t in_chunk = 0;
    while (rc == 0 && in_chunk < read_chunk) {
      std::string_view pid;
      std::uint64_t seq = 0;
      if (!format::parse_stream_key(as_view(key), pid, seq))
        return error{errc::corrupt, "journal: malformed stream index key"};
      if (!pid.starts_with(prefix))
        return count;
      // Jump to this stream's last key: its seq is the head.
      auto last = format::stream_key(pid, UINT64_MAX);
      MDB_val lk = as_val(last);
      rc = mdb_cursor_get(cur, &lk, &val, MDB_SET_RANGE);
      rc = rc == 0 ? mdb_cursor_get(cur, &lk, &val, MDB_PREV)
                   : mdb_cursor_get(cur, &lk, &val, MDB_LAST);
      if (rc != 0 || !format::parse_stream_key(as_view(lk), pid, seq) ||
          format::run_length(val.mv_size) == 0) {
        return lmdb_error(rc == 0 ? MDB_CORRUPTED : rc, "scan streams");
      }
      seq += format::run_length(val.mv_size) - 1;
      ++count;
      ++in_chunk;
      std::string pid_copy(pid);
      if (!fn(pid_copy, seq))
        return count;
      resume = format::stream_key(pid_copy, UINT64_MAX);
      key = as_val(resume);
      rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    }
    if (rc == MDB_NOTFOUND)
      return count;
    if (rc != 0)
      return lmdb_error(rc, "scan streams");
  }
}

} // namespace

expected<std::uint64_t>
journal::list_streams(const std::function<bool(std::string_view, std::uint64_t)>& fn,
                      std::string_view after, std::string_view prefix) const {
  auto& j = *impl_;
  j.refresh();
  // Merge the streams that only the index delta knows yet (new ones, or newer heads).
  auto pending = j.index.delta_heads(prefix);
  std::size_t di = 0;
  while (di < pending.size() && !after.empty() && pending[di].first <= after)
    ++di;
  std::uint64_t count = 0;
  bool stopped = false;
  auto emit = [&](std::string_view pid, std::uint64_t head) {
    ++count;
    stopped = !fn(pid, head);
    return !stopped;
  };
  auto listed = list_flushed(
      j,
      [&](std::string_view pid, std::uint64_t head) {
        while (di < pending.size() && pending[di].first < pid)
          if (!emit(pending[di].first, pending[di].second))
            return false;
          else
            ++di;
        if (di < pending.size() && pending[di].first == pid)
          head = std::max(head, pending[di++].second);
        return emit(pid, head);
      },
      after, prefix);
  if (!listed)
    return listed.error();
  for (; !stopped && di < pending.size(); ++di)
    emit(pending[di].first, pending[di].second);
  return count;
}

expected<std::uint64_t> journal::read_all_snapshots(const record_fn& fn) const {
  auto& j = *impl_;
  read_txn txn{j};
  if (txn.rc() != 0)
    return lmdb_error(txn.rc(), "begin read transaction");
  scoped_cursor cursor_guard;
  if (auto rc = cursor_guard.open(txn.get(), j.snapshots); rc != 0)
    return lmdb_error(rc, "open snapshot cursor");
  MDB_cursor* cur = cursor_guard.c;
  MDB_val key, val;
  std::uint64_t count = 0;
  int rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
  for (; rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
    std::string_view pid;
    std::uint64_t seq = 0;
    record_view r;
    auto st = format::decode(as_view(val), r);
    if (st == format::decode_status::ok &&
        (!format::parse_stream_key(as_view(key), pid, seq) || r.persistence_id != pid ||
         r.seq != seq || r.kind != record_kind::snapshot))
      st = format::decode_status::bad_lengths;
    if (st != format::decode_status::ok)
      return corrupt_record(j, "snapshot record #" + std::to_string(count + 1), st);
    ++count;
    if (!fn(r))
      break;
  }
  if (rc != 0 && rc != MDB_NOTFOUND)
    return lmdb_error(rc, "scan snapshots");
  return count;
}

void journal::impl::observe_commit(double seconds, std::size_t requests) {
  auto bucket = [](const auto& bounds, double v) {
    return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) -
                                    bounds.begin());
  };
  stat.commit_seconds[bucket(journal_stats::commit_seconds_le, seconds)]++;
  stat.commit_nanoseconds += static_cast<std::uint64_t>(seconds * 1e9);
  stat.commit_requests[bucket(journal_stats::commit_requests_le, static_cast<double>(requests))]++;
  stat.commit_requests_sum += requests;
}

journal_stats journal::stats() const {
  auto& s = impl_->stat;
  journal_stats out;
  auto cumulate = [](const auto& per_bucket, auto& cumulative) {
    std::uint64_t below = 0;
    for (std::size_t i = 0; i < cumulative.size(); ++i)
      cumulative[i] = below += per_bucket[i];
  };
  cumulate(s.commit_seconds, out.commit_seconds_buckets);
  out.commit_seconds_sum = static_cast<double>(s.commit_nanoseconds) / 1e9;
  cumulate(s.commit_requests, out.commit_requests_buckets);
  out.commit_requests_sum = s.commit_requests_sum;
  out.commits = s.commits;
  out.acked_batches = s.acked_batches;
  out.failed_batches = s.failed_batches;
  out.io_failures = s.io_failures;
  out.events_appended = s.events_appended;
  out.bytes_appended = s.bytes_appended;
  out.seq_conflicts = s.seq_conflicts;
  out.snapshots_saved = s.snapshots_saved;
  out.snapshot_fallbacks = s.snapshot_fallbacks;
  out.map_resizes = s.map_resizes;
  out.table_fn_retries = s.table_fn_retries;
  out.index_flushes = s.index_flushes;
  out.index_entries_flushed = s.index_entries_flushed;
  out.objects_written = s.objects_written;
  out.object_index_flushes = s.object_index_flushes;
  out.object_index_entries_flushed = s.object_index_entries_flushed;
  out.checksum_failures = s.checksum_failures;
  out.map_bytes = s.map_bytes;
  out.next_global_seq = s.next_global_seq;
  return out;
}

unsigned journal::env_flags() const {
  unsigned flags = 0;
  mdb_env_get_flags(impl_->env, &flags);
  return flags;
}

const options& journal::opts() const {
  return impl_->opts;
}

} // namespace fp::journal
