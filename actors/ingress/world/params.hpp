#pragma once

// Checking, recording and hashing the generation parameters; the time formats they use.

#include "actors/ingress/world/types.hpp"
#include "schemas/expected.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace fp::world {

// -- bounds (inclusive) ---------------------------------------------------------------------
inline constexpr std::uint64_t max_seed = (std::uint64_t{1} << 53) - 1; // a JSON-safe integer
inline constexpr std::uint64_t max_merchants = 100'000;
inline constexpr std::uint64_t max_flows = 100'000'000;
inline constexpr std::int64_t min_span_seconds = 60;
inline constexpr std::int64_t max_span_seconds = 366LL * 86400;
inline constexpr std::uint64_t min_part_rows = 1'000;
inline constexpr std::uint64_t max_part_rows = 100'000'000;
inline constexpr std::uint64_t max_fraud_rate_bp = 2'000; // 20 %

/// Checks every field; the message starts with the field's name as `parameters_json` spells
/// it, then the rule: `merchants: must be 1..100000 (got 0)`. Code `bad_parameter`.
expected<void> validate(const params& p);

/// The parameters as the manifest records them (without `seed`), with the generator's name,
/// version and PRNG: what `parameter_hash` is taken over.
nlohmann::json parameters_json(const params& p);

/// `sha256_hex(canonical(parameters_json(p)))`.
std::string parameter_hash(const params& p);

/// `YYYY-MM-DDTHH:MM:SSZ` (whole seconds, UTC) to milliseconds since the epoch; refuses
/// fractions and anything `schemas::is_rfc3339_utc` refuses. `field` names it in messages.
expected<std::int64_t> parse_start(std::string_view field, std::string_view text);

/// `N` followed by `s`, `m`, `h` or `d` (`90m`, `1d`) to seconds.
expected<std::int64_t> parse_span(std::string_view field, std::string_view text);

/// Milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (always three digits, so that
/// text order is time order).
std::string format_ts(std::int64_t ms);
/// Writes `format_ts(ms)` (24 characters) to `out`.
void format_ts_to(std::int64_t ms, char* out) noexcept;

/// `YYYY-MM-DDTHH:MM:SSZ` (whole seconds).
std::string format_start(std::int64_t ms);

} // namespace fp::world
