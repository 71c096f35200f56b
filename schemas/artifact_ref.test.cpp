#include "schemas/artifact_ref.hpp"

#include "schemas/errc.hpp"

#include <nlohmann/json.hpp>

#include <doctest/doctest.h>

using namespace fp::schemas;
using nlohmann::json;

namespace {

constexpr std::string_view receipt_key =
    "fraud-platform/platform_20260101T000000Z/ig/receipts/x.json";

json good_json() {
  return json{{"ref", receipt_key},
              {"digest", std::string(64, 'a')},
              {"digest_alg", "sha256"},
              {"schema_version", "v1"},
              {"size_bytes", 1024}};
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

} // namespace

TEST_CASE("artifact_ref: full and minimal refs parse and round-trip") {
  auto full = parse_artifact_ref(good_json().dump());
  REQUIRE_MESSAGE(full.has_value(), (full ? "" : full.error().to_string()));
  CHECK(full->ref == receipt_key);
  CHECK(full->digest_alg == "sha256");
  CHECK(full->size_bytes == 1024u);
  CHECK(to_json(*full) == good_json().dump()); // ASCII keys: nlohmann's sorted dump is canonical
  CHECK(*parse_artifact_ref(to_json(*full)) == *full);

  auto minimal = parse_artifact_ref(R"({"ref":"a/b"})");
  REQUIRE(minimal.has_value());
  CHECK_FALSE(minimal->digest.has_value());
  CHECK(to_json(*minimal) == R"({"ref":"a/b"})");
}

TEST_CASE("artifact_ref: rejections name the field") {
  struct field_case {
    const char* field;
    json value;
    errc code;
  };
  const field_case cases[] = {
      {"ref", "", errc::not_path_safe},
      {"ref", "/abs/path", errc::not_path_safe},
      {"ref", "a/../b", errc::not_path_safe},
      {"ref", "s3://bucket/key", errc::not_path_safe},
      {"ref", 1, errc::wrong_type},
      {"digest", std::string(64, 'A'), errc::bad_format},
      {"digest", "abc", errc::bad_format},
      {"digest_alg", "md5", errc::bad_format},
      {"schema_version", "1.0", errc::bad_format},
      {"size_bytes", -1, errc::bad_format},
      {"size_bytes", 9007199254740992ULL, errc::bad_format},
      {"size_bytes", "10", errc::wrong_type},
      {"extra", true, errc::unknown_field},
  };
  for (const field_case& c : cases) {
    CAPTURE(c.field);
    json j = good_json();
    j[c.field] = c.value;
    auto r = parse_artifact_ref(j.dump());
    REQUIRE_FALSE(r.has_value());
    CAPTURE(r.error().to_string());
    CHECK(r.error().is(c.code));
    CHECK(field_of(r.error()) == std::string("artifact_ref.") + c.field);
  }
  json no_alg = good_json();
  no_alg.erase("digest_alg");
  CHECK(parse_artifact_ref(no_alg.dump()).error().is(errc::missing_field));
  json no_digest = good_json();
  no_digest.erase("digest");
  CHECK(parse_artifact_ref(no_digest.dump()).error().is(errc::missing_field));
  json no_ref = good_json();
  no_ref.erase("ref");
  CHECK(parse_artifact_ref(no_ref.dump()).error().is(errc::missing_field));
  CHECK(parse_artifact_ref(R"({"ref":"a","ref":"b"})").error().is(errc::duplicate_key));
  CHECK(parse_artifact_ref("[]").error().is(errc::wrong_type));
}

TEST_CASE("artifact_ref: embedded in a larger document") {
  json receipt = {{"evidence_ref", {{"ref", "a/b"}, {"size_bytes", -4}}}};
  auto r = artifact_ref_from_json(receipt["evidence_ref"], "receipt.evidence_ref");
  REQUIRE_FALSE(r.has_value());
  CHECK(field_of(r.error()) == "receipt.evidence_ref.size_bytes");
}

TEST_CASE("artifact_ref: msgpack golden bytes and rejections") {
  auto full = parse_artifact_ref(good_json().dump());
  REQUIRE(full.has_value());
  // Hand-encoded in Python: [1, ref, digest, "sha256", "v1", 1024].
  CHECK(hex(encode_msgpack(*full)) ==
        "9601d93b66726175642d706c6174666f726d2f706c6174666f726d5f3230323630313031543030303030"
        "305a2f69672f72656365697074732f782e6a736f6ed94061616161616161616161616161616161616161"
        "616161616161616161616161616161616161616161616161616161616161616161616161616161616161"
        "616161a6736861323536a27631cd0400");
  CHECK(*decode_artifact_ref(encode_msgpack(*full)) == *full);
  fp::artifact_ref minimal;
  minimal.ref = "a/b";
  CHECK(hex(encode_msgpack(minimal)) == "9601a3612f62c0c0c0c0");
  CHECK(*decode_artifact_ref(encode_msgpack(minimal)) == minimal);

  std::string bytes = encode_msgpack(minimal);
  CHECK(decode_artifact_ref(bytes.substr(0, 5)).error().is(errc::bad_encoding));
  bytes[1] = 9;
  CHECK(decode_artifact_ref(bytes).error().is(errc::unsupported_version));
  fp::artifact_ref unsafe;
  unsafe.ref = "../x";
  CHECK(decode_artifact_ref(encode_msgpack(unsafe)).error().is(errc::not_path_safe));
}
