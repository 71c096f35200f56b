#pragma once

#include "schemas/expected.hpp"
#include "schemas/types.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fp::schemas {

/// The canonical event envelope (DESIGN.md section 6; JSON Schema in
/// `contracts/envelope.schema.json`). Flat: each field once. `payload` holds the RFC 8785 text
/// of a JSON object, so the envelope carries no JSON library and `payload_hash` is
/// `sha256_hex(payload)`.
struct envelope {
  fp::event_id event_id;                     ///< path-safe, 1..128
  std::string event_type;                    ///< 1..128 of [A-Za-z0-9._:-]
  std::string schema_version;                ///< `v<digits>`
  std::string ts_utc;                        ///< domain time, RFC 3339 with Z
  std::optional<std::string> emitted_at_utc; ///< producer send time, RFC 3339 with Z
  // -- ContextPins ----------------------------------------------------------------------
  fp::platform_run_id platform_run_id;           ///< platform_YYYYMMDDTHHMMSSZ
  fp::scenario_run_id scenario_run_id;           ///< 64 lowercase hex
  fp::scenario_id scenario_id;                   ///< path-safe
  fp::manifest_fingerprint manifest_fingerprint; ///< 64 lowercase hex
  fp::parameter_hash parameter_hash;             ///< 64 lowercase hex
  std::optional<std::uint64_t> seed;             ///< 0..2^53-1; required for synthetic runs
  std::string payload;                           ///< canonical JSON text of an object

  friend bool operator==(const envelope&, const envelope&) = default;
};

struct envelope_options {
  /// Synthetic runs (every `fp world` run) must carry `seed`.
  bool require_seed = false;
};

/// Parses and validates envelope JSON. A rejection's message starts with the field's path
/// (`envelope.ts_utc: ...`, see `field_of`); codes: malformed_json, duplicate_key,
/// number_out_of_range, missing_field, unknown_field, legacy_field (`run_id`), wrong_type,
/// bad_format, not_path_safe.
expected<envelope> parse_envelope(std::string_view json_text, envelope_options options = {});
/// The same rules over a document already parsed (strictly, see `parse_strict`).
/// `canonical_payload`, when not empty, is `canonical(doc["payload"])` as the caller already
/// wrote it (see `canonical_locating`); it is taken as is instead of being written again.
expected<envelope> envelope_from_json(const nlohmann::json& doc, envelope_options options = {},
                                      std::string_view canonical_payload = {});

/// Checks a built envelope against the same rules `parse_envelope` applies.
expected<void> validate_envelope(const envelope& e, envelope_options options = {});

/// The envelope's RFC 8785 JSON text. `e.payload` must already be canonical.
std::string to_json(const envelope& e);

/// msgpack, a versioned array: `[1, event_id, event_type, schema_version, ts_utc,
/// emitted_at_utc|nil, platform_run_id, scenario_run_id, scenario_id, manifest_fingerprint,
/// parameter_hash, seed|nil, payload (bin)]`. Pinned by a golden-bytes test.
std::string encode_msgpack(const envelope& e);

/// Decodes `encode_msgpack`'s bytes and validates the result. Never throws: bad bytes give
/// bad_encoding, another version unsupported_version, a bad field its validation code.
expected<envelope> decode_envelope(std::string_view bytes);

/// The msgpack format version `encode_msgpack(const envelope&)` writes.
inline constexpr std::uint32_t envelope_format_version = 1;

} // namespace fp::schemas
