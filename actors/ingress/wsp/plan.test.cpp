#include <doctest/doctest.h>

#include "actors/ingress/wsp/errc.hpp"
#include "actors/ingress/wsp/test_world.hpp"

using namespace fp;
using namespace fp::wsp;

TEST_CASE("build_plan: a READY and its view give the plan in policy order") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path);
  REQUIRE(r.plan.outputs.size() == 4);
  CHECK(r.plan.outputs[0].output_id == "s3_event_stream_with_fraud_6B");
  CHECK(r.plan.outputs[0].role == "business_traffic");
  CHECK(r.plan.outputs[1].role == "context");
  CHECK(r.plan.ready.pins.seed == 11u);
}

TEST_CASE("build_plan fails closed and names the reason") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path);
  SUBCASE("view bytes differ from READY's sha256") {
    auto p = build_plan(r.ready, r.view_bytes + " ", r.policy);
    REQUIRE_FALSE(p);
    CHECK(p.error().is(errc::view_mismatch));
    CHECK(p.error().message().find("sha256") != std::string::npos);
  }
  SUBCASE("scenario_run_id mismatch") {
    auto ready = r.ready;
    ready.pins.scenario_run_id = fp::scenario_run_id{std::string(64, 'b')};
    auto p = build_plan(ready, r.view_bytes, r.policy);
    REQUIRE_FALSE(p);
    CHECK(p.error().is(errc::view_mismatch));
    CHECK(p.error().message().find("scenario_run_id") != std::string::npos);
  }
  SUBCASE("policy lists another schema_version") {
    auto policy = r.policy;
    policy[2].schema_version = "v2";
    auto p = build_plan(r.ready, r.view_bytes, policy);
    REQUIRE_FALSE(p);
    CHECK(p.error().is(errc::plan_mismatch));
    CHECK(p.error().message().find("schema_version") != std::string::npos);
  }
  SUBCASE("a policy role that the view does not have") {
    auto policy = r.policy;
    policy[1].role = "business_traffic";
    auto p = build_plan(r.ready, r.view_bytes, policy);
    REQUIRE_FALSE(p);
    CHECK(p.error().message().find("role") != std::string::npos);
  }
  SUBCASE("policy in another order") {
    auto policy = r.policy;
    std::swap(policy[0], policy[1]);
    auto p = build_plan(r.ready, r.view_bytes, policy);
    REQUIRE_FALSE(p);
    CHECK(p.error().is(errc::plan_mismatch));
  }
  SUBCASE("plan_hash that the outputs do not give") {
    auto view = nlohmann::json::parse(r.view_bytes);
    view["outputs"][1]["rows"] = 1;
    view["outputs"][1]["parts"][0]["rows"] = 1;
    auto bytes = schemas::canonical(view);
    auto ready = r.ready;
    ready.view_sha256 = schemas::sha256_hex(bytes);
    auto p = build_plan(ready, bytes, r.policy);
    REQUIRE_FALSE(p);
    CHECK(p.error().is(errc::plan_mismatch));
    CHECK(p.error().message().find("plan_hash") != std::string::npos);
  }
  SUBCASE("a part path leaving oracle_root") {
    auto view = nlohmann::json::parse(r.view_bytes);
    view["outputs"][0]["parts"][0]["path"] = "../etc/passwd";
    auto bytes = schemas::canonical(view);
    auto ready = r.ready;
    ready.view_sha256 = schemas::sha256_hex(bytes);
    auto p = build_plan(ready, bytes, r.policy);
    REQUIRE_FALSE(p);
    CHECK(p.error().is(errc::view_mismatch));
    CHECK(p.error().message().find("path") != std::string::npos);
  }
}

TEST_CASE("parse_ready refuses what is not a READY") {
  CHECK(parse_ready("{}").error().is(errc::bad_ready));
  CHECK_FALSE(parse_ready(R"({"kind":"READY","run_id":"x"})"));
  CHECK_FALSE(parse_ready("not json"));
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path);
  auto j = nlohmann::json::parse(r.ready_json);
  j["message_id"] = std::string(64, '0');
  auto forged = parse_ready(j.dump());
  REQUIRE_FALSE(forged);
  CHECK(forged.error().message().find("message_id") != std::string::npos);
}

TEST_CASE("the repository's WSP policy files load in plan order") {
  auto dir = std::filesystem::path(FP_SOURCE_DIR) / "config/platform/wsp";
  auto p =
      load_outputs_policy(dir / "traffic_outputs_v0.yaml", dir / "context_fraud_outputs_v0.yaml");
  REQUIRE(p);
  REQUIRE(p->size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK((*p)[i].output_id == test::plan_order()[i]);
    CHECK((*p)[i].schema_version == "v1");
    CHECK((*p)[i].role == (i == 0 ? "business_traffic" : "context"));
  }
}
