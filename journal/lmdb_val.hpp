#pragma once

// Internal to journal/: conversions between LMDB values and string views, and a cursor that
// closes itself.

#include <lmdb.h>

#include <string_view>

namespace fp::journal {

inline std::string_view as_view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

/// LMDB never writes through a key or data value passed to it, so dropping const is safe.
inline MDB_val as_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

/// An LMDB cursor closed when it goes out of scope (a read-only transaction's cursors are not
/// freed with it), on every return path.
struct scoped_cursor {
  MDB_cursor* c = nullptr;
  scoped_cursor() = default;
  scoped_cursor(const scoped_cursor&) = delete;
  scoped_cursor& operator=(const scoped_cursor&) = delete;
  ~scoped_cursor() { close(); }
  /// Closes it now (before its write transaction ends, on a path that ends it).
  void close() {
    if (c != nullptr)
      mdb_cursor_close(c);
    c = nullptr;
  }
  /// mdb_cursor_open's result (0 on success).
  int open(MDB_txn* txn, MDB_dbi dbi) { return mdb_cursor_open(txn, dbi, &c); }
};

} // namespace fp::journal
