#pragma once

// The WSP outputs policy files (`config/platform/wsp/*_outputs_v0.yaml`): which Oracle Store
// outputs a run streams, with the envelope's event_type and schema_version for each. SR reads
// them to build the run's plan; WSP reads the same files through this parser.
//
//   version: wsp_outputs.v0
//   outputs:
//     - {output_id: s3_event_stream_with_fraud_6B, event_type: ..., schema_version: v1}

#include "schemas/expected.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace fp::sr {

inline constexpr std::string_view outputs_policy_version = "wsp_outputs.v0";

struct output_spec {
  std::string output_id;      ///< path-safe; an output of the sealed world
  std::string event_type;     ///< [A-Za-z0-9._:-]{1,128}
  std::string schema_version; ///< `v<digits>`
  friend bool operator==(const output_spec&, const output_spec&) = default;
};

struct outputs_policy {
  std::string version;
  std::vector<output_spec> outputs; ///< at least one, ids unique, in file order
};

/// Parses policy text strictly: unknown, repeated, missing or mistyped keys are refused with
/// `SOURCE: KEY.PATH: RULE` (`errc::bad_policy`).
expected<outputs_policy> parse_outputs_policy(std::string_view text, std::string_view source);

/// Reads and parses the file at `path`.
expected<outputs_policy> load_outputs_policy(const std::filesystem::path& path);

/// An output of the run's plan: its spec and its role (`business_traffic` for the traffic
/// file's outputs, `context` for the context file's).
struct planned_output {
  output_spec spec;
  std::string role;
};

/// Plan order: the traffic outputs, then the context outputs, as the files list them. An id
/// in both files is refused (`bad_policy`).
expected<std::vector<planned_output>> plan_outputs(const outputs_policy& traffic,
                                                   const outputs_policy& context);

} // namespace fp::sr
