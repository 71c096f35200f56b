#include "schemas/run_facts.hpp"

#include "schemas/canonical_json.hpp"
#include "schemas/detail/json_fields.hpp"
#include "schemas/detail/try.hpp"
#include "schemas/errc.hpp"
#include "schemas/hash.hpp"
#include "schemas/ids.hpp"

#include <nlohmann/json.hpp>

#include <set>

namespace fp::schemas {

namespace {

using nlohmann::json;

// -- checks shared by the view and READY ---------------------------------------------------

expected<void> check_uint(const std::string& field, std::uint64_t value) {
  if (value > detail::max_safe_uint)
    return fp::error{errc::bad_format,
                     field + ": not within 0..2^53-1 (" + std::to_string(value) + ")"};
  return {};
}

expected<void> check_mode(const std::string& field, std::string_view mode) {
  if (mode != delivery_ig_push)
    return fp::error{errc::bad_format,
                     field + ": not one of [\"IG_PUSH\"] (" + quote_value(mode) + ")"};
  return {};
}

/// The pins both documents carry, in contract order.
struct pins_ref {
  std::string_view platform_run_id, scenario_run_id, scenario_id, manifest_fingerprint,
      parameter_hash;
  std::uint64_t seed;
  std::string_view run_config_digest, plan_hash, traffic_delivery_mode;
};

expected<void> check_pins(const std::string& doc, const pins_ref& p) {
  FP_SCHEMAS_CHECK(validate_platform_run_id(doc + ".platform_run_id", p.platform_run_id));
  FP_SCHEMAS_CHECK(validate_hex64(doc + ".scenario_run_id", p.scenario_run_id));
  FP_SCHEMAS_CHECK(validate_path_segment(doc + ".scenario_id", p.scenario_id));
  FP_SCHEMAS_CHECK(validate_hex64(doc + ".manifest_fingerprint", p.manifest_fingerprint));
  FP_SCHEMAS_CHECK(validate_hex64(doc + ".parameter_hash", p.parameter_hash));
  FP_SCHEMAS_CHECK(check_uint(doc + ".seed", p.seed));
  FP_SCHEMAS_CHECK(validate_hex64(doc + ".run_config_digest", p.run_config_digest));
  FP_SCHEMAS_CHECK(validate_hex64(doc + ".plan_hash", p.plan_hash));
  return check_mode(doc + ".traffic_delivery_mode", p.traffic_delivery_mode);
}

expected<const json*> required(const detail::object_reader& r, std::string_view field) {
  const json* v = r.find(field);
  if (!v)
    return fp::error{errc::missing_field, r.path(field) + ": missing (required)"};
  return v;
}

expected<const json*> required_array(const detail::object_reader& r, std::string_view field) {
  const json* v = nullptr;
  FP_SCHEMAS_TRY(v, required(r, field));
  if (!v->is_array())
    return fp::error{errc::wrong_type, r.path(field) + ": expected an array, got " +
                                           std::string(detail::json_type_name(*v))};
  return v;
}

expected<void> expect_const(const detail::object_reader& r, std::string_view field,
                            std::string_view want) {
  std::string got;
  FP_SCHEMAS_TRY(got, r.string(field));
  if (got != want)
    return fp::error{errc::bad_format, r.path(field) + ": not " + canonical_string(want) + " (" +
                                           quote_value(got) + ")"};
  return {};
}

// -- run_facts_view pieces -----------------------------------------------------------------

expected<run_facts_part> read_part(const json& j, const std::string& path) {
  FP_SCHEMAS_CHECK(detail::expect_object(j, path));
  detail::object_reader r(j, path);
  FP_SCHEMAS_CHECK(r.only_keys({"path", "sha256", "rows", "bytes"}));
  run_facts_part p;
  FP_SCHEMAS_TRY(p.path, r.string("path"));
  FP_SCHEMAS_TRY(p.sha256, r.string("sha256"));
  FP_SCHEMAS_TRY(p.rows, r.uint("rows", detail::max_safe_uint));
  FP_SCHEMAS_TRY(p.bytes, r.uint("bytes", detail::max_safe_uint));
  return p;
}

expected<run_facts_output> read_output(const json& j, const std::string& path) {
  FP_SCHEMAS_CHECK(detail::expect_object(j, path));
  detail::object_reader r(j, path);
  FP_SCHEMAS_CHECK(r.only_keys(
      {"output_id", "role", "event_type", "schema_version", "digest", "rows", "parts"}));
  run_facts_output o;
  FP_SCHEMAS_TRY(o.output_id, r.string("output_id"));
  FP_SCHEMAS_TRY(o.role, r.string("role"));
  FP_SCHEMAS_TRY(o.event_type, r.string("event_type"));
  FP_SCHEMAS_TRY(o.schema_version, r.string("schema_version"));
  FP_SCHEMAS_TRY(o.digest, r.string("digest"));
  FP_SCHEMAS_TRY(o.rows, r.uint("rows", detail::max_safe_uint));
  const json* parts = nullptr;
  FP_SCHEMAS_TRY(parts, required_array(r, "parts"));
  for (std::size_t i = 0; i < parts->size(); ++i) {
    run_facts_part p;
    FP_SCHEMAS_TRY(p, read_part((*parts)[i], path + ".parts[" + std::to_string(i) + "]"));
    o.parts.push_back(std::move(p));
  }
  return o;
}

json part_json(const run_facts_part& p) {
  return json{{"path", p.path}, {"sha256", p.sha256}, {"rows", p.rows}, {"bytes", p.bytes}};
}

json output_json(const run_facts_output& o) {
  json parts = json::array();
  for (const auto& p : o.parts)
    parts.push_back(part_json(p));
  return json{{"output_id", o.output_id},   {"role", o.role},
              {"event_type", o.event_type}, {"schema_version", o.schema_version},
              {"digest", o.digest},         {"rows", o.rows},
              {"parts", std::move(parts)}};
}

expected<void> check_output(const run_facts_output& o, const std::string& path) {
  FP_SCHEMAS_CHECK(validate_path_segment(path + ".output_id", o.output_id));
  if (o.role != role_traffic && o.role != role_context)
    return fp::error{errc::bad_format, path +
                                           ".role: not one of [\"business_traffic\", "
                                           "\"context\"] (" +
                                           quote_value(o.role) + ")"};
  FP_SCHEMAS_CHECK(validate_event_type(path + ".event_type", o.event_type));
  FP_SCHEMAS_CHECK(validate_schema_version(path + ".schema_version", o.schema_version));
  FP_SCHEMAS_CHECK(validate_hex64(path + ".digest", o.digest));
  FP_SCHEMAS_CHECK(check_uint(path + ".rows", o.rows));
  if (o.parts.empty())
    return fp::error{errc::bad_format, path + ".parts: empty (at least one part)"};
  for (std::size_t i = 0; i < o.parts.size(); ++i) {
    const auto& p = o.parts[i];
    std::string pp = path + ".parts[" + std::to_string(i) + "]";
    FP_SCHEMAS_CHECK(validate_object_key(pp + ".path", p.path));
    FP_SCHEMAS_CHECK(validate_hex64(pp + ".sha256", p.sha256));
    FP_SCHEMAS_CHECK(check_uint(pp + ".rows", p.rows));
    FP_SCHEMAS_CHECK(check_uint(pp + ".bytes", p.bytes));
  }
  return {};
}

} // namespace

// -- ids -----------------------------------------------------------------------------------

std::string to_json(const run_config& c) {
  return canonical(
      json{{"traffic_delivery_mode", c.traffic_delivery_mode}, {"outputs", c.outputs}});
}

std::string run_config_digest(const run_config& c) {
  return sha256_hex(to_json(c));
}

fp::scenario_run_id scenario_run_id(std::string_view manifest_fingerprint,
                                    std::string_view parameter_hash, std::string_view scenario_id,
                                    std::uint64_t seed, std::string_view run_config_digest) {
  std::string seed_text = std::to_string(seed);
  return fp::scenario_run_id{hash_parts(std::string_view("fp.sr.scenario_run_id.v1"),
                                        manifest_fingerprint, parameter_hash, scenario_id,
                                        std::string_view(seed_text), run_config_digest)};
}

std::string to_json(const stream_plan& p) {
  json outputs = json::array();
  for (const auto& o : p.outputs)
    outputs.push_back(json{{"output_id", o.output_id},
                           {"role", o.role},
                           {"digest", o.digest},
                           {"rows", o.rows},
                           {"event_type", o.event_type},
                           {"schema_version", o.schema_version}});
  return canonical(json{{"manifest_fingerprint", p.manifest_fingerprint},
                        {"outputs", std::move(outputs)},
                        {"traffic_delivery_mode", p.traffic_delivery_mode}});
}

std::string plan_hash(const stream_plan& p) {
  return sha256_hex(to_json(p));
}

std::string ready_message_id(std::string_view platform_run_id, std::string_view scenario_run_id,
                             std::string_view plan_hash) {
  return hash_parts(std::string_view("fp.sr.ready.v1"), platform_run_id, scenario_run_id,
                    plan_hash);
}

std::string run_facts_view_key(std::string_view platform_run_id) {
  return "fraud-platform/" + std::string(platform_run_id) + "/sr/run_facts_view.json";
}

// -- run_facts_view ------------------------------------------------------------------------

expected<void> validate_run_facts_view(const run_facts_view& v) {
  const std::string doc = "run_facts_view";
  FP_SCHEMAS_CHECK(
      check_pins(doc, {v.platform_run_id.view(), v.scenario_run_id.view(), v.scenario_id.view(),
                       v.manifest_fingerprint.view(), v.parameter_hash.view(), v.seed,
                       v.run_config_digest, v.plan_hash, v.traffic_delivery_mode}));
  FP_SCHEMAS_CHECK(validate_rfc3339_utc(doc + ".started_at_utc", v.started_at_utc));
  FP_SCHEMAS_CHECK(validate_object_key(doc + ".world.path", v.world_path));
  FP_SCHEMAS_CHECK(validate_object_key(doc + ".world.gate_receipt.path", v.gate_receipt_path));
  FP_SCHEMAS_CHECK(validate_hex64(doc + ".world.gate_receipt.sha256", v.gate_receipt_sha256));
  if (v.outputs.empty())
    return fp::error{errc::bad_format, doc + ".outputs: empty (at least one output)"};
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < v.outputs.size(); ++i) {
    std::string path = doc + ".outputs[" + std::to_string(i) + "]";
    FP_SCHEMAS_CHECK(check_output(v.outputs[i], path));
    if (!seen.insert(v.outputs[i].output_id).second)
      return fp::error{errc::bad_format, path + ".output_id: duplicate (" +
                                             quote_value(v.outputs[i].output_id) + ")"};
  }
  return {};
}

expected<run_facts_view> parse_run_facts_view(std::string_view json_text) {
  const std::string doc = "run_facts_view";
  json j;
  FP_SCHEMAS_TRY(j, detail::parse_object(json_text, doc));
  detail::object_reader r(j, doc);
  FP_SCHEMAS_CHECK(
      r.only_keys({"schema_version", "platform_run_id", "scenario_run_id", "scenario_id",
                   "manifest_fingerprint", "parameter_hash", "seed", "run_config_digest",
                   "plan_hash", "started_at_utc", "traffic_delivery_mode", "world", "outputs"}));
  FP_SCHEMAS_CHECK(expect_const(r, "schema_version", run_facts_view_schema));
  run_facts_view v;
  std::string s;
  FP_SCHEMAS_TRY(s, r.string("platform_run_id"));
  v.platform_run_id = fp::platform_run_id{std::move(s)};
  FP_SCHEMAS_TRY(s, r.string("scenario_run_id"));
  v.scenario_run_id = fp::scenario_run_id{std::move(s)};
  FP_SCHEMAS_TRY(s, r.string("scenario_id"));
  v.scenario_id = fp::scenario_id{std::move(s)};
  FP_SCHEMAS_TRY(s, r.string("manifest_fingerprint"));
  v.manifest_fingerprint = fp::manifest_fingerprint{std::move(s)};
  FP_SCHEMAS_TRY(s, r.string("parameter_hash"));
  v.parameter_hash = fp::parameter_hash{std::move(s)};
  FP_SCHEMAS_TRY(v.seed, r.uint("seed", detail::max_safe_uint));
  FP_SCHEMAS_TRY(v.run_config_digest, r.string("run_config_digest"));
  FP_SCHEMAS_TRY(v.plan_hash, r.string("plan_hash"));
  FP_SCHEMAS_TRY(v.started_at_utc, r.string("started_at_utc"));
  FP_SCHEMAS_TRY(v.traffic_delivery_mode, r.string("traffic_delivery_mode"));

  const json* world = nullptr;
  FP_SCHEMAS_TRY(world, required(r, "world"));
  const std::string world_doc = doc + ".world";
  FP_SCHEMAS_CHECK(detail::expect_object(*world, world_doc));
  detail::object_reader wr(*world, world_doc);
  FP_SCHEMAS_CHECK(wr.only_keys({"path", "gate_receipt"}));
  FP_SCHEMAS_TRY(v.world_path, wr.string("path"));
  const json* receipt = nullptr;
  FP_SCHEMAS_TRY(receipt, required(wr, "gate_receipt"));
  const std::string receipt_doc = world_doc + ".gate_receipt";
  FP_SCHEMAS_CHECK(detail::expect_object(*receipt, receipt_doc));
  detail::object_reader gr(*receipt, receipt_doc);
  FP_SCHEMAS_CHECK(gr.only_keys({"path", "sha256"}));
  FP_SCHEMAS_TRY(v.gate_receipt_path, gr.string("path"));
  FP_SCHEMAS_TRY(v.gate_receipt_sha256, gr.string("sha256"));

  const json* outputs = nullptr;
  FP_SCHEMAS_TRY(outputs, required_array(r, "outputs"));
  for (std::size_t i = 0; i < outputs->size(); ++i) {
    run_facts_output o;
    FP_SCHEMAS_TRY(o, read_output((*outputs)[i], doc + ".outputs[" + std::to_string(i) + "]"));
    v.outputs.push_back(std::move(o));
  }
  FP_SCHEMAS_CHECK(validate_run_facts_view(v));
  return v;
}

std::string to_json(const run_facts_view& v) {
  json outputs = json::array();
  for (const auto& o : v.outputs)
    outputs.push_back(output_json(o));
  return canonical(json{
      {"schema_version", run_facts_view_schema},
      {"platform_run_id", v.platform_run_id.value()},
      {"scenario_run_id", v.scenario_run_id.value()},
      {"scenario_id", v.scenario_id.value()},
      {"manifest_fingerprint", v.manifest_fingerprint.value()},
      {"parameter_hash", v.parameter_hash.value()},
      {"seed", v.seed},
      {"run_config_digest", v.run_config_digest},
      {"plan_hash", v.plan_hash},
      {"started_at_utc", v.started_at_utc},
      {"traffic_delivery_mode", v.traffic_delivery_mode},
      {"world",
       {{"path", v.world_path},
        {"gate_receipt", {{"path", v.gate_receipt_path}, {"sha256", v.gate_receipt_sha256}}}}},
      {"outputs", std::move(outputs)},
  });
}

// -- READY ---------------------------------------------------------------------------------

expected<void> validate_ready(const ready_message& m) {
  const std::string doc = "ready";
  FP_SCHEMAS_CHECK(validate_hex64(doc + ".message_id", m.message_id));
  FP_SCHEMAS_CHECK(
      check_pins(doc, {m.platform_run_id.view(), m.scenario_run_id.view(), m.scenario_id.view(),
                       m.manifest_fingerprint.view(), m.parameter_hash.view(), m.seed,
                       m.run_config_digest, m.plan_hash, m.traffic_delivery_mode}));
  std::string want_key = run_facts_view_key(m.platform_run_id.view());
  if (m.run_facts_view_path != want_key)
    return fp::error{errc::bad_format, doc + ".run_facts_view.path: not the run's view " +
                                           canonical_string(want_key) + " (" +
                                           quote_value(m.run_facts_view_path) + ")"};
  FP_SCHEMAS_CHECK(validate_hex64(doc + ".run_facts_view.sha256", m.run_facts_view_sha256));
  if (m.message_id !=
      ready_message_id(m.platform_run_id.view(), m.scenario_run_id.view(), m.plan_hash))
    return fp::error{errc::bad_format,
                     doc +
                         ".message_id: not H(\"fp.sr.ready.v1\", platform_run_id, "
                         "scenario_run_id, plan_hash) (" +
                         quote_value(m.message_id) + ")"};
  return {};
}

expected<ready_message> parse_ready(std::string_view json_text) {
  const std::string doc = "ready";
  json j;
  FP_SCHEMAS_TRY(j, detail::parse_object(json_text, doc));
  detail::object_reader r(j, doc);
  FP_SCHEMAS_CHECK(
      r.only_keys({"kind", "schema_version", "message_id", "platform_run_id", "scenario_run_id",
                   "scenario_id", "manifest_fingerprint", "parameter_hash", "seed", "plan_hash",
                   "run_config_digest", "traffic_delivery_mode", "run_facts_view"}));
  FP_SCHEMAS_CHECK(expect_const(r, "kind", ready_kind));
  FP_SCHEMAS_CHECK(expect_const(r, "schema_version", ready_schema));
  ready_message m;
  std::string s;
  FP_SCHEMAS_TRY(m.message_id, r.string("message_id"));
  FP_SCHEMAS_TRY(s, r.string("platform_run_id"));
  m.platform_run_id = fp::platform_run_id{std::move(s)};
  FP_SCHEMAS_TRY(s, r.string("scenario_run_id"));
  m.scenario_run_id = fp::scenario_run_id{std::move(s)};
  FP_SCHEMAS_TRY(s, r.string("scenario_id"));
  m.scenario_id = fp::scenario_id{std::move(s)};
  FP_SCHEMAS_TRY(s, r.string("manifest_fingerprint"));
  m.manifest_fingerprint = fp::manifest_fingerprint{std::move(s)};
  FP_SCHEMAS_TRY(s, r.string("parameter_hash"));
  m.parameter_hash = fp::parameter_hash{std::move(s)};
  FP_SCHEMAS_TRY(m.seed, r.uint("seed", detail::max_safe_uint));
  FP_SCHEMAS_TRY(m.plan_hash, r.string("plan_hash"));
  FP_SCHEMAS_TRY(m.run_config_digest, r.string("run_config_digest"));
  FP_SCHEMAS_TRY(m.traffic_delivery_mode, r.string("traffic_delivery_mode"));
  const json* view = nullptr;
  FP_SCHEMAS_TRY(view, required(r, "run_facts_view"));
  const std::string view_doc = doc + ".run_facts_view";
  FP_SCHEMAS_CHECK(detail::expect_object(*view, view_doc));
  detail::object_reader vr(*view, view_doc);
  FP_SCHEMAS_CHECK(vr.only_keys({"path", "sha256"}));
  FP_SCHEMAS_TRY(m.run_facts_view_path, vr.string("path"));
  FP_SCHEMAS_TRY(m.run_facts_view_sha256, vr.string("sha256"));
  FP_SCHEMAS_CHECK(validate_ready(m));
  return m;
}

std::string to_json(const ready_message& m) {
  return canonical(json{
      {"kind", ready_kind},
      {"schema_version", ready_schema},
      {"message_id", m.message_id},
      {"platform_run_id", m.platform_run_id.value()},
      {"scenario_run_id", m.scenario_run_id.value()},
      {"scenario_id", m.scenario_id.value()},
      {"manifest_fingerprint", m.manifest_fingerprint.value()},
      {"parameter_hash", m.parameter_hash.value()},
      {"seed", m.seed},
      {"plan_hash", m.plan_hash},
      {"run_config_digest", m.run_config_digest},
      {"traffic_delivery_mode", m.traffic_delivery_mode},
      {"run_facts_view", {{"path", m.run_facts_view_path}, {"sha256", m.run_facts_view_sha256}}},
  });
}

} // namespace fp::schemas
