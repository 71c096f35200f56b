#include "schemas/canonical_json.hpp"

#include "schemas/errc.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cstdint>

using namespace fp::schemas;

namespace {

std::string canon(std::string_view text) {
  auto r = canonicalize(text);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().to_string()));
  return *r;
}

fp::error rejected(std::string_view text) {
  auto r = canonicalize(text);
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

} // namespace

TEST_CASE("RFC 8785 3.2.2: the sample document canonicalizes to the published output") {
  // The input of RFC 8785 section 3.2.2, with its whitespace and spelling variations.
  std::string input = R"({
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
})";
  std::string expected = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,"
                         "1e+30,4.5,0.002,1e-27],\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\"
                         "\\\\\\\"/\"}";
  CHECK(canon(input) == expected);
}

TEST_CASE("RFC 8785 3.2.3: keys sort by UTF-16 code units, not UTF-8 bytes") {
  std::string input = R"({
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
})";
  // Published order: \r, 1, \u0080, \u00f6, \u20ac, \ud83d\ude00, \ufb33 (UTF-8 byte order
  // would put U+FB33 before U+1F600).
  std::string expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\","
                         "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\","
                         "\"\xE2\x82\xAC\":\"Euro Sign\","
                         "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\","
                         "\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}";
  CHECK(canon(input) == expected);
  CHECK(utf16_less("\xF0\x9F\x98\x80", "\xEF\xAC\xB3"));
  CHECK_FALSE(utf16_less("\xEF\xAC\xB3", "\xF0\x9F\x98\x80"));
}

TEST_CASE("RFC 8785 appendix B: number serialization table") {
  // IEEE-754 bit pattern -> published JCS text; every row also checked with node's
  // JSON.stringify when the table was written.
  struct row {
    std::uint64_t bits;
    const char* text;
  };
  const row rows[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const row& r : rows) {
    CAPTURE(r.text);
    CHECK(format_number(std::bit_cast<double>(r.bits)) == r.text);
  }
  // The table's NaN and Infinity rows are errors in JCS; as values they print like
  // JSON.stringify.
  CHECK(format_number(std::bit_cast<double>(std::uint64_t{0x7fffffffffffffff})) == "null");
  CHECK(format_number(std::bit_cast<double>(std::uint64_t{0x7ff0000000000000})) == "null");
}

TEST_CASE("numbers: integers, fractions and exponents in ECMAScript form") {
  CHECK(canon("[1.0, -0, -0.0, 0e10, 10, 1e2, 100.5e-2, 1e21, 1e20, 123e-8, 1.5e-7]") ==
        "[1,0,0,0,10,100,1.005,1e+21,100000000000000000000,0.00000123,1.5e-7]");
  CHECK(canon("9007199254740992") == "9007199254740992");
  CHECK(canon("-9007199254740992") == "-9007199254740992");
  CHECK(canon("1E30") == "1e+30");
}

TEST_CASE("numbers out of range are rejected") {
  CHECK(rejected("9007199254740993").is(errc::number_out_of_range));
  CHECK(rejected("-9007199254740993").is(errc::number_out_of_range));
  CHECK(rejected("123456789012345678901234567890").is(errc::number_out_of_range));
  CHECK(rejected("{\"a\":[1,1e400]}").is(errc::number_out_of_range));
  CHECK(field_of(rejected("{\"a\":[1,1e400]}")) == "json.a[1]");
  CHECK(rejected("-1e400").is(errc::number_out_of_range));
  CHECK(rejected("[NaN]").is(errc::number_out_of_range));
  CHECK(rejected("{\"x\": Infinity}").is(errc::number_out_of_range));
  CHECK(rejected("-Infinity").is(errc::number_out_of_range));
  // A fraction or exponent makes a double, which may exceed 2^53 (RFC 8785's own 1E30).
  CHECK(canon("9007199254740993.0") == "9007199254740992");
  // Too small for a double: it would read as zero, so it is refused; zero itself is not.
  CHECK(rejected("1e-400").is(errc::number_out_of_range));
  CHECK(field_of(rejected("{\"amount\":-0.5e-400}")) == "json.amount");
  CHECK(canon("[0e-400, -0.000e5, 5e-324]") == "[0,0,5e-324]");
}

TEST_CASE("strings: only quote, backslash and control characters are escaped") {
  CHECK(canon(R"("\u0000\u0001\b\t\n\f\r\u001f\u007f")") ==
        "\"\\u0000\\u0001\\b\\t\\n\\f\\r\\u001f\x7f\"");
  CHECK(canon(R"("a\/b")") == "\"a/b\"");
  CHECK(canon(R"("\u00e9\ud83d\ude00")") == "\"\xC3\xA9\xF0\x9F\x98\x80\"");
  CHECK(canonical_string("q\"b\\") == "\"q\\\"b\\\\\"");
}

TEST_CASE("duplicate keys are rejected with their path") {
  auto err = rejected(R"({"a":1,"a":2})");
  CHECK(err.is(errc::duplicate_key));
  CHECK(field_of(err) == "json.a");
  auto nested = parse_strict(R"({"payload":{"items":[{"id":1},{"id":2,"id":3}]}})", "envelope");
  REQUIRE_FALSE(nested.has_value());
  CHECK(nested.error().is(errc::duplicate_key));
  CHECK(field_of(nested.error()) == "envelope.payload.items[1].id");
  // Same key in sibling objects is fine.
  CHECK(canon(R"([{"a":1},{"a":2}])") == R"([{"a":1},{"a":2}])");
}

TEST_CASE("malformed JSON is rejected, never thrown") {
  for (std::string_view bad : {"", "{", "[1,]", "{\"a\" 1}", "tru", "1 2", "{\"a\":1}x", "\"\xff\"",
                               "\"\\ud800\"", "// c\n1", "'a'", "[01]"}) {
    CAPTURE(bad);
    CHECK(rejected(bad).is(errc::malformed_json));
  }
  std::string deep(max_json_depth + 1, '[');
  deep += std::string(max_json_depth + 1, ']');
  CHECK(rejected(deep).is(errc::malformed_json));
  std::string ok_depth(max_json_depth, '[');
  ok_depth += std::string(max_json_depth, ']');
  CHECK(canonicalize(ok_depth).has_value());
}

TEST_CASE("canonical form is stable: canonicalizing twice changes nothing") {
  std::string once = canon(R"({"z":[1.50,{"b":null,"a":"\u00e9"}],"a":-0.0,"m":true})");
  CHECK(once == R"({"a":0,"m":true,"z":[1.5,{"a":"é","b":null}]})");
  CHECK(canon(once) == once);
}

TEST_CASE("canonical_checked rejects values parse_strict would refuse") {
  nlohmann::json j = {{"a", std::numeric_limits<double>::quiet_NaN()}};
  CHECK(canonical(j) == R"({"a":null})");
  auto r = canonical_checked(j, "payload");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().is(errc::number_out_of_range));
  CHECK(field_of(r.error()) == "payload.a");
  CHECK_FALSE(canonical_checked(nlohmann::json(std::uint64_t{1} << 60)).has_value());
  CHECK(*canonical_checked(nlohmann::json{{"b", 2}, {"a", 1.0}}) == R"({"a":1,"b":2})");
}

TEST_CASE("canonical_locating: the member's text is exactly canonical(member)") {
  auto doc = parse_strict(R"({"z":1,"payload":{"b":[1,2.5,"x\n"],"a":{"\u00e9":null,"e":true}},
                            "a":"\u20ac"})");
  REQUIRE(doc.has_value());
  auto located = canonical_locating(*doc, "payload");
  CHECK(located.text == canonical(*doc));
  REQUIRE(located.member().has_value());
  CHECK(*located.member() == canonical((*doc)["payload"]));
  CHECK(*located.member() == R"({"a":{"e":true,"é":null},"b":[1,2.5,"x\n"]})");
  // No such member; not an object.
  CHECK_FALSE(canonical_locating(*doc, "missing").member().has_value());
  CHECK(canonical_locating(*doc, "missing").text == located.text);
  auto array = canonical_locating(nlohmann::json::array({1, 2}), "payload");
  CHECK(array.text == "[1,2]");
  CHECK_FALSE(array.member().has_value());
}

TEST_CASE("canonical_object: members in any order give RFC 8785 text") {
  auto text = canonical_object{}
                  .str("\xEF\xAC\xB3", "dalet")
                  .integer("n", -9007199254740992)
                  .null("empty")
                  .str_or_null("none", "")
                  .str_or_null("some", "q\"")
                  .raw("nested", canonical_object{}.integer("b", 2).integer("a", 1).take())
                  .str("\xF0\x9F\x98\x80", "emoji")
                  .str("1", "one")
                  .take();
  auto built = nlohmann::json{{"\xEF\xAC\xB3", "dalet"},
                              {"n", -9007199254740992},
                              {"empty", nullptr},
                              {"none", nullptr},
                              {"some", "q\""},
                              {"nested", {{"b", 2}, {"a", 1}}},
                              {"\xF0\x9F\x98\x80", "emoji"},
                              {"1", "one"}};
  CHECK(text == canonical(built));
  CHECK(text ==
        "{\"1\":\"one\",\"empty\":null,\"n\":-9007199254740992,\"nested\":{\"a\":1,\"b\":2},"
        "\"none\":null,\"some\":\"q\\\"\",\"\xF0\x9F\x98\x80\":\"emoji\","
        "\"\xEF\xAC\xB3\":\"dalet\"}");
}

TEST_CASE("integers: exact digits up to 2^53, the nearest double beyond (code-built values)") {
  CHECK(canonical(nlohmann::json(std::int64_t{-12345})) == "-12345");
  CHECK(canonical(nlohmann::json(std::uint64_t{9007199254740992})) == "9007199254740992");
  CHECK(canonical(nlohmann::json(std::int64_t{0})) == "0");
  // Beyond 2^53 only canonical() (unchecked) writes them, as JSON.stringify would.
  CHECK(canonical(nlohmann::json(std::uint64_t{18446744073709551615ULL})) ==
        "18446744073709552000");
  CHECK(canonical(nlohmann::json(std::int64_t{-9007199254740993})) == "-9007199254740992");
}

namespace {

/// Same value and the same types all the way down (an unsigned 0 is not a signed 0).
bool same_dom(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.type() != b.type() || a.size() != b.size())
    return false;
  if (a.is_object()) {
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib)
      if (ia.key() != ib.key() || !same_dom(*ia, *ib))
        return false;
    return true;
  }
  if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same_dom(a[i], b[i]))
        return false;
    return true;
  }
  if (a.is_number_float())
    return std::bit_cast<std::uint64_t>(a.get<double>()) ==
           std::bit_cast<std::uint64_t>(b.get<double>());
  return a == b;
}

} // namespace

TEST_CASE("parse_strict's one-pass parser builds what the SAX parser builds, or leaves it") {
  const std::vector<std::string> valid = {
      R"({"event_id":"evt_1","payload":{"amount":12.5,"n":-3,"z":0,"neg0":-0,"big":9007199254740992,"nbig":-9007199254740992}})",
      R"([1,2.0,-2.5e-3,1E5,1e+2,0.1,123456789.123456789,5e-324,1.7976931348623157e308])",
      R"(  {"a" : [ true , false , null ] , "b" : { } , "c" : [ ] }  )",
      "{\"s\":\"plain \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0000 \\u00e9 \\u20ac \\ud83d\\ude00\"}",
      "{\"utf8\":\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xed\x9f\xbf \xee\x80\x80 "
      "\xf4\x8f\xbf\xbf \x7f\"}",
      R"("a string")",
      "42",
      "-1",
      "null",
      "\t\r\n true \n",
      R"({"":"","a":{"a":{"a":[[[[{}]]]]}}})",
  };
  for (const auto& t : valid) {
    INFO("text " << t);
    auto fast = detail::parse_fast(t);
    auto sax = detail::parse_sax(t);
    REQUIRE(sax.has_value());
    REQUIRE(fast.has_value());
    CHECK(same_dom(*fast, *sax));
    auto both = parse_strict(t);
    REQUIRE(both.has_value());
    CHECK(same_dom(*both, *sax));
  }
  // Left to the SAX parser: every refusal (it names the field and the rule), and the byte order
  // mark nlohmann skips.
  const std::vector<std::string> left = {
      "",
      " ",
      "{",
      "{\"a\":1,\"a\":2}",
      "{\"a\":1,}",
      "[1,]",
      "[01]",
      "1.",
      ".5",
      "-",
      "+1",
      "1e",
      "1e400",
      "-1e400",
      "1e-400",
      "9007199254740993",
      "-9007199254740993",
      "12345678901234567890",
      "NaN",
      "-Infinity",
      "tru",
      "truex",
      "[true false]",
      "\"\\x\"",
      "\"\\u12\"",
      "\"\\ud800\"",
      "\"\\udc00\"",
      "\"\\ud800\\u0041\"",
      "\"tab\tinside\"",
      "\"\xc0\xaf\"",
      "\"\xe0\x80\xaf\"",
      "\"\xed\xa0\x80\"",
      "\"\xf4\x90\x80\x80\"",
      "\"\xff\"",
      "\"unterminated",
      "{\"a\" 1}",
      "{1:2}",
      "\xef\xbb\xbf{}",
      "{} {}",
  };
  for (const auto& t : left) {
    INFO("text " << t);
    CHECK_FALSE(detail::parse_fast(t).has_value());
    auto strict = parse_strict(t);
    auto sax = detail::parse_sax(t);
    REQUIRE(strict.has_value() == sax.has_value());
    if (!sax)
      CHECK(strict.error().to_string() == sax.error().to_string());
  }
  // Nesting at and past the limit: the answer is the SAX parser's.
  for (std::size_t depth : {max_json_depth - 2, max_json_depth, max_json_depth + 1}) {
    std::string t = std::string(depth, '[') + std::string(depth, ']');
    auto strict = parse_strict(t);
    auto sax = detail::parse_sax(t);
    CHECK(strict.has_value() == sax.has_value());
  }
  // One-byte mutations of a document: whatever the one-pass parser takes, the SAX parser takes
  // the same.
  std::string doc = valid[0];
  std::uint32_t x = 12345;
  std::size_t taken = 0;
  const std::string bytes = "{}[]\":,.-+eE0123456789 \\u\x80\xc3";
  for (int i = 0; i < 4000; ++i) {
    x = x * 1103515245u + 12345u;
    std::string t = doc;
    std::size_t at = (x >> 8) % t.size();
    char c = bytes[(x >> 20) % bytes.size()];
    if (x & 1)
      t[at] = c;
    else
      t.insert(t.begin() + static_cast<long>(at), c);
    auto fast = detail::parse_fast(t);
    auto sax = detail::parse_sax(t);
    if (fast) {
      ++taken;
      INFO("text " << t);
      REQUIRE(sax.has_value());
      CHECK(same_dom(*fast, *sax));
    }
  }
  CHECK(taken > 100);
}
