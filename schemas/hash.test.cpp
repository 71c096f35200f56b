#include "schemas/hash.hpp"

#include "schemas/errc.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

#include <doctest/doctest.h>

using namespace fp::schemas;

// Expected values computed independently with Python:
//   hashlib.sha256(b"".join(struct.pack(">Q", len(p)) + p for p in parts)).hexdigest()

TEST_CASE("sha256_hex: FIPS 180 vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("composite_id: length-prefixed parts") {
  CHECK(composite_id({}) == sha256_hex(""));
  CHECK(composite_id({""}) == "af5570f5a1810b7af78caf4bc70a660f0df51e42baf91d4de5b2328de0e83dfc");
  CHECK(composite_id({"abc"}) ==
        "c3494ca1a2cf8eeb8a11ded316fb55b83c3bbbedb6313cd50415251e5d09e12f");
  CHECK(hash_parts(std::string(64, 'a'), "arrival_events", "row-42") ==
        "e60f9f45201a648499e94d58b4e6af0c0d83ff118884b76bca95ee6ba37e8184");
}

TEST_CASE("composite_id: moving a boundary changes the id") {
  std::string ab_c = hash_parts("ab", "c");
  std::string a_bc = hash_parts("a", "bc");
  CHECK(ab_c == "601d5476e2ccfe2c87a2bba7a322659734a05749d5b5aa781f513e4912db0d5f");
  CHECK(a_bc == "3fafa1cf2f19a7c1129beb20cf0983f73a489a221fc0dd2f16d1be292d089205");
  CHECK(ab_c != a_bc);
  CHECK(ab_c != sha256_hex("abc")); // and neither is the plain concatenation
  CHECK(hash_parts("abc") != hash_parts("abc", ""));
}

TEST_CASE("payload_hash hashes the canonical form") {
  auto a = nlohmann::json::parse(R"({"b": 1.0, "a": "x"})");
  auto b = nlohmann::json::parse(R"({"a":"x","b":1})");
  CHECK(*payload_hash(a) == "cdab067e9f3beb32d1252cfd63e492592fecbf591b0d08cadb24bb17f3864246");
  CHECK(*payload_hash(a) == *payload_hash(b));
  CHECK(*payload_hash(a) != *payload_hash(nlohmann::json::parse(R"({"a":"x","b":2})")));
}

TEST_CASE("payload_hash refuses values without a canonical form instead of hashing a stand-in") {
  nlohmann::json big = {{"x", 9007199254740993ULL}};
  CHECK_FALSE(payload_hash(big));
  nlohmann::json nan = {{"x", std::nan("")}};
  CHECK_FALSE(payload_hash(nan));
  CHECK(payload_hash(nan).error().is(fp::schemas::errc::number_out_of_range));
}
