#include "schemas/envelope.hpp"
#include "schemas/canonical_json.hpp"

#include "schemas/errc.hpp"
#include "schemas/fwd.hpp"

#include <nlohmann/json.hpp>

#include <doctest/doctest.h>

using namespace fp::schemas;
using nlohmann::json;

namespace {

json good_json() {
  return json{
      {"event_id", "e7b1c1f0"},
      {"event_type", "arrival_event"},
      {"schema_version", "v1"},
      {"ts_utc", "2026-01-01T00:00:00Z"},
      {"emitted_at_utc", "2026-01-01T00:00:01.5Z"},
      {"platform_run_id", "platform_20260101T000000Z"},
      {"scenario_run_id", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
      {"scenario_id", "baseline"},
      {"manifest_fingerprint", std::string(64, 'f')},
      {"parameter_hash", std::string(64, 'e')},
      {"seed", 42},
      {"payload", {{"card", "c-1"}, {"amount", 12.5}}},
  };
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string unhex(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16));
  return out;
}

/// Parses `j` after `edit`, expecting rejection with `code` naming `field`.
void check_rejected(json j, fp::schemas::errc code, std::string_view field,
                    envelope_options options = {}) {
  auto r = parse_envelope(j.dump(), options);
  REQUIRE_FALSE(r.has_value());
  CAPTURE(r.error().to_string());
  CHECK(r.error().is(code));
  CHECK(field_of(r.error()) == field);
}

// The golden encoding of good_json(), computed by hand-encoding msgpack in Python.
constexpr std::string_view golden_hex =
    "9d01a86537623163316630ad6172726976616c5f6576656e74a27631b4323032362d30312d30315430303a30"
    "303a30305ab6323032362d30312d30315430303a30303a30312e355ab9706c6174666f726d5f323032363031"
    "3031543030303030305ad9403031323334353637383961626364656630313233343536373839616263646566"
    "3031323334353637383961626364656630313233343536373839616263646566a8626173656c696e65d94066"
    "6666666666666666666666666666666666666666666666666666666666666666666666666666666666666666"
    "66666666666666666666666666666666666666d9406565656565656565656565656565656565656565656565"
    "65656565656565656565656565656565656565656565656565656565656565656565656565656565652ac41c"
    "7b22616d6f756e74223a31322e352c2263617264223a22632d31227d";

} // namespace

TEST_CASE("a good envelope parses, keeps every field and canonicalizes the payload") {
  auto r = parse_envelope(good_json().dump(2));
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().to_string()));
  const envelope& e = *r;
  CHECK(e.event_id.value() == "e7b1c1f0");
  CHECK(e.event_type == "arrival_event");
  CHECK(e.schema_version == "v1");
  CHECK(e.ts_utc == "2026-01-01T00:00:00Z");
  CHECK(e.emitted_at_utc == "2026-01-01T00:00:01.5Z");
  CHECK(e.platform_run_id.value() == "platform_20260101T000000Z");
  CHECK(e.scenario_id.value() == "baseline");
  CHECK(e.seed == 42u);
  CHECK(e.payload == R"({"amount":12.5,"card":"c-1"})");
  CHECK(validate_envelope(e).has_value());
}

TEST_CASE("to_json is canonical and parses back to the same envelope") {
  auto e = parse_envelope(good_json().dump());
  REQUIRE(e.has_value());
  std::string text = to_json(*e);
  CHECK(text == json::parse(text).dump()); // sorted keys, no whitespace; all-ASCII here
  CHECK(text.find(R"("payload":{"amount":12.5,"card":"c-1"})") != std::string::npos);
  auto back = parse_envelope(text);
  REQUIRE(back.has_value());
  CHECK(*back == *e);
  json minimal = good_json();
  minimal.erase("seed");
  minimal.erase("emitted_at_utc");
  auto m = parse_envelope(minimal.dump());
  REQUIRE(m.has_value());
  CHECK(to_json(*m).find("seed") == std::string::npos);
  CHECK(*parse_envelope(to_json(*m)) == *m);
}

TEST_CASE("seed is optional unless require_seed") {
  json j = good_json();
  j.erase("seed");
  CHECK(parse_envelope(j.dump()).has_value());
  check_rejected(j, errc::missing_field, "envelope.seed", {.require_seed = true});
  CHECK(parse_envelope(good_json().dump(), {.require_seed = true}).has_value());
  j["seed"] = 9007199254740991ULL;
  CHECK(parse_envelope(j.dump()).has_value());
  j["seed"] = 3.0; // an integer by value, as in JSON Schema
  CHECK(parse_envelope(j.dump())->seed == 3u);
}

TEST_CASE("every rule has its rejection code and names its field") {
  struct field_case {
    const char* field;
    json value;
    errc code;
  };
  const field_case cases[] = {
      {"event_id", "a/b", errc::not_path_safe},
      {"event_id", "..", errc::not_path_safe},
      {"event_id", std::string(129, 'a'), errc::not_path_safe},
      {"event_id", 7, errc::wrong_type},
      {"event_type", "a b", errc::bad_format},
      {"event_type", "", errc::bad_format},
      {"schema_version", "1", errc::bad_format},
      {"schema_version", "v1.2", errc::bad_format},
      {"ts_utc", "2026-13-01T00:00:00Z", errc::bad_format},
      {"ts_utc", "2026-01-01T00:00:00+01:00", errc::bad_format},
      {"ts_utc", nullptr, errc::wrong_type},
      {"emitted_at_utc", "2025-02-29T00:00:00Z", errc::bad_format},
      {"platform_run_id", "platform_20260230T000000Z", errc::bad_format},
      {"scenario_run_id", std::string(64, 'A'), errc::bad_format},
      {"scenario_id", "x y", errc::not_path_safe},
      {"manifest_fingerprint", "abc", errc::bad_format},
      {"parameter_hash", std::string(65, 'a'), errc::bad_format},
      {"seed", -1, errc::bad_format},
      {"seed", 9007199254740992ULL, errc::bad_format},
      {"seed", 1.5, errc::wrong_type},
      {"seed", "42", errc::wrong_type},
      {"payload", json::array(), errc::wrong_type},
      {"payload", "{}", errc::wrong_type},
  };
  for (const field_case& c : cases) {
    CAPTURE(c.field);
    CAPTURE(c.value.dump());
    json j = good_json();
    j[c.field] = c.value;
    check_rejected(j, c.code, std::string("envelope.") + c.field);
  }
}

TEST_CASE("missing, unknown and legacy fields") {
  for (const char* field :
       {"event_id", "event_type", "schema_version", "ts_utc", "platform_run_id", "scenario_run_id",
        "scenario_id", "manifest_fingerprint", "parameter_hash", "payload"}) {
    CAPTURE(field);
    json j = good_json();
    j.erase(field);
    check_rejected(j, errc::missing_field, std::string("envelope.") + field);
  }
  json unknown = good_json();
  unknown["admitted_at_utc"] = "2026-01-01T00:00:00Z"; // lives in IG receipts, not here
  check_rejected(unknown, errc::unknown_field, "envelope.admitted_at_utc");

  json legacy = good_json();
  legacy["run_id"] = "r1";
  auto r = parse_envelope(legacy.dump());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().is(errc::legacy_field));
  CHECK(field_of(r.error()) == "envelope.run_id");
  CHECK(r.error().message().find("platform_run_id") != std::string::npos);
  CHECK(r.error().message().find("scenario_run_id") != std::string::npos);
}

TEST_CASE("document-level rejections") {
  std::string text = good_json().dump();
  std::string dup = text.substr(0, text.size() - 1) + R"(,"scenario_id":"other"})";
  auto r = parse_envelope(dup);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().is(errc::duplicate_key));
  CHECK(field_of(r.error()) == "envelope.scenario_id");

  json j = good_json();
  std::string payload_dup = j.dump();
  payload_dup.replace(payload_dup.find(R"("card":"c-1")"), 12, R"("card":"c-1","card":"c-2")");
  r = parse_envelope(payload_dup);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().is(errc::duplicate_key));
  CHECK(field_of(r.error()) == "envelope.payload.card");

  std::string big = text.substr(0, text.size() - 1) + R"(,"x":12345678901234567890})";
  CHECK(parse_envelope(big).error().is(errc::number_out_of_range));
  CHECK(parse_envelope("[1]").error().is(errc::wrong_type));
  CHECK(parse_envelope("{").error().is(errc::malformed_json));
  CHECK(field_of(parse_envelope("{").error()) == "envelope");
}

TEST_CASE("msgpack: golden bytes pin the versioned array") {
  auto e = parse_envelope(good_json().dump());
  REQUIRE(e.has_value());
  std::string bytes = encode_msgpack(*e);
  CHECK(hex(bytes) == golden_hex);
  auto back = decode_envelope(unhex(golden_hex));
  REQUIRE_MESSAGE(back.has_value(), (back ? "" : back.error().to_string()));
  CHECK(*back == *e);

  // Absent optionals are nil (0xc0) in their slots.
  envelope bare = *e;
  bare.emitted_at_utc.reset();
  bare.seed.reset();
  std::string bare_hex = hex(encode_msgpack(bare));
  CHECK(bare_hex.find("5ac0b9706c6174666f726d") != std::string::npos); // ts_utc, nil, pins
  CHECK(bare_hex.find("65c0c41c") != std::string::npos);               // hash, nil, payload
  CHECK(*decode_envelope(encode_msgpack(bare)) == bare);
}

TEST_CASE("msgpack: bad bytes are rejected, never thrown") {
  auto e = parse_envelope(good_json().dump());
  REQUIRE(e.has_value());
  std::string bytes = encode_msgpack(*e);

  std::string v2 = bytes;
  v2[1] = 0x02;
  CHECK(decode_envelope(v2).error().is(errc::unsupported_version));

  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    auto r = decode_envelope(std::string_view(bytes).substr(0, cut));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().is(errc::bad_encoding));
  }
  CHECK(decode_envelope(bytes + "x").error().is(errc::bad_encoding));
  CHECK(decode_envelope(unhex("c0")).error().is(errc::bad_encoding));
  CHECK(decode_envelope(unhex("9301a161a162")).error().is(errc::bad_encoding));
  CHECK(decode_envelope(unhex("dd7fffffff")).error().is(errc::bad_encoding)); // huge array
  CHECK(decode_envelope(unhex("81a161a162")).error().is(errc::bad_encoding)); // a map

  // event_id (fixstr of 8 bytes at offset 2) replaced by the integer 7.
  std::string wrong_type = bytes.substr(0, 2) + "\x07" + bytes.substr(11);
  auto r = decode_envelope(wrong_type);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().is(errc::bad_encoding));
  CHECK(field_of(r.error()) == "envelope.event_id");

  // Every single-byte corruption is either rejected or decodes to a valid envelope.
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    auto d = decode_envelope(bad);
    if (d)
      CHECK(validate_envelope(*d).has_value());
  }

  envelope not_canonical = *e;
  not_canonical.payload = R"({"card":"c-1","amount":12.5})";
  r = decode_envelope(encode_msgpack(not_canonical));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().is(errc::bad_format));
  CHECK(field_of(r.error()) == "envelope.payload");
}

TEST_CASE("a hostile key cannot forge another field's path in a rejection") {
  auto text = std::string(R"({"event_id":"e1","event_type":"t","schema_version":"v1",)") +
              R"("ts_utc":"2026-01-01T00:00:00Z","platform_run_id":"platform_20260101T000000Z",)" +
              R"("scenario_run_id":")" + std::string(64, 'a') + R"(","scenario_id":"s",)" +
              R"("manifest_fingerprint":")" + std::string(64, 'b') + R"(",)" +
              R"("parameter_hash":")" + std::string(64, 'c') + R"(","payload":{},)" +
              R"("ts_utc: x\nFAKE":1})";
  auto r = fp::schemas::parse_envelope(text);
  REQUIRE_FALSE(r);
  CHECK(r.error().is(fp::schemas::errc::unknown_field));
  CHECK(fp::schemas::field_of(r.error()) == R"(envelope["ts_utc: x\u000aFAKE"])");
  CHECK(r.error().message().find('\n') == std::string::npos);
}

TEST_CASE("envelope_from_json applies parse_envelope's rules to a parsed document") {
  auto text = good_json().dump();
  auto from_text = parse_envelope(text, {true});
  auto parsed = parse_strict(text, "envelope");
  REQUIRE(parsed);
  auto doc = *parsed;
  auto from_doc = envelope_from_json(doc, {true});
  REQUIRE(from_text);
  REQUIRE_MESSAGE(from_doc, (from_doc ? "" : from_doc.error().to_string()));
  CHECK(*from_doc == *from_text);
  doc["run_id"] = "old";
  auto legacy = envelope_from_json(doc);
  REQUIRE_FALSE(legacy);
  CHECK(legacy.error() == errc::legacy_field);
  auto not_object = envelope_from_json(json::array());
  REQUIRE_FALSE(not_object);
  CHECK(not_object.error() == errc::wrong_type);
}
