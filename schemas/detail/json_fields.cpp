#include "schemas/detail/json_fields.hpp"

#include "schemas/canonical_json.hpp"
#include "schemas/errc.hpp"

#include <algorithm>
#include <cmath>

namespace fp::schemas::detail {

expected<nlohmann::json> parse_object(std::string_view text, std::string_view doc) {
  auto parsed = parse_strict(text, doc);
  if (!parsed)
    return parsed;
  if (!parsed->is_object())
    return fp::error{errc::wrong_type, std::string(doc) + ": expected a JSON object, got " +
                                           std::string(json_type_name(*parsed))};
  return parsed;
}

std::string_view json_type_name(const nlohmann::json& v) noexcept {
  switch (v.type()) {
  case nlohmann::json::value_t::null:
    return "null";
  case nlohmann::json::value_t::boolean:
    return "boolean";
  case nlohmann::json::value_t::number_integer:
  case nlohmann::json::value_t::number_unsigned:
    return "integer";
  case nlohmann::json::value_t::number_float:
    return "number";
  case nlohmann::json::value_t::string:
    return "string";
  case nlohmann::json::value_t::array:
    return "array";
  case nlohmann::json::value_t::object:
    return "object";
  default:
    return "non-JSON value";
  }
}

expected<void> expect_object(const nlohmann::json& value, std::string_view path) {
  if (value.is_object())
    return {};
  return fp::error{errc::wrong_type, std::string(path) + ": expected a JSON object, got " +
                                         std::string(json_type_name(value))};
}

std::string object_reader::path(std::string_view field) const {
  return std::string(doc_) + path_step(field);
}

expected<void> object_reader::only_keys(std::initializer_list<std::string_view> known) const {
  for (auto it = obj_.begin(); it != obj_.end(); ++it)
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      return fp::error{errc::unknown_field,
                       path(it.key()) + ": unknown field (the contract does not define it)"};
  return {};
}

const nlohmann::json* object_reader::find(std::string_view field) const {
  auto it = obj_.find(field);
  return it == obj_.end() ? nullptr : &*it;
}

expected<std::string> object_reader::string(std::string_view field) const {
  auto got = optional_string(field);
  if (!got)
    return std::move(got).error();
  if (!*got)
    return fp::error{errc::missing_field, path(field) + ": missing (required)"};
  return std::move(**got);
}

expected<std::optional<std::string>> object_reader::optional_string(std::string_view field) const {
  const nlohmann::json* v = find(field);
  if (!v)
    return std::optional<std::string>{};
  if (!v->is_string())
    return fp::error{errc::wrong_type,
                     path(field) + ": expected a string, got " + std::string(json_type_name(*v))};
  return std::optional<std::string>{v->get<std::string>()};
}

expected<std::uint64_t> object_reader::uint(std::string_view field, std::uint64_t max) const {
  auto got = optional_uint(field, max);
  if (!got)
    return std::move(got).error();
  if (!*got)
    return fp::error{errc::missing_field, path(field) + ": missing (required)"};
  return **got;
}

expected<std::optional<std::uint64_t>> object_reader::optional_uint(std::string_view field,
                                                                    std::uint64_t max) const {
  const nlohmann::json* v = find(field);
  if (!v)
    return std::optional<std::uint64_t>{};
  auto out_of_range = [&] {
    return fp::error{errc::bad_format, path(field) + ": not within 0.." + std::to_string(max) +
                                           " (" + canonical(*v) + ")"};
  };
  if (v->is_number_unsigned()) {
    auto u = v->get<std::uint64_t>();
    if (u > max)
      return out_of_range();
    return std::optional<std::uint64_t>{u};
  }
  if (v->is_number_integer()) { // negatives, and `-0`, arrive as signed
    if (v->get<std::int64_t>() != 0)
      return out_of_range();
    return std::optional<std::uint64_t>{0};
  }
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (d != std::floor(d))
      return fp::error{errc::wrong_type,
                       path(field) + ": expected an integer, got " + canonical(*v)};
    if (d < 0 || d > static_cast<double>(max))
      return out_of_range();
    return std::optional<std::uint64_t>{static_cast<std::uint64_t>(d)};
  }
  return fp::error{errc::wrong_type,
                   path(field) + ": expected an integer, got " + std::string(json_type_name(*v))};
}

} // namespace fp::schemas::detail
