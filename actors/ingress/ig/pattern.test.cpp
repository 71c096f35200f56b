#include "actors/ingress/ig/pattern.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

using fp::ig::pattern;

namespace {

bool by_std(const std::string& re, const std::string& s) {
  return std::regex_search(s, std::regex(re, std::regex::ECMAScript));
}

/// Every `pattern` in the payload contracts.
std::set<std::string> contract_patterns() {
  std::set<std::string> out;
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& j) {
    if (j.is_object()) {
      for (auto& [k, v] : j.items()) {
        if (k == "pattern" && v.is_string())
          out.insert(v.get<std::string>());
        walk(v);
      }
    } else if (j.is_array()) {
      for (auto& v : j)
        walk(v);
    }
  };
  for (auto& e : std::filesystem::recursive_directory_iterator(
           std::filesystem::path(FP_SOURCE_DIR) / "schemas"))
    if (e.path().extension() == ".json")
      walk(nlohmann::json::parse(std::ifstream(e.path())));
  return out;
}

/// Strings near the ones the patterns are about, and their one-character mutations.
std::vector<std::string> corpus() {
  std::vector<std::string> base = {
      "",
      "2026-01-01T00:00:00.000Z",
      "2026-02-29T12:30:59.123Z",
      "2024-02-29T12:30:59.123Z",
      "2000-02-29T23:59:59Z",
      "1900-02-29T23:59:59Z",
      "2026-04-31T00:00:00.5Z",
      "2026-12-31T23:59:60.000Z",
      "2026-06-30T10:11:12.123456789Z",
      "2026-06-30T10:11:12.1234567890Z",
      "platform_20260101T000000Z",
      "platform_20240229T235959Z",
      "platform_20230229T235959Z",
      "acc_0123456789abcdef",
      "dev_0123456789abcdeF",
      "ins_0123456789abcde",
      "10.0.0.1",
      "255.255.255.255",
      "256.1.1.1",
      "01.2.3.4",
      "..",
      ".",
      "a/b/c",
      "a/../b",
      "./a",
      "abc=def:ghi-jkl_mno.pqr",
      "v1",
      "v1234567890123456",
      "EUR",
      "EU",
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "x\n",
      "x\r",
      "aab",
      "b||",
      "]x",
  };
  std::vector<std::string> out = base;
  std::mt19937 rng(20261123);
  const std::string alphabet = "0123456789abcdefAZT:-._/=Z\n\r|] x";
  for (const auto& s : base) {
    for (int m = 0; m < 24; ++m) {
      std::string t = s;
      int op = static_cast<int>(rng() % 3);
      char c = alphabet[rng() % alphabet.size()];
      if (op == 0 && !t.empty())
        t[rng() % t.size()] = c;
      else if (op == 1)
        t.insert(t.begin() + static_cast<long>(t.empty() ? 0 : rng() % (t.size() + 1)), c);
      else if (!t.empty())
        t.erase(t.begin() + static_cast<long>(rng() % t.size()));
      out.push_back(t);
    }
    out.push_back(s + "\n");
    out.push_back("x" + s);
  }
  return out;
}

} // namespace

TEST_CASE("pattern: every contract pattern compiles and agrees with std::regex") {
  auto patterns = contract_patterns();
  REQUIRE(patterns.size() >= 10);
  auto strings = corpus();
  std::size_t checked = 0, matched = 0;
  for (const auto& re : patterns) {
    auto p = pattern::compile(re);
    INFO("pattern " << re);
    REQUIRE(p.has_value());
    for (const auto& s : strings) {
      INFO("value " << nlohmann::json(s).dump());
      bool want = by_std(re, s);
      CHECK(p->search(s) == want);
      ++checked;
      matched += want;
    }
  }
  // The corpus reaches both answers for the patterns, not only refusals.
  CHECK(matched > patterns.size());
  CHECK(checked == patterns.size() * strings.size());
}

TEST_CASE("pattern: the rest of the subset agrees with std::regex") {
  const std::vector<std::string> res = {
      "b+",
      "^a|b$",
      "^(?:a|b)[|]\\|$",
      "^[\\]|]x",
      "a*",
      "(ab)*c",
      "^(a|ab)(c|bcd)(d*)$",
      "x{2,}",
      "^.{3}$",
      "[^a-c]",
      "\\d\\w\\s",
      "(?=ab)a",
      "^(?!x)..$",
      "(a*)*b",
      "^(?:a?){3}a{3}$",
      "[\\d.-]+$",
      "\\.\\/",
      "^$",
      "",
      "a|",
      "[a\\-z]",
      "[-a]",
      "[!-\\/]+",
      "[\\.-9]",
      "[a-]",
  };
  const std::vector<std::string> strings = {"",    "a",   "b",  "ab",  "aab",   "abc", "abcd",
                                            "xx",  "xxx", "xa", "b||", "]x",    "|x",  "a-z",
                                            "1 ",  "1_ ", "./", "aaa", "aaaaa", "x\n", "-",
                                            "1.5", "d",   "z",  "ac",  "abd",   "ba"};
  for (const auto& re : res) {
    auto p = pattern::compile(re);
    INFO("pattern " << re);
    REQUIRE(p.has_value());
    for (const auto& s : strings) {
      INFO("value " << nlohmann::json(s).dump());
      CHECK(p->search(s) == by_std(re, s));
    }
  }
}

TEST_CASE("pattern: syntax outside the subset is left to std::regex") {
  for (const char* re :
       {"(a)\\1", "\\bword", "a+?", "a*?", "\\u0041", "\\x41", "[[:alpha:]]", "(?<name>a)",
        "(?<=a)b", "a{2", "(", "a)", "[a", "[]", "a**", "\\cJ", "[a-\\d]", "[z-a]"})
    CHECK_MESSAGE(!pattern::compile(re).has_value(), re);
}
