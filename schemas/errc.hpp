#pragma once

#include "schemas/error.hpp"

#include <string>
#include <string_view>

namespace fp::schemas {

/// Machine-readable reasons a document is rejected at a boundary. Each rejection also
/// names the field (a JSON pointer-like path such as `payload.amount`) and the rule.
enum class errc {
  malformed_json = 1,  ///< not parseable as JSON (syntax, bad UTF-8, trailing bytes)
  duplicate_key,       ///< an object names the same key twice
  number_out_of_range, ///< NaN/Infinity, or an integer outside +/-2^53
  missing_field,       ///< a required field is absent
  unknown_field,       ///< a field the contract does not define
  legacy_field,        ///< a retired field (e.g. `run_id`) that must be renamed
  wrong_type,          ///< the field has the wrong JSON type
  bad_format,          ///< the value breaks the field's format rule (pattern, length, range)
  not_path_safe,       ///< an id that becomes a path segment holds forbidden characters
  bad_encoding,        ///< binary (msgpack) bytes that do not decode to the contract
  unsupported_version, ///< a versioned encoding this build does not know
  bad_config,          ///< a configuration or policy file key is unknown, mistyped or missing
};

std::string to_string(errc code);

/// Every rejection message starts with the field's path and a colon, then the rule:
/// `envelope.ts_utc: not RFC 3339 UTC ("2026-13-01")`. Returns that path (`envelope.ts_utc`),
/// or the whole message when it does not follow the convention.
std::string_view field_of(const fp::error& err) noexcept;

/// `value` as a JSON string literal for a message, cut to `max_bytes` (then `...` appended), so
/// that a hostile value cannot flood a log line or smuggle control characters into it.
std::string quote_value(std::string_view value, std::size_t max_bytes = 80);

/// One step of a field path for object key `key`: `.key` when the key is a plain name
/// ([A-Za-z0-9_$-]), else `["..."]` quoted by `quote_value`, so that a key cannot forge
/// another field's path (`"ts_utc: x"`, a newline, a `.`).
std::string path_step(std::string_view key);

} // namespace fp::schemas

template <>
struct fp::error_domain<fp::schemas::errc> {
  static constexpr const char* name = "schemas";
};
