#pragma once

// Publishing inside a journal write (DESIGN.md §5): a journal event and the records it
// publishes commit as one write. Only a backend that shares the journal's environment can do it
// (the embedded bus); for any other `stage_publish` answers `invalid_argument`, and the caller
// publishes after its write instead.

#include "bus/event_bus.hpp"
#include "journal/tables.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace fp::bus {

/// Records to publish inside another journal write, so that a journal event and the records
/// it publishes are one atomic write (journal::append_async(pid, seq, events, fn, done)):
/// pass `fn` to the write; from its completion call `complete(committed)`, which makes the
/// records visible to consumers and returns their origins (empty when not committed). `fn`
/// may run more than once (the journal retries a batch after growing the map).
struct staged_publish {
  journal::txn_fn fn;
  std::function<std::vector<fp::origin_offset>(bool committed)> complete;
  /// Makes `fn` write nothing and fail with `offset_moved` unless the first record gets
  /// exactly `offset` (call it before the write is queued): a writer that names the offset in
  /// its own events before the commit (which assigns it) learns inside the same transaction
  /// whether it was right.
  std::function<void(std::int64_t offset)> expect;
  /// The offset the first record would have got when `fn` last refused (-1 before any).
  std::function<std::int64_t()> moved_to;
};

/// Validates and encodes `records` (as `produce` would: `unknown_topic`, `invalid_argument`,
/// `too_large`) for one atomic write. `invalid_argument` if `bus` cannot stage (it is not an
/// embedded bus).
expected<staged_publish> stage_publish(event_bus& bus, std::vector<produce_record> records);

} // namespace fp::bus
