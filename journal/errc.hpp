#pragma once

#include "schemas/error.hpp"

#include <string>

namespace fp::journal {

/// Every LMDB and file-system failure is translated into one of these at the journal's edge.
enum class errc {
  seq_conflict = 1, ///< append's expected seq is not the stream's head: nothing was written
  map_full,         ///< the map could not grow (disk or configured maximum reached)
  io,               ///< LMDB or the file system failed; the batch was not committed
  too_large,        ///< a record or object exceeds the configured maximum
  corrupt,          ///< stored bytes fail their checksum or do not decode
  invalid_argument, ///< bad persistence id, path, seq or option
  object_conflict,  ///< a write-once object path already holds other bytes
  not_found,        ///< no such stream, snapshot or object
  closed,           ///< the journal is shutting down and takes no more writes
  read_only,        ///< the journal was opened read-only
};

std::string to_string(errc code);

} // namespace fp::journal

template <>
struct fp::error_domain<fp::journal::errc> {
  static constexpr const char* name = "journal";
};
