#include "tools/fp/text.hpp"

#include <doctest/doctest.h>

TEST_CASE("written_at is RFC 3339 UTC with nanoseconds") {
  CHECK(fp::tools::rfc3339_ns(0) == "1970-01-01T00:00:00.000000000Z");
  CHECK(fp::tools::rfc3339_ns(1767225600123456789) == "2026-01-01T00:00:00.123456789Z");
  CHECK(fp::tools::rfc3339_ns(-1) == "1969-12-31T23:59:59.999999999Z");
}
