#pragma once

#include "schemas/expected.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

/// Internal to schemas/: reading a contract's fields out of a parsed JSON object.
namespace fp::schemas::detail {

/// Largest value of an integer field: 2^53 - 1, the largest integer JSON carries exactly.
inline constexpr std::uint64_t max_safe_uint = (std::uint64_t{1} << 53) - 1;

/// `parse_strict(text, doc)`, then rejects anything but an object (`wrong_type`).
expected<nlohmann::json> parse_object(std::string_view text, std::string_view doc);

/// The JSON type of `v` as a contract names it: string, integer, number, object, ...
std::string_view json_type_name(const nlohmann::json& v) noexcept;

/// `wrong_type` naming `path` unless `value` is a JSON object.
expected<void> expect_object(const nlohmann::json& value, std::string_view path);

/// Reads the fields of one JSON object; every rejection names `doc.field`.
class object_reader {
public:
  object_reader(const nlohmann::json& object, std::string_view doc)
      : obj_(object)
      , doc_(doc) {}

  /// `doc.field`.
  std::string path(std::string_view field) const;

  /// Rejects the first key (in byte order) not in `known` (`unknown_field`).
  expected<void> only_keys(std::initializer_list<std::string_view> known) const;

  /// The field's value, or nullptr when absent.
  const nlohmann::json* find(std::string_view field) const;

  expected<std::string> string(std::string_view field) const;
  expected<std::optional<std::string>> optional_string(std::string_view field) const;

  /// A non-negative integer up to `max`. A number with a zero fraction (`3.0`) counts as an
  /// integer, as in JSON Schema and in canonical form.
  expected<std::uint64_t> uint(std::string_view field, std::uint64_t max) const;
  expected<std::optional<std::uint64_t>> optional_uint(std::string_view field,
                                                       std::uint64_t max) const;

private:
  const nlohmann::json& obj_;
  std::string_view doc_;
};

} // namespace fp::schemas::detail
