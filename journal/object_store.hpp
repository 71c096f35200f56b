#pragma once

#include "journal/errc.hpp"
#include "schemas/expected.hpp"
#include "schemas/types.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace fp::journal {

class journal;

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
