#pragma once

#include "schemas/expected.hpp"
#include "schemas/types.hpp"

#include <chrono>
#include <string_view>

namespace fp::schemas {

/// Longest id that may become an object-store path segment.
inline constexpr std::size_t max_path_segment = 128;

/// 1..128 characters of [A-Za-z0-9._:=-], and not `.` or `..`: safe as one path segment.
bool is_path_safe_id(std::string_view value) noexcept;

/// 64 lowercase hex digits (a SHA-256 in hex).
bool is_hex64(std::string_view value) noexcept;

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` naming a real instant: month 1-12, day within the month
/// (leap years per the Gregorian rule), hour < 24, minute < 60, second < 60 (no leap second).
bool is_rfc3339_utc(std::string_view value) noexcept;

/// `platform_YYYYMMDDTHHMMSSZ` with a real date and time, as `make_platform_run_id` writes.
bool is_platform_run_id(std::string_view value) noexcept;

/// An object-store key relative to the bucket: 1..1024 bytes of path-safe segments joined by
/// `/` (no leading, trailing or doubled `/`, no `.` or `..` segment).
bool is_object_key(std::string_view value) noexcept;

/// A Kafka topic name: 1..249 of [A-Za-z0-9._-], not `.` or `..`.
bool is_topic(std::string_view value) noexcept;

/// 1..128 characters of [A-Za-z0-9._:-].
bool is_event_type(std::string_view value) noexcept;

/// `v` then 1..15 digits, e.g. `v1`.
bool is_schema_version(std::string_view value) noexcept;

/// Each check as a rejection: `field` is the full path used in the message, e.g.
/// `envelope.scenario_id: not path-safe (...)`. Codes: `not_path_safe` for path segments,
/// `bad_format` for the others.
expected<void> validate_path_segment(std::string_view field, std::string_view value);
expected<void> validate_hex64(std::string_view field, std::string_view value);
expected<void> validate_rfc3339_utc(std::string_view field, std::string_view value);
expected<void> validate_platform_run_id(std::string_view field, std::string_view value);
expected<void> validate_object_key(std::string_view field, std::string_view value);
expected<void> validate_topic(std::string_view field, std::string_view value);
expected<void> validate_event_type(std::string_view field, std::string_view value);
expected<void> validate_schema_version(std::string_view field, std::string_view value);

/// `platform_<start>` with the start time in UTC to the second (`platform_20260101T000000Z`).
/// The caller passes the time in: the id of a retried run must be the id of the first try.
/// Rejects (`bad_format`) a start outside years 0000..9999.
expected<fp::platform_run_id> make_platform_run_id(std::chrono::sys_seconds start_utc);

} // namespace fp::schemas
