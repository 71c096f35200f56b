#include "actors/ingress/wsp/plan.hpp"

#include "actors/ingress/sr/outputs_policy.hpp"
#include "actors/ingress/wsp/errc.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/hash.hpp"
#include "schemas/run_facts.hpp"

namespace fp::wsp {

namespace {

/// A relative path that stays under its root.
bool safe_relative(std::string_view p) {
  if (p.empty() || p.front() == '/')
    return false;
  std::size_t at = 0;
  for (;;) {
    auto next = p.find('/', at);
    auto seg = p.substr(at, next == std::string_view::npos ? p.size() - at : next - at);
    if (seg.empty() || seg == "." || seg == "..")
      return false;
    if (next == std::string_view::npos)
      return true;
    at = next + 1;
  }
}

std::string quote_text(std::string_view s) {
  return schemas::canonical_string(s);
}

} // namespace

expected<ready_message> parse_ready(std::string_view json_text) {
  auto m = schemas::parse_ready(json_text);
  if (!m)
    return error{errc::bad_ready, m.error().message()};
  ready_message r;
  r.message_id = m->message_id;
  r.pins = {m->platform_run_id,      m->scenario_run_id, m->scenario_id,
            m->manifest_fingerprint, m->parameter_hash,  m->seed};
  r.plan_hash = m->plan_hash;
  r.run_config_digest = m->run_config_digest;
  r.traffic_delivery_mode = m->traffic_delivery_mode;
  r.view_path = m->run_facts_view_path;
  r.view_sha256 = m->run_facts_view_sha256;
  return r;
}

expected<std::vector<policy_output>> load_outputs_policy(const std::filesystem::path& traffic,
                                                         const std::filesystem::path& context) {
  auto t = sr::load_outputs_policy(traffic);
  if (!t)
    return error{errc::plan_mismatch, t.error().message()};
  auto c = sr::load_outputs_policy(context);
  if (!c)
    return error{errc::plan_mismatch, c.error().message()};
  auto planned = sr::plan_outputs(*t, *c);
  if (!planned)
    return error{errc::plan_mismatch, planned.error().message()};
  std::vector<policy_output> out;
  for (auto& p : *planned)
    out.push_back({p.spec.output_id, p.spec.event_type, p.spec.schema_version, p.role});
  return out;
}

expected<run_plan> build_plan(const ready_message& ready, std::string_view view_bytes,
                              const std::vector<policy_output>& policy) {
  auto mismatch = [](std::string rule) { return error{errc::view_mismatch, std::move(rule)}; };
  if (schemas::sha256_hex(view_bytes) != ready.view_sha256)
    return mismatch("run_facts_view " + ready.view_path +
                    ": sha256 differs from READY's run_facts_view.sha256");
  auto v = schemas::parse_run_facts_view(view_bytes);
  if (!v)
    return mismatch(v.error().message());
  const auto& p = ready.pins;
  for (auto [field, got, want] :
       {std::tuple<const char*, std::string_view, std::string_view>{
            "platform_run_id", v->platform_run_id.view(), p.platform_run_id.view()},
        {"scenario_run_id", v->scenario_run_id.view(), p.scenario_run_id.view()},
        {"scenario_id", v->scenario_id.view(), p.scenario_id.view()},
        {"manifest_fingerprint", v->manifest_fingerprint.view(), p.manifest_fingerprint.view()},
        {"parameter_hash", v->parameter_hash.view(), p.parameter_hash.view()},
        {"plan_hash", v->plan_hash, ready.plan_hash},
        {"run_config_digest", v->run_config_digest, ready.run_config_digest},
        {"traffic_delivery_mode", v->traffic_delivery_mode, ready.traffic_delivery_mode}})
    if (got != want)
      return mismatch(std::string("run_facts_view.") + field + ": " + quote_text(got) +
                      " differs from READY's " + quote_text(want));
  if (!p.seed || v->seed != *p.seed)
    return mismatch("run_facts_view.seed: differs from READY's seed");
  if (ready.traffic_delivery_mode != schemas::delivery_ig_push)
    return mismatch("traffic_delivery_mode: " + ready.traffic_delivery_mode +
                    " is not IG_PUSH; WSP only pushes to IG");

  run_plan plan{ready, {}};
  schemas::stream_plan sp{p.manifest_fingerprint.value(), {}, ready.traffic_delivery_mode};
  for (std::size_t i = 0; i < v->outputs.size(); ++i) {
    const auto& o = v->outputs[i];
    auto doc = "run_facts_view.outputs[" + std::to_string(i) + "]";
    output_plan op{o.output_id, o.role, o.event_type, o.schema_version, o.digest, o.rows, {}};
    std::uint64_t rows = 0;
    for (auto& part : o.parts) {
      if (!safe_relative(part.path))
        return mismatch(doc + ".parts: " + quote_text(part.path) +
                        " is not relative to oracle_root without . or ..");
      rows += part.rows;
      op.parts.push_back({part.path, part.sha256, part.rows, part.bytes});
    }
    if (rows != o.rows)
      return mismatch(doc + ".rows: " + std::to_string(o.rows) + " but its parts hold " +
                      std::to_string(rows));
    sp.outputs.push_back({o.output_id, o.role, o.digest, o.rows, o.event_type, o.schema_version});
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
    if (!want.role.empty() && want.role != got.role)
      return plan_fail(where + "role " + got.role + " in the view, " + want.role +
                       " in the policy");
  }
  auto hash = schemas::plan_hash(sp);
  if (hash != ready.plan_hash)
    return plan_fail("plan_hash: the run_facts_view's outputs hash to " + hash + ", READY says " +
                     ready.plan_hash);
  auto mid = schemas::ready_message_id(p.platform_run_id.view(), p.scenario_run_id.view(), hash);
  if (mid != ready.message_id)
    return plan_fail("message_id: recomputed " + mid + ", READY says " + ready.message_id);
  return plan;
}

} // namespace fp::wsp
