#include "actors/ingress/wsp/plan.hpp"

#include "actors/ingress/wsp/errc.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/hash.hpp"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace fp::wsp {

namespace {

using json = nlohmann::json;

/// A required string field of `j`.
expected<std::string> text_at(const json& j, std::string_view doc, std::string_view key,
                              errc code) {
  auto it = j.find(std::string(key));
  if (it == j.end() || !it->is_string())
    return error{code, std::string(doc) + "." + std::string(key) + ": required string"};
  return it->get<std::string>();
}

expected<std::uint64_t> uint_at(const json& j, std::string_view doc, std::string_view key,
                                errc code) {
  auto it = j.find(std::string(key));
  if (it == j.end() || !it->is_number_unsigned())
    return error{code, std::string(doc) + "." + std::string(key) + ": required unsigned integer"};
  return it->get<std::uint64_t>();
}

/// A relative path that stays under its root.
bool safe_relative(std::string_view p) {
  if (p.empty() || p.front() == '/')
    return false;
  std::size_t at = 0;
  while (at <= p.size()) {
    auto next = p.find('/', at);
    auto seg = p.substr(at, next == std::string_view::npos ? p.size() - at : next - at);
    if (seg.empty() || seg == "." || seg == "..")
      return false;
    if (next == std::string_view::npos)
      break;
    at = next + 1;
  }
  return true;
}

expected<void> read_policy_file(const std::filesystem::path& file,
                                std::vector<policy_output>& out) {
  auto fail = [&](const std::string& rule) {
    return error{errc::plan_mismatch, file.string() + ": " + rule};
  };
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::Exception& e) {
    return fail(std::string("cannot read: ") + e.what());
  }
  if (!root.IsMap() || !root["version"] || root["version"].as<std::string>("") != "wsp_outputs.v0")
    return fail("version: must be wsp_outputs.v0");
  auto list = root["outputs"];
  if (!list || !list.IsSequence() || list.size() == 0)
    return fail("outputs: a non-empty list is required");
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto where = "outputs[" + std::to_string(i) + "].";
    policy_output o;
    for (auto [key, dst] : {std::pair<const char*, std::string*>{"output_id", &o.output_id},
                            {"event_type", &o.event_type},
                            {"schema_version", &o.schema_version}}) {
      auto n = list[i][key];
      if (!n || !n.IsScalar() || n.as<std::string>().empty())
        return fail(where + key + ": required");
      *dst = n.as<std::string>();
    }
    out.push_back(std::move(o));
  }
  return {};
}

} // namespace

expected<ready_message> parse_ready(std::string_view json_text) {
  auto j = schemas::parse_strict(json_text, "ready");
  if (!j)
    return error{errc::bad_ready, j.error().message()};
  if (!j->is_object())
    return error{errc::bad_ready, "ready: must be a JSON object"};
  if (j->contains("run_id"))
    return error{errc::bad_ready,
                 "ready.run_id: not accepted; READY carries platform_run_id and scenario_run_id"};
  ready_message r;
  auto kind = text_at(*j, "ready", "kind", errc::bad_ready);
  if (!kind)
    return std::move(kind).error();
  if (*kind != "READY")
    return error{errc::bad_ready, "ready.kind: must be READY"};
  auto sv = text_at(*j, "ready", "schema_version", errc::bad_ready);
  if (!sv)
    return std::move(sv).error();
  if (*sv != ready_schema)
    return error{errc::bad_ready, "ready.schema_version: must be ready.v1"};
  std::string prid, srid, sid, mf, ph;
  for (auto [key, dst] : {std::pair<const char*, std::string*>{"message_id", &r.message_id},
                          {"platform_run_id", &prid},
                          {"scenario_run_id", &srid},
                          {"scenario_id", &sid},
                          {"manifest_fingerprint", &mf},
                          {"parameter_hash", &ph},
                          {"plan_hash", &r.plan_hash},
                          {"run_config_digest", &r.run_config_digest},
                          {"traffic_delivery_mode", &r.traffic_delivery_mode}}) {
    auto v = text_at(*j, "ready", key, errc::bad_ready);
    if (!v)
      return std::move(v).error();
    *dst = std::move(*v);
  }
  r.pins.platform_run_id = fp::platform_run_id{prid};
  r.pins.scenario_run_id = fp::scenario_run_id{srid};
  r.pins.scenario_id = fp::scenario_id{sid};
  r.pins.manifest_fingerprint = fp::manifest_fingerprint{mf};
  r.pins.parameter_hash = fp::parameter_hash{ph};
  if (j->contains("seed")) {
    auto seed = uint_at(*j, "ready", "seed", errc::bad_ready);
    if (!seed)
      return std::move(seed).error();
    r.pins.seed = *seed;
  }
  auto view = j->find("run_facts_view");
  if (view == j->end() || !view->is_object())
    return error{errc::bad_ready, "ready.run_facts_view: required object {path, sha256}"};
  auto path = text_at(*view, "ready.run_facts_view", "path", errc::bad_ready);
  if (!path)
    return std::move(path).error();
  auto sha = text_at(*view, "ready.run_facts_view", "sha256", errc::bad_ready);
  if (!sha)
    return std::move(sha).error();
  r.view_path = std::move(*path);
  r.view_sha256 = std::move(*sha);
  return r;
}

expected<std::vector<policy_output>> load_outputs_policy(const std::filesystem::path& traffic,
                                                         const std::filesystem::path& context) {
  std::vector<policy_output> out;
  if (auto ok = read_policy_file(traffic, out); !ok)
    return std::move(ok).error();
  if (auto ok = read_policy_file(context, out); !ok)
    return std::move(ok).error();
  return out;
}

std::string stream_plan_hash(std::string_view manifest_fingerprint,
                             const std::vector<output_plan>& outputs,
                             std::string_view traffic_delivery_mode) {
  auto list = json::array();
  for (auto& o : outputs)
    list.push_back(json{{"output_id", o.output_id},
                        {"role", o.role},
                        {"digest", o.digest},
                        {"rows", o.rows},
                        {"event_type", o.event_type},
                        {"schema_version", o.schema_version}});
  json plan{{"manifest_fingerprint", std::string(manifest_fingerprint)},
            {"outputs", std::move(list)},
            {"traffic_delivery_mode", std::string(traffic_delivery_mode)}};
  return schemas::sha256_hex(schemas::canonical(plan));
}

std::string ready_message_id(std::string_view platform_run_id, std::string_view scenario_run_id,
                             std::string_view plan_hash) {
  return schemas::hash_parts(std::string_view("fp.sr.ready.v1"), platform_run_id, scenario_run_id,
                             plan_hash);
}

expected<run_plan> build_plan(const ready_message& ready, std::string_view view_bytes,
                              const std::vector<policy_output>& policy) {
  auto mismatch = [](std::string rule) { return error{errc::view_mismatch, std::move(rule)}; };
  if (schemas::sha256_hex(view_bytes) != ready.view_sha256)
    return mismatch("run_facts_view " + ready.view_path +
                    ": sha256 differs from READY's run_facts_view.sha256");
  auto j = schemas::parse_strict(view_bytes, "run_facts_view");
  if (!j)
    return mismatch(j.error().message());
  if (!j->is_object())
    return mismatch("run_facts_view: must be a JSON object");
  auto sv = text_at(*j, "run_facts_view", "schema_version", errc::view_mismatch);
  if (!sv)
    return std::move(sv).error();
  if (*sv != view_schema)
    return mismatch("run_facts_view.schema_version: must be run_facts_view.v1");
  const auto& p = ready.pins;
  for (auto [key, want] :
       {std::pair<const char*, std::string_view>{"platform_run_id", p.platform_run_id.view()},
        {"scenario_run_id", p.scenario_run_id.view()},
        {"scenario_id", p.scenario_id.view()},
        {"manifest_fingerprint", p.manifest_fingerprint.view()},
        {"parameter_hash", p.parameter_hash.view()},
        {"plan_hash", ready.plan_hash},
        {"run_config_digest", ready.run_config_digest},
        {"traffic_delivery_mode", ready.traffic_delivery_mode}}) {
    auto v = text_at(*j, "run_facts_view", key, errc::view_mismatch);
    if (!v)
      return std::move(v).error();
    if (*v != want)
      return mismatch(std::string("run_facts_view.") + key + ": " + schemas::canonical(*v) +
                      " differs from READY's " + schemas::canonical(std::string(want)));
  }
  std::optional<std::uint64_t> seed;
  if (j->contains("seed")) {
    auto s = uint_at(*j, "run_facts_view", "seed", errc::view_mismatch);
    if (!s)
      return std::move(s).error();
    seed = *s;
  }
  if (seed != p.seed)
    return mismatch("run_facts_view.seed: differs from READY's seed");
  if (ready.traffic_delivery_mode != ig_push)
    return mismatch("traffic_delivery_mode: " + ready.traffic_delivery_mode +
                    " is not IG_PUSH; WSP only pushes to IG");

  run_plan plan{ready, {}};
  auto outs = j->find("outputs");
  if (outs == j->end() || !outs->is_array())
    return mismatch("run_facts_view.outputs: required array");
  for (std::size_t i = 0; i < outs->size(); ++i) {
    const auto& o = (*outs)[i];
    auto doc = "run_facts_view.outputs[" + std::to_string(i) + "]";
    if (!o.is_object())
      return mismatch(doc + ": must be an object");
    output_plan op;
    for (auto [key, dst] : {std::pair<const char*, std::string*>{"output_id", &op.output_id},
                            {"role", &op.role},
                            {"event_type", &op.event_type},
                            {"schema_version", &op.schema_version},
                            {"digest", &op.digest}}) {
      auto v = text_at(o, doc, key, errc::view_mismatch);
      if (!v)
        return std::move(v).error();
      *dst = std::move(*v);
    }
    auto rows = uint_at(o, doc, "rows", errc::view_mismatch);
    if (!rows)
      return std::move(rows).error();
    op.rows = *rows;
    auto parts = o.find("parts");
    if (parts == o.end() || !parts->is_array())
      return mismatch(doc + ".parts: required array");
    std::uint64_t part_rows = 0;
    for (std::size_t k = 0; k < parts->size(); ++k) {
      const auto& pj = (*parts)[k];
      auto pdoc = doc + ".parts[" + std::to_string(k) + "]";
      if (!pj.is_object())
        return mismatch(pdoc + ": must be an object");
      part_ref pr;
      auto path = text_at(pj, pdoc, "path", errc::view_mismatch);
      auto sha = text_at(pj, pdoc, "sha256", errc::view_mismatch);
      auto prow = uint_at(pj, pdoc, "rows", errc::view_mismatch);
      auto pbytes = uint_at(pj, pdoc, "bytes", errc::view_mismatch);
      if (!path)
        return std::move(path).error();
      if (!sha)
        return std::move(sha).error();
      if (!prow)
        return std::move(prow).error();
      if (!pbytes)
        return std::move(pbytes).error();
      if (!safe_relative(*path))
        return mismatch(pdoc + ".path: must be relative to oracle_root without . or ..");
      pr.path = std::move(*path);
      pr.sha256 = std::move(*sha);
      pr.rows = *prow;
      pr.bytes = *pbytes;
      part_rows += pr.rows;
      op.parts.push_back(std::move(pr));
    }
    if (part_rows != op.rows)
      return mismatch(doc + ".rows: " + std::to_string(op.rows) + " but its parts hold " +
                      std::to_string(part_rows));
    plan.outputs.push_back(std::move(op));
  }

  auto plan_fail = [](std::string rule) { return error{errc::plan_mismatch, std::move(rule)}; };
  if (policy.size() != plan.outputs.size())
    return plan_fail("the WSP policy files list " + std::to_string(policy.size()) +
                     " outputs, the run_facts_view " + std::to_string(plan.outputs.size()));
  for (std::size_t i = 0; i < policy.size(); ++i) {
    const auto& want = policy[i];
    const auto& got = plan.outputs[i];
    auto where = "output " + std::to_string(i) + " (" + want.output_id + "): ";
    if (want.output_id != got.output_id)
      return plan_fail(where + "the run_facts_view has " + got.output_id + " in this place");
    if (want.event_type != got.event_type)
      return plan_fail(where + "event_type " + got.event_type + " in the view, " + want.event_type +
                       " in the policy");
    if (want.schema_version != got.schema_version)
      return plan_fail(where + "schema_version " + got.schema_version + " in the view, " +
                       want.schema_version + " in the policy");
  }
  auto hash =
      stream_plan_hash(p.manifest_fingerprint.view(), plan.outputs, ready.traffic_delivery_mode);
  if (hash != ready.plan_hash)
    return plan_fail("plan_hash: the run_facts_view's outputs hash to " + hash + ", READY says " +
                     ready.plan_hash);
  auto mid = ready_message_id(p.platform_run_id.view(), p.scenario_run_id.view(), hash);
  if (mid != ready.message_id)
    return plan_fail("message_id: recomputed " + mid + ", READY says " + ready.message_id);
  return plan;
}

} // namespace fp::wsp
