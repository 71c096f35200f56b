#pragma once

// Sealing a synthetic world into the Oracle Store and checking a sealed one.
//
//   ORACLE_ROOT/oracle/seed=S/parameter_hash=P/manifest_fingerprint=F/scenario_id=X/
//     outputs/<output_id>/part-00000.jsonl ...   the four streamed outputs
//     truth/s4_flow_truth_6B/part-00000.jsonl    the label plane's surface
//     manifest.json                              parameters, digests, parts, fingerprint
//     gate_receipt.json                          PASS, written last
//
// See README.md for the model and the digest rules.

#include "actors/ingress/world/stream.hpp"
#include "actors/ingress/world/types.hpp"
#include "schemas/expected.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace fp::world {

inline constexpr std::string_view manifest_file = "manifest.json";
inline constexpr std::string_view gate_receipt_file = "gate_receipt.json";

/// `root/oracle/seed=S/parameter_hash=P/manifest_fingerprint=F/scenario_id=X`.
std::filesystem::path world_path(const std::filesystem::path& oracle_root, std::uint64_t seed,
                                 std::string_view parameter_hash,
                                 std::string_view manifest_fingerprint,
                                 std::string_view scenario_id);

struct generate_result {
  std::filesystem::path world_dir;
  std::string parameter_hash;
  std::string manifest_fingerprint;
  bool already_sealed = false; ///< an identical world was there: nothing was written
  stream_stats stats;
  std::uint64_t bytes = 0; ///< of all parts
};

/// Generates the world of `p` into a staging directory beside its final place, writes the
/// manifest, moves it into place and writes the gate receipt last. Write-once: an identical
/// sealed world makes this a no-op; a different one at the same path is refused (`conflict`),
/// and so is another fingerprint sealed for the same seed, parameter_hash and scenario
/// (`drift`). `bad_parameter` for invalid params, `io_error` for the file system.
expected<generate_result> generate(const params& p, const std::filesystem::path& oracle_root,
                                   const std::function<void(std::uint64_t)>& on_flows = {});

/// Re-checks one sealed world: the path tokens, parameter_hash against the recorded
/// parameters, every part's bytes, rows and sha256, `ts_utc` order, every output digest, the
/// manifest_fingerprint and the gate receipt. `corrupt` names the first problem.
expected<void> verify_world(const std::filesystem::path& world_dir);

/// Every world directory under `oracle_root/oracle`, sorted (staging directories skipped).
std::vector<std::filesystem::path> find_worlds(const std::filesystem::path& oracle_root);

} // namespace fp::world
