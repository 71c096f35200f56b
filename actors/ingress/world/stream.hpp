#pragma once

// The world as five streams of canonical JSON rows, each in `ts_utc` order: the simulator's
// flows turned into rows, with traffic events held back (bounded lookahead) until every
// earlier row has been written.

#include "actors/ingress/world/types.hpp"
#include "schemas/expected.hpp"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace fp::world {

/// Receives every row once, in each output's `ts_utc` order: the RFC 8785 text without a
/// newline, and its time in milliseconds since the epoch.
using row_sink = std::function<void(output o, std::int64_t ts_ms, std::string_view line)>;

struct stream_stats {
  std::array<std::uint64_t, output_count> rows{};
  std::uint64_t flows = 0;
  std::uint64_t fraud_flows = 0;
  std::int64_t first_ts_ms = 0;
  std::int64_t last_ts_ms = 0;
  std::size_t peak_pending_intents = 0; ///< the simulator's lookahead
  std::size_t peak_pending_events = 0;  ///< traffic events held back for ordering
};

/// Generates the world of `p` (assumed valid) into `sink`. `on_flows` is called now and then
/// with the number of flows done.
stream_stats stream_world(const params& p, const row_sink& sink,
                          const std::function<void(std::uint64_t)>& on_flows = {});

/// `event_id = H(manifest_fingerprint, output_id, primary key values...)` (DESIGN.md section
/// 6) of a row of output `o`; strings hash as they are, integers as their decimal text.
/// `missing_field` when the row lacks a key field.
expected<std::string> row_event_id(std::string_view manifest_fingerprint, output o,
                                   const nlohmann::json& row);

} // namespace fp::world
