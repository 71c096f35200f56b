#pragma once

// The Scenario Runner's contracts (actors/ingress/README.md): the run ids, the StreamPlan,
// `run_facts_view.json` and the READY control message. JSON Schemas:
// `contracts/run_facts_view.schema.json`, `contracts/ready.schema.json`.

#include "schemas/expected.hpp"
#include "schemas/types.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fp::schemas {

inline constexpr std::string_view run_facts_view_schema = "run_facts_view.v1";
inline constexpr std::string_view ready_schema = "ready.v1";
inline constexpr std::string_view ready_kind = "READY";
/// The only delivery mode v0 knows: WSP pushes traffic through IG.
inline constexpr std::string_view delivery_ig_push = "IG_PUSH";
/// The streamed roles (`truth` is never streamed).
inline constexpr std::string_view role_traffic = "business_traffic";
inline constexpr std::string_view role_context = "context";

// -- ids -----------------------------------------------------------------------------------

/// `{"outputs": [...], "traffic_delivery_mode": MODE}`: the WSP output ids in plan order.
struct run_config {
  std::string traffic_delivery_mode;
  std::vector<std::string> outputs;
  friend bool operator==(const run_config&, const run_config&) = default;
};

/// The canonical JSON text of `c`.
std::string to_json(const run_config& c);

/// sha256 hex of `to_json(c)`.
std::string run_config_digest(const run_config& c);

/// `H("fp.sr.scenario_run_id.v1", manifest_fingerprint, parameter_hash, scenario_id, seed
/// (decimal), run_config_digest)`: the run equivalence key.
fp::scenario_run_id scenario_run_id(std::string_view manifest_fingerprint,
                                    std::string_view parameter_hash, std::string_view scenario_id,
                                    std::uint64_t seed, std::string_view run_config_digest);

struct stream_plan_output {
  std::string output_id;
  std::string role; ///< `business_traffic` | `context`
  std::string digest;
  std::uint64_t rows = 0;
  std::string event_type;
  std::string schema_version;
  friend bool operator==(const stream_plan_output&, const stream_plan_output&) = default;
};

/// `{"manifest_fingerprint", "outputs": [...], "traffic_delivery_mode"}`, outputs in plan order.
struct stream_plan {
  std::string manifest_fingerprint;
  std::vector<stream_plan_output> outputs;
  std::string traffic_delivery_mode;
  friend bool operator==(const stream_plan&, const stream_plan&) = default;
};

/// The canonical JSON text of `p`.
std::string to_json(const stream_plan& p);

/// sha256 hex of `to_json(p)`.
std::string plan_hash(const stream_plan& p);

/// `H("fp.sr.ready.v1", platform_run_id, scenario_run_id, plan_hash)`.
std::string ready_message_id(std::string_view platform_run_id, std::string_view scenario_run_id,
                             std::string_view plan_hash);

/// `fraud-platform/{platform_run_id}/sr/run_facts_view.json`.
std::string run_facts_view_key(std::string_view platform_run_id);

// -- run_facts_view ------------------------------------------------------------------------

struct run_facts_part {
  std::string path; ///< relative to oracle_root
  std::string sha256;
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  friend bool operator==(const run_facts_part&, const run_facts_part&) = default;
};

struct run_facts_output {
  std::string output_id;
  std::string role;
  std::string event_type;
  std::string schema_version;
  std::string digest;
  std::uint64_t rows = 0;
  std::vector<run_facts_part> parts;
  friend bool operator==(const run_facts_output&, const run_facts_output&) = default;
};

struct run_facts_view {
  fp::platform_run_id platform_run_id;
  fp::scenario_run_id scenario_run_id;
  fp::scenario_id scenario_id;
  fp::manifest_fingerprint manifest_fingerprint;
  fp::parameter_hash parameter_hash;
  std::uint64_t seed = 0;
  std::string run_config_digest;
  std::string plan_hash;
  std::string started_at_utc;
  std::string traffic_delivery_mode;
  std::string world_path;          ///< `world.path`, relative to oracle_root
  std::string gate_receipt_path;   ///< `world.gate_receipt.path`, relative to oracle_root
  std::string gate_receipt_sha256; ///< `world.gate_receipt.sha256`
  std::vector<run_facts_output> outputs;
  friend bool operator==(const run_facts_view&, const run_facts_view&) = default;
};

/// Rules: the pins as in the envelope; hashes 64 lowercase hex; `started_at_utc` RFC 3339 UTC;
/// `traffic_delivery_mode` `IG_PUSH`; paths object keys; at least one output, ids path-safe
/// and unique, role `business_traffic` | `context`, integers within 0..2^53-1, at least one
/// part each. Messages start `run_facts_view.<field>`.
expected<void> validate_run_facts_view(const run_facts_view& v);

/// Parses and validates; unknown, missing and mistyped fields are refused, naming the field.
expected<run_facts_view> parse_run_facts_view(std::string_view json_text);

/// The canonical JSON text, `schema_version` included.
std::string to_json(const run_facts_view& v);

// -- READY ---------------------------------------------------------------------------------

struct ready_message {
  std::string message_id;
  fp::platform_run_id platform_run_id;
  fp::scenario_run_id scenario_run_id;
  fp::scenario_id scenario_id;
  fp::manifest_fingerprint manifest_fingerprint;
  fp::parameter_hash parameter_hash;
  std::uint64_t seed = 0;
  std::string plan_hash;
  std::string run_config_digest;
  std::string traffic_delivery_mode;
  std::string run_facts_view_path;   ///< `run_facts_view.path`: `run_facts_view_key(prid)`
  std::string run_facts_view_sha256; ///< `run_facts_view.sha256`
  friend bool operator==(const ready_message&, const ready_message&) = default;
};

/// Rules: as the view's pins, plus `message_id` must equal `ready_message_id(...)` of the
/// message's own ids and `run_facts_view.path` must be the run's view key. Messages start
/// `ready.<field>`.
expected<void> validate_ready(const ready_message& m);

/// Parses and validates; `kind` must be `READY` and `schema_version` `ready.v1`.
expected<ready_message> parse_ready(std::string_view json_text);

/// The canonical JSON text, `kind` and `schema_version` included. No timestamps: the same
/// run gives the same bytes.
std::string to_json(const ready_message& m);

} // namespace fp::schemas
