#pragma once

#include "journal/errc.hpp"
#include "journal/tables.hpp"
#include "schemas/expected.hpp"
#include "schemas/types.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace fp::journal {

class journal;

/// An object written inside another journal write (`journal::append_async(pid, seq, events,
/// fn, done)` or `transact_async`), so that it commits with that write or not at all: run `fn`
/// in the write's function, and call `complete(committed)` from its completion. Write-once
/// as `object_store::put`: the same bytes at the path again write nothing; other bytes fail
/// the write with `object_conflict`. `fn` may run more than once (the journal retries a batch
/// after growing the map).
struct staged_object {
  txn_fn fn;
  std::function<void(bool committed)> complete;
  artifact_ref ref; ///< what `put` would return, valid once the write committed
};

/// The write-once object store: receipts, run facts, manifests, bundles and reports, each
/// addressed by a path (seed 003 §1.2 prefix map) and returned as an `artifact_ref` carrying
/// its sha256 digest. It lives in the journal's environment so that many small puts share
/// one group commit; objects larger than `options::max_inline_object_bytes` are written to a
/// content-addressed file (fsynced) and only their reference is committed.
class object_store {
public:
  explicit object_store(journal& j)
      : journal_(&j) {}

  using put_callback = std::function<void(expected<artifact_ref>)>;

  /// Durable on return. The same bytes at the same path again is a no-op returning the same
  /// ref; other bytes at an existing path fail with `object_conflict` and change nothing.
  expected<artifact_ref> put(std::string path, std::string bytes,
                             std::optional<std::string> schema_version = std::nullopt);
  void put_async(std::string path, std::string bytes, std::optional<std::string> schema_version,
                 put_callback done);

  /// Prepares `bytes` at `path` for another journal write (see `staged_object`). Only objects
  /// stored inline (up to `options::max_inline_object_bytes`) can be staged: a larger one,
  /// like a bad path or schema_version, is `invalid_argument`.
  expected<staged_object> stage(std::string path, std::string bytes,
                                std::optional<std::string> schema_version = std::nullopt);

  /// The object's bytes, verified against its digest (`corrupt` when they differ).
  expected<std::string> get(std::string_view path) const;
  /// The object's ref without reading its bytes; `not_found` when absent.
  expected<artifact_ref> stat(std::string_view path) const;
  /// Every object whose path starts with `prefix`, in path order.
  expected<std::uint64_t> list(std::string_view prefix,
                               const std::function<bool(const artifact_ref&)>& fn) const;

  /// Checks an object path: `schemas::is_object_key` (relative, `/`-separated segments of
  /// 1..128 of [A-Za-z0-9._:=-], none `.` or `..`) and at most 400 bytes.
  static expected<void> validate_path(std::string_view path);

private:
  journal* journal_;
};

} // namespace fp::journal
