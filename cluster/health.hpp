#pragma once

// The node's health as `/healthz` reports it: GREEN, AMBER (serving, something needs a look)
// or RED (not serving correctly), with machine-readable reasons.

#include "bus/event_bus.hpp"
#include "journal/types.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace fp::cluster {

/// What /healthz and /metrics read of the bus.
struct bus_status {
  bool wired = false;     ///< a backend is open
  bool reachable = false; ///< the last probe reached it
  std::string backend;    ///< embedded | kafka
  std::string detail;     ///< why the last probe failed (the backend's reason)
  bus::bus_stats stats;
};

struct health_inputs {
  bool stopping = false;
  bus_status bus;
  journal::journal_stats journal;
  std::uint64_t quarantined = 0;      ///< entities of every type
  std::vector<std::string> plane_red; ///< the planes' own reasons (e.g. IG's)
  std::vector<std::string> plane_amber;
};

struct health {
  std::string status; ///< GREEN | AMBER | RED
  std::vector<std::string> reasons;
  int http_status() const { return status == "RED" ? 503 : 200; }
};

/// RED: `RUNTIME_STOPPING`, `JOURNAL_WRITE_FAILURES` (requests failed by LMDB or the file
/// system), `JOURNAL_CHECKSUM_FAILURES`, `BUS_UNREACHABLE` (the last bus probe failed: nothing can
/// be published). AMBER: `BUS_HEALTH_UNKNOWN` (no bus wired), `ENTITIES_QUARANTINED`. The
/// planes add their own reasons to either. GREEN otherwise.
health assess(const health_inputs& in);

} // namespace fp::cluster
