#pragma once

// Named tables: extra key/value databases in the journal's LMDB environment, written inside
// the writer thread's group commit (journal::transact_async) so that other modules (the
// embedded bus) share its single fsync per batch and can commit atomically with events.
// No LMDB header here; FORMAT.md lists the tables the platform creates.

#include "journal/errc.hpp"
#include "schemas/expected.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace fp::journal {

/// A handle to a named table, from `journal::open_table`. Cheap to copy; valid for the life of
/// the journal that opened it.
struct table {
  unsigned dbi = 0;
  std::string name;
};

/// Table names: 1..64 bytes of [a-z0-9._-]. The journal's own databases (events, streams,
/// snapshots, objects, object_log, meta) are not tables.
inline constexpr std::size_t max_table_name = 64;
/// Keys are 1..511 bytes (LMDB's limit).
inline constexpr std::size_t max_table_key = 511;

enum class put_mode {
  append,       ///< the key sorts after every key in the table (fast path; else conflict)
  no_overwrite, ///< fails with `object_conflict` if the key exists
  upsert,       ///< inserts or replaces
};

/// The writer's view of one request inside the group commit: an LMDB nested transaction, so
/// a request that fails rolls back only its own writes. Only valid inside the function given
/// to `transact_async` / `append_async(..., fn)`; views point into the map and die with it.
class txn_context {
public:
  using kv = std::pair<std::string_view, std::string_view>;

  /// The value at `key`, or nullopt.
  expected<std::optional<std::string_view>> get(const table& t, std::string_view key);
  expected<void> put(const table& t, std::string_view key, std::string_view value,
                     put_mode mode = put_mode::upsert);
  /// Whether the key existed.
  expected<bool> del(const table& t, std::string_view key);
  /// Deletes every key in [from, to) and returns how many.
  expected<std::uint64_t> del_range(const table& t, std::string_view from, std::string_view to);
  /// The greatest / smallest key starting with `prefix`, with its value, or nullopt.
  expected<std::optional<kv>> seek_last(const table& t, std::string_view prefix);
  expected<std::optional<kv>> seek_first(const table& t, std::string_view prefix);
  /// Calls `fn` for keys from `from` (inclusive) in order while it returns true.
  expected<void> scan(const table& t, std::string_view from,
                      const std::function<bool(std::string_view, std::string_view)>& fn);

  /// Internal: constructed by the writer around its nested transaction.
  explicit txn_context(void* txn)
      : txn_(txn) {}
  /// Internal: an LMDB failure that must abort the whole batch (MDB_MAP_FULL: it is retried
  /// in a bigger map), 0 if none.
  int fatal() const { return fatal_; }

private:
  error fail(int rc, std::string_view what, const table& t);
  void* txn_;
  int fatal_ = 0;
};

/// A function run by the writer inside a request's nested transaction. Returning an error
/// rolls back what it wrote and fails only its request. It may run more than once (after the
/// map grows the batch is retried whole), so it must compute everything from the transaction
/// and its inputs, and keep its side effects for the completion callback.
using txn_fn = std::function<expected<void>(txn_context&)>;

} // namespace fp::journal
