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

/// Parses a READY record's value with `schemas::parse_ready` (`bad_ready` names the field
/// and the rule).
expected<ready_message> parse_ready(std::string_view json_text);

/// The outputs of the WSP policy files in plan order, traffic first, then context, read with
/// SR's parser (`plan_mismatch` names the file and the key).
expected<std::vector<policy_output>> load_outputs_policy(const std::filesystem::path& traffic,
                                                         const std::filesystem::path& context);

/// Checks `view_bytes` (the run_facts_view READY points at) against READY and the policy
/// outputs and returns the plan: `view_mismatch` (digest, pins, scenario_run_id, delivery
/// mode), `plan_mismatch` (outputs, event types, schema versions, plan hash, message_id).
expected<run_plan> build_plan(const ready_message& ready, std::string_view view_bytes,
                              const std::vector<policy_output>& policy);

} // namespace fp::wsp
