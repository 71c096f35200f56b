#include "schemas/ids.hpp"

#include "schemas/errc.hpp"

#include <doctest/doctest.h>

using namespace fp::schemas;
using namespace std::chrono;

TEST_CASE("path-safe ids") {
  for (std::string_view ok : {"a", "scenario_1", "seed=42", "x.y:z-w", "...", "A"})
    CHECK_MESSAGE(is_path_safe_id(ok), ok);
  CHECK(is_path_safe_id(std::string(128, 'a')));
  for (std::string_view bad : {"", ".", "..", "a/b", "a b", "a\\b", "\xC3\xA9", "a\n", "%2e"})
    CHECK_MESSAGE(!is_path_safe_id(bad), bad);
  CHECK_FALSE(is_path_safe_id(std::string(129, 'a')));
  auto err = validate_path_segment("envelope.scenario_id", "../etc");
  REQUIRE_FALSE(err.has_value());
  CHECK(err.error().is(errc::not_path_safe));
  CHECK(field_of(err.error()) == "envelope.scenario_id");
  CHECK(err.error().message().find("\"../etc\"") != std::string::npos);
}

TEST_CASE("hex64") {
  CHECK(is_hex64(std::string(64, 'a')));
  CHECK(is_hex64("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  CHECK_FALSE(is_hex64(std::string(64, 'A')));
  CHECK_FALSE(is_hex64(std::string(63, 'a')));
  CHECK_FALSE(is_hex64(std::string(65, 'a')));
  CHECK_FALSE(is_hex64(std::string(63, 'a') + "g"));
  CHECK(validate_hex64("x.h", "nope").error().is(errc::bad_format));
}

TEST_CASE("RFC 3339 UTC timestamps with calendar validity") {
  for (std::string_view ok :
       {"2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z", "2024-02-29T12:00:00Z",
        "2000-02-29T00:00:00Z", "2026-04-30T00:00:00.1Z", "2026-04-30T00:00:00.123456789Z",
        "0000-02-29T00:00:00Z", "9999-12-31T23:59:59Z"})
    CHECK_MESSAGE(is_rfc3339_utc(ok), ok);
  for (std::string_view bad : {"2026-13-01T00:00:00Z",
                               "2026-00-01T00:00:00Z",
                               "2026-01-00T00:00:00Z",
                               "2026-01-32T00:00:00Z",
                               "2026-04-31T00:00:00Z",
                               "2025-02-29T00:00:00Z",
                               "1900-02-29T00:00:00Z",
                               "2026-01-01T24:00:00Z",
                               "2026-01-01T00:60:00Z",
                               "2026-01-01T00:00:60Z",
                               "2026-01-01T00:00:00",
                               "2026-01-01T00:00:00+00:00",
                               "2026-01-01t00:00:00z",
                               "2026-01-01 00:00:00Z",
                               "2026-01-01T00:00:00.Z",
                               "2026-01-01T00:00:00.1234567890Z",
                               "2026-1-01T00:00:00Z",
                               "2026-01-01T00:00:00Z\n",
                               "+2026-01-01T00:00:00Z",
                               "2026-01-01",
                               ""})
    CHECK_MESSAGE(!is_rfc3339_utc(bad), bad);
  auto err = validate_rfc3339_utc("envelope.ts_utc", "2026-13-01");
  CHECK(err.error().message() ==
        "envelope.ts_utc: not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SS[.fff]Z) (\"2026-13-01\")");
}

TEST_CASE("platform_run_id format and construction") {
  CHECK(is_platform_run_id("platform_20260101T000000Z"));
  CHECK(is_platform_run_id("platform_20240229T235959Z"));
  for (std::string_view bad :
       {"platform_20250229T000000Z", "platform_20260101T240000Z", "platform_20260101T000000",
        "platform_2026-01-01T000000Z", "run_20260101T000000Z", "platform_20260101t000000Z",
        "platform_20260101T000000Zx", "platform_20261301T000000Z"})
    CHECK_MESSAGE(!is_platform_run_id(bad), bad);

  auto t = sys_days{year{2026} / 3 / 7} + hours{9} + minutes{5} + seconds{3};
  auto id = make_platform_run_id(t);
  REQUIRE(id.has_value());
  CHECK(id->value() == "platform_20260307T090503Z");
  CHECK(is_platform_run_id(id->view()));
  // Same start time, same id: a retry reuses it.
  CHECK(make_platform_run_id(t)->value() == id->value());
  CHECK(make_platform_run_id(sys_seconds{})->value() == "platform_19700101T000000Z");
  CHECK_FALSE(make_platform_run_id(sys_days{year{10000} / 1 / 1}).has_value());
}

TEST_CASE("event types, schema versions, object keys, topics") {
  CHECK(is_event_type("fp.traffic:arrival-v1_x"));
  CHECK_FALSE(is_event_type("a=b"));
  CHECK_FALSE(is_event_type(""));
  CHECK_FALSE(is_event_type(std::string(129, 'a')));
  CHECK(is_schema_version("v1"));
  CHECK(is_schema_version("v012"));
  CHECK_FALSE(is_schema_version("v"));
  CHECK_FALSE(is_schema_version("1"));
  CHECK_FALSE(is_schema_version("v1.0"));
  CHECK_FALSE(is_schema_version("V1"));
  CHECK(is_object_key("fraud-platform/platform_20260101T000000Z/ig/receipts/x.json"));
  CHECK(is_object_key("x"));
  for (std::string_view bad : {"", "/a", "a/", "a//b", "a/../b", "./a", "a/.", "s3://b/k", "a b"})
    CHECK_MESSAGE(!is_object_key(bad), bad);
  CHECK(is_topic("fp.bus.traffic_v1-a"));
  CHECK(is_topic(std::string(249, 't')));
  CHECK_FALSE(is_topic(std::string(250, 't')));
  CHECK_FALSE(is_topic("a:b"));
  CHECK_FALSE(is_topic(".."));
  CHECK_FALSE(is_topic(""));
}
