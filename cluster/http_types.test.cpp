#include "cluster/http_types.hpp"

#include "actors/core/errc.hpp"
#include "cluster/errc.hpp"
#include "cluster/time_text.hpp"

#include <doctest/doctest.h>

using namespace fp::cluster;

namespace {

http_request with_query(std::initializer_list<std::pair<const std::string, std::string>> q) {
  http_request r;
  r.query = q;
  return r;
}

std::string message_of(const fp::error& e) {
  return e.message();
}

} // namespace

TEST_CASE("query parameters: absent, present, repeated, malformed, out of range, unknown") {
  CHECK(query_uint(with_query({}), "limit", 100, 1, 1000).value() == 100);
  CHECK(query_uint(with_query({{"limit", "7"}}), "limit", 100, 1, 1000).value() == 7);
  struct row {
    std::string value, message;
  };
  for (auto& r : {row{"0", "limit: must be an integer 1..1000, got \"0\""},
                  row{"1001", "limit: must be an integer 1..1000, got \"1001\""},
                  row{"abc", "limit: must be an integer 1..1000, got \"abc\""},
                  row{"", "limit: must be an integer 1..1000, got \"\""},
                  row{"-1", "limit: must be an integer 1..1000, got \"-1\""},
                  row{"5x", "limit: must be an integer 1..1000, got \"5x\""}}) {
    auto v = query_uint(with_query({{"limit", r.value}}), "limit", 100, 1, 1000);
    REQUIRE_FALSE(v);
    CHECK(v.error().is(errc::bad_parameter));
    CHECK(message_of(v.error()) == r.message);
  }
  auto twice = query_value(with_query({{"after", "a"}, {"after", "b"}}), "after");
  CHECK(message_of(twice.error()) == "after: given more than once");
  auto unknown = only_params(with_query({{"limti", "5"}}), {"state", "after", "limit"});
  CHECK(message_of(unknown.error()) == "\"limti\": unknown parameter (known: state, after, limit)");
  CHECK(only_params(with_query({{"limit", "5"}}), {"state", "after", "limit"}));
}

TEST_CASE("errors map to HTTP statuses with a machine-readable code") {
  auto status = [](fp::error e) { return error_response(e).status; };
  CHECK(status({errc::bad_parameter, "x"}) == 400);
  CHECK(status({errc::not_found, "x"}) == 404);
  CHECK(status({fp::actors::errc::rejected, "x"}) == 422);
  CHECK(status({fp::actors::errc::quarantined, "x"}) == 409);
  CHECK(status({fp::actors::errc::crashed, "x"}) == 503);
  CHECK(status({fp::actors::errc::stopped, "x"}) == 503);
  auto r = error_response(fp::error{errc::bad_parameter, "limit: must be ..."});
  CHECK(r.body == "{\"error\":{\"code\":\"bad_parameter\",\"message\":\"limit: must be ...\"}}\n");
}

TEST_CASE("RFC 3339 times round-trip through nanoseconds") {
  CHECK(format_rfc3339_ns(0) == "1970-01-01T00:00:00.000000000Z");
  CHECK(format_rfc3339_ns(1767225600123456789) == "2026-01-01T00:00:00.123456789Z");
  CHECK(format_rfc3339_ns(-1) == "1969-12-31T23:59:59.999999999Z");
  CHECK(parse_rfc3339_ns("at", "2026-01-01T00:00:00.123456789Z").value() == 1767225600123456789);
  CHECK(parse_rfc3339_ns("at", "2026-01-01T00:00:00Z").value() == 1767225600000000000);
  CHECK(parse_rfc3339_ns("at", "2026-01-01T00:00:00.5Z").value() == 1767225600500000000);
  auto bad = parse_rfc3339_ns("at", "2026-13-01T00:00:00Z");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message() ==
        "at: must be an RFC 3339 UTC time like 2026-01-01T00:00:00Z, got \"2026-13-01T00:00:00Z\"");
}
