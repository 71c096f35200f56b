#pragma once

// The node's health as `/healthz` reports it: GREEN, AMBER (serving, something needs a look)
// or RED (not serving correctly), with machine-readable reasons.

#include "journal/types.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace fp::cluster {

struct health_inputs {
  bool stopping = false;
  bool bus_wired = false;
  journal::journal_stats journal;
  std::uint64_t quarantined = 0; ///< entities of every type
};

struct health {
  std::string status; ///< GREEN | AMBER | RED
  std::vector<std::string> reasons;
  int http_status() const { return status == "RED" ? 503 : 200; }
};

/// RED: `RUNTIME_STOPPING`, `JOURNAL_WRITE_FAILURES` (requests failed by LMDB or the file
/// system), `JOURNAL_CHECKSUM_FAILURES`. AMBER: `BUS_HEALTH_UNKNOWN` (no bus wired),
/// `ENTITIES_QUARANTINED`. GREEN otherwise.
health assess(const health_inputs& in);

} // namespace fp::cluster
