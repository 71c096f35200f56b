#include "schemas/run_facts.hpp"

#include "schemas/errc.hpp"
#include "schemas/hash.hpp"

#include <nlohmann/json.hpp>

#include <doctest/doctest.h>

using namespace fp::schemas;
using nlohmann::json;

namespace {

const std::string mf = std::string(64, 'a');
const std::string ph = std::string(64, 'b');

run_config sample_config() {
  return {"IG_PUSH",
          {"s3_event_stream_with_fraud_6B", "arrival_events_5B", "s1_arrival_entities_6B",
           "s3_flow_anchor_with_fraud_6B"}};
}

stream_plan sample_plan() {
  return {mf,
          {{"s3_event_stream_with_fraud_6B", "business_traffic", std::string(64, 'c'), 10,
            "s3_event_stream_with_fraud_6B", "v1"},
           {"arrival_events_5B", "context", std::string(64, 'd'), 7, "arrival_events_5B", "v1"}},
          "IG_PUSH"};
}

run_facts_view sample_view() {
  run_facts_view v;
  v.platform_run_id = fp::platform_run_id{"platform_20260101T000000Z"};
  v.scenario_id = fp::scenario_id{"baseline_v1"};
  v.manifest_fingerprint = fp::manifest_fingerprint{mf};
  v.parameter_hash = fp::parameter_hash{ph};
  v.seed = 7;
  v.run_config_digest = run_config_digest(sample_config());
  v.scenario_run_id = scenario_run_id(mf, ph, "baseline_v1", 7, v.run_config_digest);
  v.plan_hash = plan_hash(sample_plan());
  v.started_at_utc = "2026-01-01T00:00:00Z";
  v.traffic_delivery_mode = "IG_PUSH";
  v.world_path = "oracle/seed=7/w";
  v.gate_receipt_path = "oracle/seed=7/w/gate_receipt.json";
  v.gate_receipt_sha256 = std::string(64, 'e');
  v.outputs = {{"arrival_events_5B",
                "context",
                "arrival_events_5B",
                "v1",
                std::string(64, 'd'),
                7,
                {{"oracle/seed=7/w/outputs/arrival_events_5B/part-00000.jsonl",
                  std::string(64, 'f'), 7, 700}}}};
  return v;
}

ready_message sample_ready() {
  auto v = sample_view();
  ready_message m;
  m.platform_run_id = v.platform_run_id;
  m.scenario_run_id = v.scenario_run_id;
  m.scenario_id = v.scenario_id;
  m.manifest_fingerprint = v.manifest_fingerprint;
  m.parameter_hash = v.parameter_hash;
  m.seed = v.seed;
  m.plan_hash = v.plan_hash;
  m.run_config_digest = v.run_config_digest;
  m.traffic_delivery_mode = "IG_PUSH";
  m.message_id = ready_message_id(m.platform_run_id.view(), m.scenario_run_id.view(), m.plan_hash);
  m.run_facts_view_path = run_facts_view_key(m.platform_run_id.view());
  m.run_facts_view_sha256 = sha256_hex(to_json(v));
  return m;
}

template <class Parse>
void check_rejected(Parse parse, const json& j, errc code, std::string_view field) {
  auto r = parse(j.dump());
  REQUIRE_FALSE(r.has_value());
  CAPTURE(r.error().to_string());
  CHECK(r.error().is(code));
  CHECK(field_of(r.error()) == field);
}

auto parse_view = [](std::string_view t) { return parse_run_facts_view(t); };
auto parse_msg = [](std::string_view t) { return parse_ready(t); };

} // namespace

TEST_CASE("run ids: golden values, pinned independently of this code") {
  // The expected values were computed with Python's hashlib over the same canonical text and
  // length-prefixed parts (8-byte big-endian length, then the bytes).
  CHECK(to_json(sample_config()) ==
        R"({"outputs":["s3_event_stream_with_fraud_6B","arrival_events_5B",)"
        R"("s1_arrival_entities_6B","s3_flow_anchor_with_fraud_6B"],)"
        R"("traffic_delivery_mode":"IG_PUSH"})");
  CHECK(run_config_digest(sample_config()) ==
        "3a98cf3ab63d73f2e4c9d2f3eb51afd99424c4669c9f7185297d96356a3c42ec");
  CHECK(scenario_run_id(mf, ph, "baseline_v1", 7, run_config_digest(sample_config())).value() ==
        "92cc5e6df98c149c069a65bb2f1a104a197589ddcc4b298659dc645bb49296a2");
  CHECK(to_json(sample_plan()) ==
        R"({"manifest_fingerprint":")" + mf + R"(","outputs":[{"digest":")" + std::string(64, 'c') +
            R"(","event_type":"s3_event_stream_with_fraud_6B","output_id":)"
            R"("s3_event_stream_with_fraud_6B","role":"business_traffic","rows":10,)"
            R"("schema_version":"v1"},{"digest":")" +
            std::string(64, 'd') +
            R"(","event_type":"arrival_events_5B","output_id":"arrival_events_5B",)"
            R"("role":"context","rows":7,"schema_version":"v1"}],)"
            R"("traffic_delivery_mode":"IG_PUSH"})");
  CHECK(plan_hash(sample_plan()) ==
        "373f60f01d317dd9d8c92fb8e5d24b404060fdaf111387d36a9468b035a986c7");
  CHECK(ready_message_id("platform_20260101T000000Z", std::string(64, '1'), std::string(64, '2')) ==
        "25b754ec8f6ab5ec39338818549fda76106655f9507bd8f6cf4cd8737da495f5");
}

TEST_CASE("run ids: same inputs give the same ids, any changed input another") {
  auto c = sample_config();
  auto d = run_config_digest(c);
  CHECK(d == run_config_digest(sample_config()));
  auto reordered = c;
  std::swap(reordered.outputs[0], reordered.outputs[1]);
  CHECK(run_config_digest(reordered) != d);
  auto id = scenario_run_id(mf, ph, "baseline_v1", 7, d);
  CHECK(id == scenario_run_id(mf, ph, "baseline_v1", 7, d));
  CHECK(id != scenario_run_id(mf, ph, "baseline_v1", 8, d));
  CHECK(id != scenario_run_id(mf, ph, "baseline_v2", 7, d));
  CHECK(id != scenario_run_id(ph, mf, "baseline_v1", 7, d));
  auto p = sample_plan();
  auto h = plan_hash(p);
  p.outputs[1].rows = 8;
  CHECK(plan_hash(p) != h);
  auto m = ready_message_id("platform_20260101T000000Z", id.view(), h);
  CHECK(m == ready_message_id("platform_20260101T000000Z", id.view(), h));
  CHECK(m != ready_message_id("platform_20260101T000001Z", id.view(), h));
  CHECK(run_facts_view_key("platform_20260101T000000Z") ==
        "fraud-platform/platform_20260101T000000Z/sr/run_facts_view.json");
}

TEST_CASE("run_facts_view: round trip, golden bytes, canonical") {
  auto v = sample_view();
  REQUIRE(validate_run_facts_view(v));
  std::string text = to_json(v);
  CHECK(text ==
        R"({"manifest_fingerprint":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)"
        R"(aaaaaaaaa","outputs":[{"digest":"ddddddddddddddddddddddddddddddddddddddddddddddd)"
        R"(ddddddddddddddddd","event_type":"arrival_events_5B","output_id":"arrival_events_)"
        R"(5B","parts":[{"bytes":700,"path":"oracle/seed=7/w/outputs/arrival_events_5B/part)"
        R"(-00000.jsonl","rows":7,"sha256":"fffffffffffffffffffffffffffffffffffffffffffffff)"
        R"(fffffffffffffffff"}],"role":"context","rows":7,"schema_version":"v1"}],"paramete)"
        R"(r_hash":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","plan)"
        R"(_hash":"373f60f01d317dd9d8c92fb8e5d24b404060fdaf111387d36a9468b035a986c7","platf)"
        R"(orm_run_id":"platform_20260101T000000Z","run_config_digest":"3a98cf3ab63d73f2e4c)"
        R"(9d2f3eb51afd99424c4669c9f7185297d96356a3c42ec","scenario_id":"baseline_v1","scen)"
        R"(ario_run_id":"92cc5e6df98c149c069a65bb2f1a104a197589ddcc4b298659dc645bb49296a2",)"
        R"("schema_version":"run_facts_view.v1","seed":7,"started_at_utc":"2026-01-01T00:00)"
        R"(:00Z","traffic_delivery_mode":"IG_PUSH","world":{"gate_receipt":{"path":"oracle/)"
        R"(seed=7/w/gate_receipt.json","sha256":"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee)"
        R"(eeeeeeeeeeeeeeeeeeeeee"},"path":"oracle/seed=7/w"}})");
  auto back = parse_run_facts_view(text);
  REQUIRE_MESSAGE(back.has_value(), (back ? "" : back.error().to_string()));
  CHECK(*back == v);
  CHECK(to_json(*back) == text);
  // Another key order and whitespace parse to the same view.
  auto pretty = parse_run_facts_view(json::parse(text).dump(2));
  REQUIRE(pretty.has_value());
  CHECK(*pretty == v);
}

TEST_CASE("run_facts_view: every boundary rule names the field") {
  json good = json::parse(to_json(sample_view()));
  auto edit = [&](auto f) {
    json j = good;
    f(j);
    return j;
  };
  check_rejected(parse_view, edit([](json& j) { j["extra"] = 1; }), errc::unknown_field,
                 "run_facts_view.extra");
  check_rejected(parse_view, edit([](json& j) { j.erase("plan_hash"); }), errc::missing_field,
                 "run_facts_view.plan_hash");
  check_rejected(parse_view, edit([](json& j) { j["seed"] = "7"; }), errc::wrong_type,
                 "run_facts_view.seed");
  check_rejected(parse_view, edit([](json& j) { j["seed"] = -1; }), errc::bad_format,
                 "run_facts_view.seed");
  check_rejected(parse_view, edit([](json& j) { j["schema_version"] = "run_facts_view.v2"; }),
                 errc::bad_format, "run_facts_view.schema_version");
  check_rejected(parse_view, edit([](json& j) { j["traffic_delivery_mode"] = "EB_DIRECT"; }),
                 errc::bad_format, "run_facts_view.traffic_delivery_mode");
  check_rejected(parse_view, edit([](json& j) { j["platform_run_id"] = "run_1"; }),
                 errc::bad_format, "run_facts_view.platform_run_id");
  check_rejected(parse_view, edit([](json& j) { j["scenario_id"] = "../x"; }), errc::not_path_safe,
                 "run_facts_view.scenario_id");
  check_rejected(parse_view, edit([](json& j) { j["started_at_utc"] = "2026-01-01 00:00:00"; }),
                 errc::bad_format, "run_facts_view.started_at_utc");
  check_rejected(parse_view, edit([](json& j) { j["world"].erase("gate_receipt"); }),
                 errc::missing_field, "run_facts_view.world.gate_receipt");
  check_rejected(parse_view, edit([](json& j) { j["world"]["gate_receipt"]["sha256"] = "x"; }),
                 errc::bad_format, "run_facts_view.world.gate_receipt.sha256");
  check_rejected(parse_view, edit([](json& j) { j["world"]["path"] = "/abs"; }),
                 errc::not_path_safe, "run_facts_view.world.path");
  check_rejected(parse_view, edit([](json& j) { j["outputs"] = json::array(); }), errc::bad_format,
                 "run_facts_view.outputs");
  check_rejected(parse_view, edit([](json& j) { j["outputs"] = json::object(); }), errc::wrong_type,
                 "run_facts_view.outputs");
  check_rejected(parse_view, edit([](json& j) { j["outputs"][0]["role"] = "truth"; }),
                 errc::bad_format, "run_facts_view.outputs[0].role");
  check_rejected(parse_view, edit([](json& j) { j["outputs"][0]["parts"][0].erase("bytes"); }),
                 errc::missing_field, "run_facts_view.outputs[0].parts[0].bytes");
  check_rejected(parse_view, edit([](json& j) { j["outputs"][0]["parts"][0]["path"] = "a/../b"; }),
                 errc::not_path_safe, "run_facts_view.outputs[0].parts[0].path");
  check_rejected(parse_view, edit([](json& j) { j["outputs"].push_back(j["outputs"][0]); }),
                 errc::bad_format, "run_facts_view.outputs[1].output_id");
  check_rejected(parse_view, edit([](json& j) { j["run_id"] = "x"; }), errc::unknown_field,
                 "run_facts_view.run_id");
}

TEST_CASE("READY: round trip, golden bytes, no timestamps") {
  auto m = sample_ready();
  REQUIRE_MESSAGE(validate_ready(m), validate_ready(m).error().to_string());
  std::string text = to_json(m);
  CHECK(text ==
        R"({"kind":"READY","manifest_fingerprint":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)"
        R"(aaaaaaaaaaaaaaaaaaaaaaaa","message_id":"ebd2bd64701732d276171585724f08764fc96580)"
        R"(1e61382f9a2b599b62b54745","parameter_hash":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb)"
        R"(bbbbbbbbbbbbbbbbbbbbbbbbbbbb","plan_hash":"373f60f01d317dd9d8c92fb8e5d24b404060f)"
        R"(daf111387d36a9468b035a986c7","platform_run_id":"platform_20260101T000000Z","run_)"
        R"(config_digest":"3a98cf3ab63d73f2e4c9d2f3eb51afd99424c4669c9f7185297d96356a3c42ec)"
        R"(","run_facts_view":{"path":"fraud-platform/platform_20260101T000000Z/sr/run_fact)"
        R"(s_view.json","sha256":"ff2a3e23a9fa76e69055e2e91d07a43b79a1992c05bc5ec8e1dd1c082)"
        R"(78fba4c"},"scenario_id":"baseline_v1","scenario_run_id":"92cc5e6df98c149c069a65b)"
        R"(b2f1a104a197589ddcc4b298659dc645bb49296a2","schema_version":"ready.v1","seed":7,)"
        R"("traffic_delivery_mode":"IG_PUSH"})");
  auto back = parse_ready(text);
  REQUIRE_MESSAGE(back.has_value(), (back ? "" : back.error().to_string()));
  CHECK(*back == m);
  CHECK(to_json(*back) == text);
  CHECK(text.find("_utc") == std::string::npos);
}

TEST_CASE("READY: every boundary rule names the field") {
  json good = json::parse(to_json(sample_ready()));
  auto edit = [&](auto f) {
    json j = good;
    f(j);
    return j;
  };
  check_rejected(parse_msg, edit([](json& j) { j["kind"] = "ANOMALY"; }), errc::bad_format,
                 "ready.kind");
  check_rejected(parse_msg, edit([](json& j) { j.erase("schema_version"); }), errc::missing_field,
                 "ready.schema_version");
  check_rejected(parse_msg, edit([](json& j) { j["started_at_utc"] = "x"; }), errc::unknown_field,
                 "ready.started_at_utc");
  check_rejected(parse_msg, edit([](json& j) { j.erase("scenario_run_id"); }), errc::missing_field,
                 "ready.scenario_run_id");
  check_rejected(parse_msg, edit([](json& j) { j["message_id"] = std::string(64, '0'); }),
                 errc::bad_format, "ready.message_id");
  check_rejected(parse_msg, edit([](json& j) { j["plan_hash"] = std::string(64, '0'); }),
                 errc::bad_format, "ready.message_id");
  check_rejected(parse_msg, edit([](json& j) { j["run_facts_view"]["path"] = "elsewhere.json"; }),
                 errc::bad_format, "ready.run_facts_view.path");
  check_rejected(parse_msg, edit([](json& j) { j["run_facts_view"]["size"] = 1; }),
                 errc::unknown_field, "ready.run_facts_view.size");
  check_rejected(parse_msg, edit([](json& j) { j["run_facts_view"] = "x"; }), errc::wrong_type,
                 "ready.run_facts_view");
  check_rejected(parse_msg, edit([](json& j) { j["seed"] = 1.5; }), errc::wrong_type, "ready.seed");
  check_rejected(parse_msg, edit([](json& j) { j["manifest_fingerprint"] = "ABC"; }),
                 errc::bad_format, "ready.manifest_fingerprint");
  auto dup = parse_ready(R"({"kind":"READY","kind":"READY"})");
  REQUIRE_FALSE(dup.has_value());
  CHECK(dup.error().is(errc::duplicate_key));
}
