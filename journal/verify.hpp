#pragma once

#include "journal/journal.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace fp::journal {

/// One thing `verify` found wrong, naming the record.
struct verify_problem {
  std::string where; ///< e.g. `event global_seq=17 (persistence_id "acct-3" seq 4)`
  std::string what;  ///< e.g. `checksum mismatch`
};

struct verify_report {
  std::uint64_t events = 0;
  std::uint64_t streams = 0;
  std::uint64_t snapshots = 0;
  std::uint64_t objects = 0;
  std::uint64_t problems = 0;
  std::optional<verify_problem> first_problem;
  bool ok() const { return problems == 0; }
};

/// Checks every record's checksum, per-stream seq continuity (1, 2, 3, ...), global-seq
/// continuity (no gap from 1), that the stream index and the records agree, that every
/// snapshot decodes and points at an existing event, and that every object's bytes match
/// their digest. `progress(done, total)` is called now and then during the event scan.
expected<verify_report>
verify(const journal& j,
       const std::function<void(std::uint64_t, std::uint64_t)>& progress = nullptr);

} // namespace fp::journal
