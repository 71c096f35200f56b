#pragma once

// Small formatting helpers shared by the fp subcommands.

#include <cstdint>
#include <string>
#include <string_view>

namespace fp::tools {

/// `2026-01-01T00:00:00.000000123Z`: RFC 3339, UTC, nanoseconds.
std::string rfc3339_ns(std::int64_t ns_since_epoch);

/// Lowercase hex of `bytes`.
std::string to_hex(std::string_view bytes);

/// `1.5 MiB`: for people, never for scripts.
std::string human_bytes(std::uint64_t n);

/// `"` + `s` + `"` with quotes and control bytes escaped, for naming things in messages.
std::string in_quotes(std::string_view s);

} // namespace fp::tools
