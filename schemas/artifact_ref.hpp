#pragma once

#include "schemas/expected.hpp"
#include "schemas/types.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace fp::schemas {

/// The only `digest_alg` this build knows.
inline constexpr std::string_view digest_alg_sha256 = "sha256";

/// The msgpack format version `encode_msgpack(const artifact_ref&)` writes.
inline constexpr std::uint32_t artifact_ref_format_version = 1;

/// Rules (JSON Schema: `contracts/artifact_ref.schema.json`): `ref` required, an object key
/// (`is_object_key`); `digest` and `digest_alg` both present or both absent, `digest_alg` is
/// "sha256" and `digest` then 64 lowercase hex; `schema_version` is `v<digits>`;
/// `size_bytes` an integer in 0..2^53-1. No other field. Messages start `artifact_ref.<field>`.
expected<void> validate_artifact_ref(const fp::artifact_ref& ref);

/// Parses and validates artifact_ref JSON text (duplicate keys and the rest of
/// `parse_strict`'s rules apply).
expected<fp::artifact_ref> parse_artifact_ref(std::string_view json_text);

/// Reads an artifact_ref embedded in a larger document; `path` prefixes messages, e.g.
/// `receipt.evidence_ref`.
expected<fp::artifact_ref> artifact_ref_from_json(const nlohmann::json& value,
                                                  std::string_view path);

/// The RFC 8785 JSON text of `ref`; absent optionals are left out.
std::string to_json(const fp::artifact_ref& ref);

/// msgpack: `[1, ref, digest|nil, digest_alg|nil, schema_version|nil, size_bytes|nil]`.
std::string encode_msgpack(const fp::artifact_ref& ref);

/// Decodes `encode_msgpack`'s bytes and validates the result. Never throws.
expected<fp::artifact_ref> decode_artifact_ref(std::string_view bytes);

} // namespace fp::schemas
