#pragma once

#include "schemas/expected.hpp"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace fp::schemas {

/// SHA-256 of `bytes`.
std::array<std::uint8_t, 32> sha256(std::string_view bytes);

/// `bytes` as lowercase hex, two digits a byte.
std::string to_hex(std::string_view bytes);

/// SHA-256 of `bytes` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

/// `sha256_hex(canonical(payload))`: the hash of a payload's RFC 8785 form, so two payloads
/// that differ only in key order, whitespace or number spelling hash the same. A value that
/// has no canonical form (NaN, an integer beyond +/-2^53, binary) is refused, never hashed as
/// something else.
expected<std::string> payload_hash(const nlohmann::json& payload);

/// A composite id: SHA-256 over each part framed as its length (8 bytes, big-endian) followed
/// by its bytes, as lowercase hex. The framing makes ("ab", "c") and ("a", "bc") differ, which
/// plain concatenation would not. DESIGN.md section 6 calls this H(a, b, ...).
std::string composite_id(std::initializer_list<std::string_view> parts);

/// `composite_id({parts...})` for anything convertible to `std::string_view`.
template <class... Parts>
std::string hash_parts(const Parts&... parts) {
  return composite_id({std::string_view(parts)...});
}

} // namespace fp::schemas
