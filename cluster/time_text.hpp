#pragma once

// RFC 3339 UTC times at the HTTP boundary, as nanoseconds since the Unix epoch.

#include "schemas/expected.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace fp::cluster {

/// `2026-01-01T00:00:00.000000123Z`: always nine fraction digits.
std::string format_rfc3339_ns(std::int64_t ns_since_epoch);

/// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` (schemas::is_rfc3339_utc) into nanoseconds; `field`
/// names the value in the error (`errc::bad_parameter`).
expected<std::int64_t> parse_rfc3339_ns(std::string_view field, std::string_view text);

} // namespace fp::cluster
