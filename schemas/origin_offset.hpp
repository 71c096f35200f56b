#pragma once

#include "schemas/expected.hpp"
#include "schemas/types.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace fp::schemas {

/// The msgpack format version `encode_msgpack(const origin_offset&)` writes.
inline constexpr std::uint32_t origin_offset_format_version = 1;

/// Rules (JSON Schema: `contracts/origin_offset.schema.json`): `topic` a Kafka topic name
/// (`is_topic`), `partition` an integer in 0..2^31-1, `offset` an integer in 0..2^53-1; all
/// three required, no other field. Messages start `origin_offset.<field>`.
expected<void> validate_origin_offset(const fp::origin_offset& o);

/// Parses and validates origin_offset JSON text.
expected<fp::origin_offset> parse_origin_offset(std::string_view json_text);

/// Reads an origin_offset embedded in a larger document; `path` prefixes messages.
expected<fp::origin_offset> origin_offset_from_json(const nlohmann::json& value,
                                                    std::string_view path);

/// The RFC 8785 JSON text of `o`.
std::string to_json(const fp::origin_offset& o);

/// msgpack: `[1, topic, partition, offset]`.
std::string encode_msgpack(const fp::origin_offset& o);

/// Decodes `encode_msgpack`'s bytes and validates the result. Never throws.
expected<fp::origin_offset> decode_origin_offset(std::string_view bytes);

} // namespace fp::schemas
