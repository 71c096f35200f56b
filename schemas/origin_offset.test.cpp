#include "schemas/origin_offset.hpp"

#include "schemas/errc.hpp"

#include <nlohmann/json.hpp>

#include <doctest/doctest.h>

using namespace fp::schemas;
using nlohmann::json;

namespace {

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

} // namespace

TEST_CASE("origin_offset: parse, canonical JSON, round trip") {
  auto o = parse_origin_offset(R"({"topic":"fp.bus.traffic.v1","partition":3,"offset":123456789})");
  REQUIRE_MESSAGE(o.has_value(), (o ? "" : o.error().to_string()));
  CHECK(o->topic == "fp.bus.traffic.v1");
  CHECK(o->partition == 3);
  CHECK(o->offset == 123456789);
  CHECK(to_json(*o) == R"({"offset":123456789,"partition":3,"topic":"fp.bus.traffic.v1"})");
  CHECK(*parse_origin_offset(to_json(*o)) == *o);
}

TEST_CASE("origin_offset: rejections name the field") {
  struct field_case {
    const char* field;
    json value;
    errc code;
  };
  const field_case cases[] = {
      {"topic", "", errc::bad_format},
      {"topic", "a/b", errc::bad_format},
      {"topic", "..", errc::bad_format},
      {"topic", std::string(250, 't'), errc::bad_format},
      {"topic", 5, errc::wrong_type},
      {"partition", -1, errc::bad_format},
      {"partition", 2147483648LL, errc::bad_format},
      {"partition", 0.5, errc::wrong_type},
      {"offset", -1, errc::bad_format},
      {"offset", 9007199254740992ULL, errc::bad_format},
      {"offset", nullptr, errc::wrong_type},
      {"key", "k", errc::unknown_field},
  };
  for (const field_case& c : cases) {
    CAPTURE(c.field);
    json j = {{"topic", "t"}, {"partition", 0}, {"offset", 0}};
    j[c.field] = c.value;
    auto r = parse_origin_offset(j.dump());
    REQUIRE_FALSE(r.has_value());
    CAPTURE(r.error().to_string());
    CHECK(r.error().is(c.code));
    CHECK(field_of(r.error()) == std::string("origin_offset.") + c.field);
  }
  for (const char* field : {"topic", "partition", "offset"}) {
    json j = {{"topic", "t"}, {"partition", 0}, {"offset", 0}};
    j.erase(field);
    CHECK(parse_origin_offset(j.dump()).error().is(errc::missing_field));
  }
}

TEST_CASE("origin_offset: msgpack golden bytes and rejections") {
  fp::origin_offset o{"fp.bus.traffic.v1", 3, 123456789};
  // Hand-encoded in Python: [1, "fp.bus.traffic.v1", 3, uint32 123456789].
  CHECK(hex(encode_msgpack(o)) == "9401b166702e6275732e747261666669632e763103ce075bcd15");
  CHECK(*decode_origin_offset(encode_msgpack(o)) == o);
  std::string bytes = encode_msgpack(o);
  bytes[1] = 2;
  CHECK(decode_origin_offset(bytes).error().is(errc::unsupported_version));
  CHECK(decode_origin_offset("").error().is(errc::bad_encoding));
  fp::origin_offset negative{"t", -1, 0};
  CHECK_FALSE(validate_origin_offset(negative).has_value());
  // A partition beyond int32 in the bytes is refused, not wrapped.
  std::string big = std::string("\x94\x01\xa1t\xce\x80\x00\x00\x00\x00", 10);
  CHECK(decode_origin_offset(big).error().is(errc::bad_format));
}
