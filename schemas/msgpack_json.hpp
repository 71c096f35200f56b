#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>

namespace fp::schemas {

/// Decodes `bytes` generically into JSON when they hold exactly one msgpack value: maps
/// become objects (a key that is not a string becomes its JSON text), bin becomes
/// `{"$bin_hex": "..."}`, ext becomes `{"$ext_type": N, "$ext_hex": "..."}`. Returns nullopt
/// for anything else: truncated or trailing bytes, nesting deeper than 256 levels.
std::optional<nlohmann::ordered_json> msgpack_to_json(std::string_view bytes);

} // namespace fp::schemas
