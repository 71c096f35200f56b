#include "actors/ingress/ig/json_schema.hpp"

#include <doctest/doctest.h>

using fp::ig::json_schema;
using json = nlohmann::json;

namespace {

json_schema compile(const json& s) {
  auto c = json_schema::compile(s, "test");
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().to_string()));
  return std::move(*c);
}

std::string verdict(const json_schema& s, const json& v) {
  auto bad = s.check(v, "payload");
  return bad ? bad->field : "valid";
}

} // namespace

TEST_CASE("the subset: type, required, properties, additionalProperties, pattern, enum, const") {
  auto s = compile(json::parse(R"J({
    "type": "object", "additionalProperties": false, "required": ["id", "n"],
    "properties": {
      "id": {"type": "string", "pattern": "^x_[0-9]{2}$(?!\\n)", "minLength": 4, "maxLength": 4},
      "n": {"type": "integer", "minimum": 1, "maximum": 10},
      "k": {"enum": ["A", "B"]},
      "c": {"const": 3},
      "f": {"type": ["number", "null"]}}})J"));
  CHECK(verdict(s, {{"id", "x_01"}, {"n", 1}}) == "valid");
  CHECK(verdict(s, {{"id", "x_01"}, {"n", 2.0}}) == "valid"); // 2.0 is an integer
  CHECK(verdict(s, {{"id", "x_01"}, {"n", 2.5}}) == "payload.n");
  CHECK(verdict(s, {{"id", "x_01"}, {"n", true}}) == "payload.n");
  CHECK(verdict(s, {{"id", "x_01"}, {"n", 0}}) == "payload.n");
  CHECK(verdict(s, {{"id", "x_01"}, {"n", 11}}) == "payload.n");
  CHECK(verdict(s, {{"id", "x_01\n"}, {"n", 1}}) == "payload.id");
  CHECK(verdict(s, {{"id", "y_01"}, {"n", 1}}) == "payload.id");
  CHECK(verdict(s, {{"n", 1}}) == "payload.id");
  CHECK(verdict(s, {{"id", "x_01"}, {"n", 1}, {"zz", 1}}) == "payload.zz");
  CHECK(verdict(s, {{"id", "x_01"}, {"n", 1}, {"k", "C"}}) == "payload.k");
  CHECK(verdict(s, {{"id", "x_01"}, {"n", 1}, {"k", "B"}, {"c", 3.0}}) == "valid");
  CHECK(verdict(s, {{"id", "x_01"}, {"n", 1}, {"c", 4}}) == "payload.c");
  CHECK(verdict(s, {{"id", "x_01"}, {"n", 1}, {"f", nullptr}}) == "valid");
  CHECK(verdict(s, {{"id", "x_01"}, {"n", 1}, {"f", "1"}}) == "payload.f");
  CHECK(verdict(s, json::array()) == "payload");
}

TEST_CASE("lengths count code points") {
  auto s = compile({{"type", "string"}, {"maxLength", 2}});
  CHECK(verdict(s, "\xc3\xa9\xc3\xa9") == "valid");
  CHECK(verdict(s, "abc") == "payload");
}

TEST_CASE("keywords outside the subset are refused at load") {
  for (auto kw : {"$ref", "oneOf", "format", "exclusiveMinimum", "items", "patternProperties"}) {
    CAPTURE(kw);
    auto c = json_schema::compile({{kw, 1}}, "x.schema.json");
    REQUIRE(!c.has_value());
    CHECK(c.error().code_name() == "bad_policy");
    CHECK(c.error().message().find("outside the subset") != std::string::npos);
  }
  auto bad_regex = json_schema::compile({{"pattern", "("}}, "x");
  CHECK(!bad_regex.has_value());
  auto bad_type = json_schema::compile({{"type", "decimal"}}, "x");
  CHECK(!bad_type.has_value());
}

TEST_CASE("pattern: search semantics, anchored or not") {
  // Unanchored: a match anywhere in the value.
  CHECK(verdict(compile({{"pattern", "b+"}}), "aab") == "valid");
  // `^` with a top-level alternative: the other alternative may match later in the value.
  auto alt = compile({{"pattern", "^a|b$"}});
  CHECK(verdict(alt, "xxb") == "valid");
  CHECK(verdict(alt, "ax") == "valid");
  CHECK(verdict(alt, "xa") == "payload");
  // Anchored as a whole (alternatives inside a group, a `|` in a class or escaped).
  auto grouped = compile({{"pattern", "^(?:a|b)[|]\\|$"}});
  CHECK(verdict(grouped, "b||") == "valid");
  CHECK(verdict(grouped, "xb||") == "payload");
  auto cls = compile({{"pattern", "^[\\]|]x"}});
  CHECK(verdict(cls, "]x") == "valid");
  CHECK(verdict(cls, "|x") == "valid");
  CHECK(verdict(cls, "a]x") == "payload");
}
