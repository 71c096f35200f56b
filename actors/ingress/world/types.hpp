#pragma once

// The generation parameters of a sealed world and the names of what it holds.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace fp::world {

/// Bumped whenever the same parameters would give other bytes: it is part of
/// `parameter_hash`, so an old world and a new one never share a path.
inline constexpr std::string_view generator_name = "fp-world-synth";
inline constexpr std::string_view generator_version = "1";
inline constexpr std::string_view prng_name = "xoshiro256** seeded by splitmix64";

/// Everything that decides a world's bytes. `seed` is a path token of its own and is not part
/// of `parameter_hash`; the rest is (see `parameters_json`).
struct params {
  std::uint64_t seed = 0;
  std::uint64_t merchants = 20;
  std::uint64_t flows = 2000;
  std::int64_t start_ms = 1767225600000; ///< 2026-01-01T00:00:00Z
  std::int64_t span_seconds = 86400;
  std::string scenario_id = "baseline_v1";
  std::uint64_t part_rows = 1'000'000;
  std::uint64_t fraud_rate_bp = 250; ///< target share of fraud flows, basis points
};

/// The outputs, in the fixed order used by `manifest_fingerprint`. The first four are what
/// WSP streams; `truth` is the label plane's surface, kept in its own directory.
enum class output : int {
  arrival_events = 0,
  arrival_entities,
  flow_anchor,
  event_stream,
  truth,
};
inline constexpr int output_count = 5;
inline constexpr std::array<output, output_count> all_outputs{
    output::arrival_events, output::arrival_entities, output::flow_anchor, output::event_stream,
    output::truth};

/// `arrival_events_5B`, `s1_arrival_entities_6B`, ... and `s4_flow_truth_6B` for truth.
std::string_view output_id(output o) noexcept;
/// `business_traffic` for the event stream, `context` for the other three, `truth`.
std::string_view output_role(output o) noexcept;
/// Directory of the output relative to the world root: `outputs/<id>` or `truth/<id>`.
std::string output_dir(output o);
/// The fields of the primary key, in the order `event_id` hashes them.
std::span<const std::string_view> primary_key(output o) noexcept;

} // namespace fp::world
