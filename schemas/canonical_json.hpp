#pragma once

#include "schemas/expected.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace fp::schemas {

/// Largest integer magnitude a JSON integer may have: 2^53. Beyond it an IEEE-754 double (the
/// number model RFC 8785 assumes) no longer holds every integer, so two ids could collide.
inline constexpr std::int64_t max_json_integer = std::int64_t{1} << 53;

/// Deepest nesting `parse_strict` accepts; the canonical writer recurses.
inline constexpr std::size_t max_json_depth = 128;

/// Parses `text` as I-JSON (RFC 7493): UTF-8, no duplicate keys (`duplicate_key`), no integer
/// outside +/-2^53 and no number that overflows a double (`number_out_of_range`), no NaN or
/// Infinity, nothing after the value. `root` names the document in messages, e.g. `envelope`
/// gives `envelope.payload.a: duplicate key "a"`.
expected<nlohmann::json> parse_strict(std::string_view text, std::string_view root = "json");

/// RFC 8785 (JCS) text of `value`: no whitespace, keys sorted by UTF-16 code units, strings
/// escaped per JCS, numbers as ECMAScript's Number.prototype.toString writes them. Assumes
/// `value` obeys `parse_strict`'s rules (use `canonical_checked` when it was built in code);
/// a NaN or Infinity is written as `null`, as JSON.stringify does.
std::string canonical(const nlohmann::json& value);

/// `canonical(value)`, after checking that every number is finite and every integer within
/// +/-2^53 (`number_out_of_range`) and that no binary value is present (`wrong_type`).
expected<std::string> canonical_checked(const nlohmann::json& value,
                                        std::string_view root = "json");

/// `canonical(parse_strict(json_text))`.
expected<std::string> canonicalize(std::string_view json_text, std::string_view root = "json");

/// ECMAScript Number::toString(x): shortest round-trip digits; plain notation for
/// 1e-6 <= |x| < 1e21, else `1e+30` / `5e-324`; -0 gives `0`. Non-finite gives `null`.
std::string format_number(double x);

/// `utf8` as a JCS string literal: `"` and `\` escaped, control characters as \b \t \n \f \r
/// or \u00xx, everything else (including `/` and non-ASCII) written as is.
std::string canonical_string(std::string_view utf8);

/// Orders two UTF-8 strings by their UTF-16 code units, as RFC 8785 sorts keys.
bool utf16_less(std::string_view a, std::string_view b);

} // namespace fp::schemas
