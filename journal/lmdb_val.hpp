#pragma once

// Internal to journal/: conversions between LMDB values and string views.

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

} // namespace fp::journal
