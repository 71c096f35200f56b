#include "journal/tables.hpp"

#include "journal/journal.hpp"
#include "journal/journal_impl.hpp"
#include "journal/lmdb_val.hpp"
#include "journal/record_format.hpp"

#include <future>

namespace fp::journal {

namespace {

MDB_txn* as_txn(void* p) {
  return static_cast<MDB_txn*>(p);
}

/// Failures that leave the batch unusable: everything but a refused key or value.
bool is_fatal(int rc) {
  return rc != 0 && rc != MDB_NOTFOUND && rc != MDB_KEYEXIST && rc != MDB_BAD_VALSIZE &&
         rc != EINVAL;
}

expected<void> check_key(const table& t, std::string_view key) {
  if (key.empty() || key.size() > max_table_key)
    return error{errc::invalid_argument, "journal: table \"" + t.name + "\": key must be 1.." +
                                             std::to_string(max_table_key) + " bytes, got " +
                                             std::to_string(key.size())};
  return {};
}

bool valid_table_name(std::string_view name) {
  if (name.empty() || name.size() > max_table_name)
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return false;
  for (auto reserved : {format::events_db, format::streams_db, format::snapshots_db,
                        format::objects_db, format::object_log_db, format::meta_db})
    if (name == reserved)
      return false;
  return true;
}

/// The smallest key greater than `k`.
std::string successor(std::string_view k) {
  std::string s(k);
  s.push_back('\0');
  return s;
}

} // namespace

// -- txn_context ------------------------------------------------------------------------------

error txn_context::fail(int rc, std::string_view what, const table& t) {
  if (is_fatal(rc) && fatal_ == 0)
    fatal_ = rc;
  return lmdb_error(rc, std::string(what) + " in table \"" + t.name + "\"");
}

expected<std::optional<std::string_view>> txn_context::get(const table& t, std::string_view key) {
  if (auto ok = check_key(t, key); !ok)
    return ok.error();
  MDB_val k = as_val(key), v;
  auto rc = mdb_get(as_txn(txn_), t.dbi, &k, &v);
  if (rc == MDB_NOTFOUND)
    return std::optional<std::string_view>{};
  if (rc != 0)
    return fail(rc, "get", t);
  return std::optional<std::string_view>{as_view(v)};
}

expected<void> txn_context::put(const table& t, std::string_view key, std::string_view value,
                                put_mode mode) {
  if (auto ok = check_key(t, key); !ok)
    return ok.error();
  unsigned flags = mode == put_mode::append         ? MDB_APPEND
                   : mode == put_mode::no_overwrite ? MDB_NOOVERWRITE
                                                    : 0u;
  MDB_val k = as_val(key), v = as_val(value);
  auto rc = mdb_put(as_txn(txn_), t.dbi, &k, &v, flags);
  if (rc == MDB_KEYEXIST)
    return error{errc::object_conflict,
                 "journal: table \"" + t.name + "\": " +
                     (mode == put_mode::append ? "append of a key that does not sort last"
                                               : "key already exists (no-overwrite put)")};
  if (rc != 0)
    return fail(rc, "put", t);
  return {};
}

expected<bool> txn_context::del(const table& t, std::string_view key) {
  if (auto ok = check_key(t, key); !ok)
    return ok.error();
  MDB_val k = as_val(key);
  auto rc = mdb_del(as_txn(txn_), t.dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND)
    return false;
  if (rc != 0)
    return fail(rc, "delete", t);
  return true;
}

expected<std::uint64_t> txn_context::del_range(const table& t, std::string_view from,
                                               std::string_view to) {
  MDB_cursor* cur = nullptr;
  if (auto rc = mdb_cursor_open(as_txn(txn_), t.dbi, &cur); rc != 0)
    return fail(rc, "open cursor", t);
  std::uint64_t n = 0;
  int rc = 0;
  for (;;) {
    // Seek again after each delete: a cursor's position after mdb_cursor_del at the end of
    // the tree is not one to build on.
    MDB_val k = as_val(from), v;
    rc = from.empty() ? mdb_cursor_get(cur, &k, &v, MDB_FIRST)
                      : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc != 0 || as_view(k) >= to)
      break;
    if (rc = mdb_cursor_del(cur, 0); rc != 0)
      break;
    ++n;
  }
  mdb_cursor_close(cur);
  if (rc != 0 && rc != MDB_NOTFOUND)
    return fail(rc, "delete range", t);
  return n;
}

expected<std::optional<txn_context::kv>> txn_context::seek_first(const table& t,
                                                                 std::string_view prefix) {
  MDB_cursor* cur = nullptr;
  if (auto rc = mdb_cursor_open(as_txn(txn_), t.dbi, &cur); rc != 0)
    return fail(rc, "open cursor", t);
  MDB_val k = as_val(prefix), v;
  int rc = prefix.empty() ? mdb_cursor_get(cur, &k, &v, MDB_FIRST)
                          : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  mdb_cursor_close(cur);
  if (rc == MDB_NOTFOUND || (rc == 0 && !as_view(k).starts_with(prefix)))
    return std::optional<kv>{};
  if (rc != 0)
    return fail(rc, "seek", t);
  return std::optional<kv>{kv{as_view(k), as_view(v)}};
}

expected<std::optional<txn_context::kv>> txn_context::seek_last(const table& t,
                                                                std::string_view prefix) {
  MDB_cursor* cur = nullptr;
  if (auto rc = mdb_cursor_open(as_txn(txn_), t.dbi, &cur); rc != 0)
    return fail(rc, "open cursor", t);
  // Every key with the prefix sorts below prefix + 0xff..; step back from the first key past.
  std::string past(prefix);
  past.append(max_table_key + 1 - std::min(prefix.size(), max_table_key), '\xff');
  MDB_val k = as_val(past), v;
  int rc = prefix.empty() ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
  mdb_cursor_close(cur);
  if (rc == MDB_NOTFOUND || (rc == 0 && !as_view(k).starts_with(prefix)))
    return std::optional<kv>{};
  if (rc != 0)
    return fail(rc, "seek", t);
  return std::optional<kv>{kv{as_view(k), as_view(v)}};
}

expected<void>
txn_context::scan(const table& t, std::string_view from,
                  const std::function<bool(std::string_view, std::string_view)>& fn) {
  MDB_cursor* cur = nullptr;
  if (auto rc = mdb_cursor_open(as_txn(txn_), t.dbi, &cur); rc != 0)
    return fail(rc, "open cursor", t);
  MDB_val k = as_val(from), v;
  int rc = from.empty() ? mdb_cursor_get(cur, &k, &v, MDB_FIRST)
                        : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  while (rc == 0 && fn(as_view(k), as_view(v)))
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  mdb_cursor_close(cur);
  if (rc != 0 && rc != MDB_NOTFOUND)
    return fail(rc, "scan", t);
  return {};
}

// -- journal ----------------------------------------------------------------------------------

expected<table> journal::open_table(std::string_view name) {
  auto& j = *impl_;
  if (!valid_table_name(name))
    return error{errc::invalid_argument,
                 "journal: table name \"" + std::string(name) +
                     "\": must be 1..64 bytes of [a-z0-9._-] and not a journal database"};
  std::lock_guard guard{j.tables_mu};
  if (auto it = j.tables.find(name); it != j.tables.end())
    return table{it->second, std::string(name)};
  if (j.tables.size() >= max_tables)
    return error{errc::invalid_argument, "journal: table \"" + std::string(name) +
                                             "\": no room, a journal has at most " +
                                             std::to_string(max_tables) + " tables"};
  // A short transaction of its own: with LMDB's write lock it waits for the writer's current
  // commit; the shared resize lock keeps the map from being resized under it.
  std::shared_lock resize{j.resize_mu};
  MDB_txn* txn = nullptr;
  std::string n(name);
  auto rc = mdb_txn_begin(j.env, nullptr, j.opts.read_only ? MDB_RDONLY : 0, &txn);
  if (rc != 0)
    return lmdb_error(rc, "begin transaction to open table \"" + n + "\"");
  MDB_dbi dbi = 0;
  rc = mdb_dbi_open(txn, n.c_str(), j.opts.read_only ? 0 : MDB_CREATE, &dbi);
  if (rc != 0) {
    mdb_txn_abort(txn);
    return lmdb_error(rc, "open table \"" + n + "\"");
  }
  if (rc = mdb_txn_commit(txn); rc != 0)
    return lmdb_error(rc, "commit the creation of table \"" + n + "\"");
  j.tables.emplace(n, dbi);
  return table{dbi, n};
}

void journal::transact_async(txn_fn fn, ack_callback done) {
  if (impl_->opts.read_only)
    return done(error{errc::read_only, "journal: opened read-only; table write refused"});
  if (!fn)
    return done(error{errc::invalid_argument, "journal: transact without a function"});
  impl_->enqueue(txn_req{std::move(fn), std::move(done)}, 1);
}

expected<std::uint64_t> journal::transact(txn_fn fn) {
  std::promise<expected<std::uint64_t>> p;
  auto f = p.get_future();
  transact_async(std::move(fn), [&p](expected<std::uint64_t> r) { p.set_value(std::move(r)); });
  return f.get();
}

expected<std::uint64_t>
journal::read_table(const table& t, std::string_view from,
                    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  constexpr std::uint64_t chunk = 4096;
  std::uint64_t delivered = 0;
  std::string resume(from);
  for (;;) {
    read_txn txn{*impl_};
    if (txn.rc() != 0)
      return lmdb_error(txn.rc(), "begin read transaction");
    MDB_cursor* cur = nullptr;
    if (auto rc = mdb_cursor_open(txn.get(), t.dbi, &cur); rc != 0)
      return lmdb_error(rc, "open cursor on table \"" + t.name + "\"");
    MDB_val k = as_val(resume), v;
    int rc = resume.empty() ? mdb_cursor_get(cur, &k, &v, MDB_FIRST)
                            : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    std::uint64_t in_chunk = 0;
    for (; rc == 0 && in_chunk < chunk; ++in_chunk) {
      ++delivered;
      if (!fn(as_view(k), as_view(v))) {
        mdb_cursor_close(cur);
        return delivered;
      }
      resume = successor(as_view(k));
      rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
      return delivered;
    if (rc != 0)
      return lmdb_error(rc, "scan table \"" + t.name + "\"");
  }
}

expected<std::optional<std::string>> journal::get_table(const table& t,
                                                        std::string_view key) const {
  if (auto ok = check_key(t, key); !ok)
    return ok.error();
  read_txn txn{*impl_};
  if (txn.rc() != 0)
    return lmdb_error(txn.rc(), "begin read transaction");
  MDB_val k = as_val(key), v;
  auto rc = mdb_get(txn.get(), t.dbi, &k, &v);
  if (rc == MDB_NOTFOUND)
    return std::optional<std::string>{};
  if (rc != 0)
    return lmdb_error(rc, "get from table \"" + t.name + "\"");
  return std::optional<std::string>{std::string(as_view(v))};
}

} // namespace fp::journal
