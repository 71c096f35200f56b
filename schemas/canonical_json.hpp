#pragma once

#include "schemas/expected.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

namespace detail {
/// `parse_strict`'s two halves, for tests: the one-pass parser (a document it takes, or
/// nullopt for anything it leaves to the other) and the SAX parser that names every refusal.
std::optional<nlohmann::json> parse_fast(std::string_view text);
expected<nlohmann::json> parse_sax(std::string_view text, std::string_view root = "json");
} // namespace detail

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

/// Appends `canonical_string(utf8)` to `out`.
void append_canonical_string(std::string& out, std::string_view utf8);

/// `canonical(value)` and, when `value` is an object with the member `key`, where that
/// member's value sits in the text: the same bytes `canonical(value[key])` gives, so a caller
/// that needs both (an event and its payload) writes them once.
struct located_canonical {
  std::string text;
  std::size_t member_offset = std::string::npos;
  std::size_t member_size = 0;
  /// The member's canonical text, a view into `text`; nullopt when there is no such member.
  std::optional<std::string_view> member() const;
};
located_canonical canonical_locating(const nlohmann::json& value, std::string_view key);

/// RFC 8785 text of an object built in code, without a JSON tree: members are added in any
/// order, each value as canonical JSON text (`raw`) or through the typed helpers; `take` sorts
/// the keys by UTF-16 code units and writes the object through `canonical_writer` (below,
/// the same helpers for keys added already sorted). Keys must be distinct.
class canonical_object {
public:
  canonical_object& raw(std::string_view key, std::string value_json);
  canonical_object& str(std::string_view key, std::string_view value);
  /// `null` when `value` is empty.
  canonical_object& str_or_null(std::string_view key, std::string_view value);
  /// Within +/-2^53 (beyond it, written as the nearest double, as `canonical` does).
  canonical_object& integer(std::string_view key, std::int64_t value);
  canonical_object& null(std::string_view key);
  std::string take();

private:
  std::vector<std::pair<std::string, std::string>> members_;
};

/// RFC 8785 text of an object whose keys the caller adds already sorted (by UTF-16 code units,
/// as `canonical_object::take` would order them), written straight into one string: for a
/// fixed set of keys on a hot path. A key not after the one before throws std::logic_error
/// rather than write text that is not canonical.
class canonical_writer {
public:
  canonical_writer& raw(std::string_view key, std::string_view value_json);
  canonical_writer& str(std::string_view key, std::string_view value);
  /// `null` when `value` is empty.
  canonical_writer& str_or_null(std::string_view key, std::string_view value);
  /// Within +/-2^53 (beyond it, written as the nearest double, as `canonical` does).
  canonical_writer& integer(std::string_view key, std::int64_t value);
  canonical_writer& null(std::string_view key);
  std::string take();

private:
  void key(std::string_view k);
  std::string out_ = "{";
  std::string last_key_;
  bool first_ = true;
};

/// Orders two UTF-8 strings by their UTF-16 code units, as RFC 8785 sorts keys.
bool utf16_less(std::string_view a, std::string_view b);

} // namespace fp::schemas
