// The admin API's browse routes (bus records, objects) over a fake node, called directly.

#include "cluster/admin_browse.hpp"
#include "cluster/admin_api.hpp"

#include "cluster/errc.hpp"
#include "journal/errc.hpp"

#include <doctest/doctest.h>

#include <regex>

using namespace fp::cluster;
using json = nlohmann::json;

namespace {

struct browse_node : node_view {
  std::vector<std::string> none;
  std::vector<const fp::actors::entity_type_view*> types() const override { return {}; }
  const fp::actors::entity_type_view* type(std::string_view) const override { return nullptr; }
  const std::vector<std::string>& planes() const override { return none; }
  const fp::journal::journal& journal() const override { throw std::logic_error("unused"); }
  bool stopping() const override { return false; }
  bus_status bus() const override { return {}; }
  std::vector<http_count> http_counts() const override { return {}; }
  std::vector<fp::bus::message> log{
      {"fp.bus.control.v1",
       0,
       0,
       "platform_x",
       R"({"kind":"READY"})",
       {{"fp.schema", "ready.v1"}},
       11},
      {"fp.bus.control.v1", 0, 1, "k", std::string("\xff\x00\x01", 3), {}, 12},
      {"fp.bus.control.v1", 0, 2, "k", "third", {}, 13}};
  fp::expected<std::vector<fp::bus::message>> bus_records(std::string_view topic, std::int32_t p,
                                                          std::int64_t from,
                                                          std::size_t limit) const override {
    if (topic != "fp.bus.control.v1" || p != 0)
      return fp::error{errc::not_found, "no such partition"};
    std::vector<fp::bus::message> out;
    for (auto& m : log)
      if (m.offset >= from && out.size() < limit)
        out.push_back(m);
    return out;
  }
  fp::expected<std::pair<fp::artifact_ref, std::string>>
  object(std::string_view path) const override {
    if (path != "fraud-platform/p/sr/run_facts_view.json")
      return fp::error{fp::journal::errc::not_found, "no object"};
    fp::artifact_ref ref{std::string(path), "ab12", "sha256", "run_facts_view.v1", 2};
    return std::pair{ref, std::string("{}")};
  }
};

http_request get(std::string path, std::multimap<std::string, std::string> q = {}) {
  http_request r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(q);
  return r;
}

http_response call(const node_view& n, http_request r) {
  for (auto& route : admin_routes(n)) {
    std::smatch m;
    std::regex re(route.pattern);
    if (route.method == r.method && std::regex_match(r.path, m, re)) {
      for (std::size_t i = 1; i < m.size(); ++i)
        r.captures.push_back(m[i]);
      return route.handler(r);
    }
  }
  return {404, "", ""};
}

} // namespace

TEST_CASE("base64 and UTF-8 detection") {
  CHECK(base64("") == "");
  CHECK(base64("f") == "Zg==");
  CHECK(base64("fo") == "Zm8=");
  CHECK(base64("foo") == "Zm9v");
  CHECK(base64("foobar") == "Zm9vYmFy");
  CHECK(is_utf8("plain ascii"));
  CHECK(is_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(is_utf8("\xff"));
  CHECK_FALSE(is_utf8("\xc3"));
  CHECK_FALSE(is_utf8("\xc0\xaf"));     // overlong
  CHECK_FALSE(is_utf8("\xed\xa0\x80")); // a surrogate
}

TEST_CASE("GET /admin/bus/topics/{topic}/records pages a partition") {
  browse_node n;
  auto r = call(n, get("/admin/bus/topics/fp.bus.control.v1/records", {{"limit", "2"}}));
  REQUIRE(r.status == 200);
  auto j = json::parse(r.body);
  REQUIRE(j["records"].size() == 2);
  CHECK(j["records"][0]["value"] == R"({"kind":"READY"})");
  CHECK(j["records"][0]["headers"][0]["key"] == "fp.schema");
  CHECK(j["records"][0]["headers"][0]["value"] == "ready.v1");
  CHECK(j["records"][1]["value_base64"] == "/wAB");
  CHECK_FALSE(j["records"][1].contains("value"));
  CHECK(j["next_from"] == 2);
  auto rest = json::parse(
      call(n, get("/admin/bus/topics/fp.bus.control.v1/records", {{"from", "2"}})).body);
  CHECK(rest["records"].size() == 1);
  auto empty = json::parse(
      call(n, get("/admin/bus/topics/fp.bus.control.v1/records", {{"from", "3"}})).body);
  CHECK(empty["records"].empty());
  CHECK(empty["next_from"].is_null());
  CHECK(call(n, get("/admin/bus/topics/fp.bus.control.v1/records", {{"limit", "0"}})).status ==
        400);
  CHECK(call(n, get("/admin/bus/topics/fp.bus.control.v1/records", {{"limit", "5000"}})).status ==
        400);
  CHECK(call(n, get("/admin/bus/topics/fp.bus.control.v1/records", {{"bogus", "1"}})).status ==
        400);
  CHECK(call(n, get("/admin/bus/topics/nope/records")).status == 404);
}

TEST_CASE("GET /admin/objects/{path} gives the bytes and the sha256 header") {
  browse_node n;
  auto r = call(n, get("/admin/objects/fraud-platform/p/sr/run_facts_view.json"));
  REQUIRE(r.status == 200);
  CHECK(r.body == "{}");
  CHECK(r.content_type == "application/octet-stream");
  bool sha = false;
  for (auto& [k, v] : r.headers)
    sha = sha || (k == "X-Object-Sha256" && v == "ab12");
  CHECK(sha);
  CHECK(call(n, get("/admin/objects/fraud-platform/none.json")).status == 404);
  CHECK(call(n, get("/admin/objects/a/../b")).status == 400);
}
