#pragma once

// From a READY to a checked plan (fail closed, the reason named): the READY itself, the
// run_facts_view it points at (sha256, pins, delivery mode), the WSP policy files against the
// view's outputs, and the plan hash and message_id recomputed (actors/ingress/README.md).

#include "actors/ingress/wsp/types.hpp"
#include "schemas/expected.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace fp::wsp {

inline constexpr std::string_view ready_schema = "ready.v1";
inline constexpr std::string_view view_schema = "run_facts_view.v1";
inline constexpr std::string_view ig_push = "IG_PUSH";

/// Parses a READY record's value (`bad_ready` names the field and the rule).
expected<ready_message> parse_ready(std::string_view json_text);

/// The outputs of the WSP policy files in plan order: traffic first, then context
/// (`plan_mismatch` names the file and the key).
expected<std::vector<policy_output>> load_outputs_policy(const std::filesystem::path& traffic,
                                                         const std::filesystem::path& context);

/// `sha256(canonical StreamPlan)` of a view's outputs.
std::string stream_plan_hash(std::string_view manifest_fingerprint,
                             const std::vector<output_plan>& outputs,
                             std::string_view traffic_delivery_mode);

/// `H("fp.sr.ready.v1", platform_run_id, scenario_run_id, plan_hash)`.
std::string ready_message_id(std::string_view platform_run_id, std::string_view scenario_run_id,
                             std::string_view plan_hash);

/// Checks `view_bytes` (the run_facts_view READY points at) against READY and the policy
/// outputs and returns the plan: `view_mismatch` (digest, pins, scenario_run_id, delivery
/// mode), `plan_mismatch` (outputs, event types, schema versions, plan hash, message_id).
expected<run_plan> build_plan(const ready_message& ready, std::string_view view_bytes,
                              const std::vector<policy_output>& policy);

} // namespace fp::wsp
