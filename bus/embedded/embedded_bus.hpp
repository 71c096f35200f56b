#pragma once

// The embedded backend (DESIGN.md §5): a partitioned log in the node's journal environment,
// sharing the journal writer's group commit. See bus/README.md.

#include "bus/event_bus.hpp"
#include "bus/staged_publish.hpp"
#include "journal/journal.hpp"

#include <cstdint>
#include <functional>
#include <memory>

namespace fp::bus {

/// How group partitions are spread over members (per topic, members in join order).
enum class assignment_strategy { range, round_robin };

struct embedded_options {
  /// Milliseconds since the Unix epoch: stamps records (`message::timestamp_ms`) and decides
  /// time retention. Empty = the system clock. Tests inject their own.
  std::function<std::int64_t()> clock_ms;
  assignment_strategy assignment = assignment_strategy::range;
  std::size_t max_record_bytes = 1u << 20; ///< key + value + headers; larger is `too_large`
  std::int32_t max_partitions = 1024;      ///< per topic
  /// Run retention after a produce batch when a partition it touched is over its limits.
  bool retention_after_produce = true;
};

/// Opens the bus over `j` (which must outlive the bus and its consumers' use): creates its
/// tables if need be and loads topics and partition watermarks. Refuses a read-only journal
/// (`invalid_argument`).
expected<std::unique_ptr<event_bus>> open_embedded_bus(journal::journal& j,
                                                       embedded_options opts = {});

/// Applies retention to every topic now (time by `clock_ms`, bytes per partition), trimming
/// whole records from the low end; returns how many records were removed. `invalid_argument`
/// if `bus` is not an embedded bus.
expected<std::uint64_t> enforce_retention(event_bus& bus);

} // namespace fp::bus
