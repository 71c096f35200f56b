#pragma once

// The phases of `fp demo`: writing (demo_write.cpp), checking (demo_check.cpp) and the
// command that runs them and prints the summary (demo.cpp).

#include "journal/journal.hpp"
#include "journal/verify.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace fp::tools::demo_phases {

struct plan {
  std::uint64_t entities = 20000;
  std::uint64_t events_per_entity = 10;
  std::uint64_t threads = 16;
  std::uint64_t receipts = 300;
};

struct write_result {
  std::uint64_t prior_events = 0; ///< events the journal held before the demo
  std::uint64_t events = 0;
  std::uint64_t snapshots = 0;
  std::uint64_t objects = 0;
  std::uint64_t commits = 0;
  double seconds = 0;
  std::vector<std::string> failures;
};

/// Appends the plan's events from `plan.threads` threads, each pipelining one append per
/// entity of its share and waiting for the acks before the entities' next events (as an
/// actor does), saves snapshots and stores the receipts.
write_result write(journal::journal& j, const plan& p);

struct check_result {
  std::uint64_t sampled = 0;
  std::uint64_t used_snapshot = 0;
  std::uint64_t replayed = 0;
  double replay_seconds = 0;
  journal::verify_report verify;
  double verify_seconds = 0;
  std::vector<std::string> failures;
};

/// Recovers a sample of entities from snapshot+tail and from full replay, replays the whole
/// journal in global order and runs verify; every disagreement is a failure.
check_result check(const journal::journal& j, const plan& p);

} // namespace fp::tools::demo_phases
