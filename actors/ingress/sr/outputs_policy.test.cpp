#include "actors/ingress/sr/outputs_policy.hpp"

#include "actors/ingress/sr/errc.hpp"

#include <doctest/doctest.h>

using namespace fp::sr;

namespace {

void check_refused(std::string_view text, std::string_view needle) {
  auto p = parse_outputs_policy(text, "t.yaml");
  REQUIRE_FALSE(p.has_value());
  CAPTURE(p.error().to_string());
  CHECK(p.error().is(errc::bad_policy));
  CHECK(p.error().message().find(needle) != std::string::npos);
}

} // namespace

TEST_CASE("outputs policy: the shipped files parse, in plan order") {
  auto traffic = load_outputs_policy(std::string(FP_SOURCE_DIR) +
                                     "/config/platform/wsp/traffic_outputs_v0.yaml");
  auto context = load_outputs_policy(std::string(FP_SOURCE_DIR) +
                                     "/config/platform/wsp/context_fraud_outputs_v0.yaml");
  REQUIRE_MESSAGE(traffic.has_value(), (traffic ? "" : traffic.error().to_string()));
  REQUIRE_MESSAGE(context.has_value(), (context ? "" : context.error().to_string()));
  auto plan = plan_outputs(*traffic, *context);
  REQUIRE(plan.has_value());
  REQUIRE(plan->size() == 4);
  CHECK((*plan)[0].spec.output_id == "s3_event_stream_with_fraud_6B");
  CHECK((*plan)[0].role == "business_traffic");
  CHECK((*plan)[1].spec.output_id == "arrival_events_5B");
  CHECK((*plan)[1].role == "context");
  CHECK((*plan)[3].spec.output_id == "s3_flow_anchor_with_fraud_6B");
  CHECK((*plan)[3].spec.schema_version == "v1");
}

TEST_CASE("outputs policy: strict, every rule names the key") {
  const std::string ok_item = "  - {output_id: a, event_type: a, schema_version: v1}\n";
  CHECK(parse_outputs_policy("version: wsp_outputs.v0\noutputs:\n" + ok_item, "t.yaml"));
  check_refused("version: wsp_outputs.v1\noutputs:\n" + ok_item, "t.yaml: version:");
  check_refused("outputs:\n" + ok_item, "t.yaml: version: missing");
  check_refused("version: wsp_outputs.v0\noutputs:\n" + ok_item + "extra: 1\n", "extra");
  check_refused("version: wsp_outputs.v0\noutputs: []\n", "outputs: must list at least one");
  check_refused("version: wsp_outputs.v0\noutputs:\n  - {output_id: a, event_type: a}\n",
                "outputs[0].schema_version");
  check_refused("version: wsp_outputs.v0\noutputs:\n  - {output_id: a, event_type: a, "
                "schema_version: 1}\n",
                "outputs[0].schema_version");
  check_refused("version: wsp_outputs.v0\noutputs:\n  - {output_id: ../x, event_type: a, "
                "schema_version: v1}\n",
                "outputs[0].output_id");
  check_refused("version: wsp_outputs.v0\noutputs:\n  - {output_id: a, event_type: a, "
                "schema_version: v1, topic: x}\n",
                "outputs[0].topic");
  check_refused("version: wsp_outputs.v0\noutputs:\n" + ok_item + ok_item, "outputs[1].output_id");
  check_refused("version: [\n", "not valid YAML");
  auto missing = load_outputs_policy("/nonexistent/x.yaml");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().is(errc::bad_policy));
}

TEST_CASE("outputs policy: an output in both files is refused") {
  auto a = parse_outputs_policy(
      "version: wsp_outputs.v0\noutputs:\n  - {output_id: a, event_type: a, schema_version: v1}\n",
      "a.yaml");
  REQUIRE(a);
  auto both = plan_outputs(*a, *a);
  REQUIRE_FALSE(both.has_value());
  CHECK(both.error().is(errc::bad_policy));
}
