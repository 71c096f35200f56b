#pragma once

// Finding the sealed world a run names under oracle_root, and its gate: no PASS, no READY.

#include "schemas/expected.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace fp::sr {

/// Which world a run asks for: the seed, and the other pins when given.
struct world_query {
  std::uint64_t seed = 0;
  std::optional<std::string> scenario_id;
  std::optional<std::string> parameter_hash;
  std::optional<std::string> manifest_fingerprint;
};

struct world_part {
  std::string path; ///< relative to the world directory, as the manifest lists it
  std::string sha256;
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
};

struct world_output {
  std::string output_id;
  std::string role;
  std::string digest;
  std::uint64_t rows = 0;
  std::vector<world_part> parts;
};

/// A world that passed its gate: the pins, its outputs and where it and its receipt are.
struct sealed_world {
  std::filesystem::path dir;       ///< absolute
  std::string relative_path;       ///< `oracle/seed=.../scenario_id=X`, relative to oracle_root
  std::string gate_receipt_path;   ///< relative to oracle_root
  std::string gate_receipt_sha256; ///< of the receipt's bytes
  std::uint64_t seed = 0;
  std::string scenario_id;
  std::string parameter_hash;
  std::string manifest_fingerprint;
  std::vector<world_output> outputs; ///< in manifest order
};

/// The one world directory under `oracle_root` matching `q` (`world::find_worlds`, then the
/// path tokens). None is `world_not_found`; several are `world_ambiguous`, listing them.
expected<std::filesystem::path> locate_world(const std::filesystem::path& oracle_root,
                                             const world_query& q);

/// Reads the manifest and checks the gate receipt: present, `status` PASS, its pins, its
/// `manifest_sha256` and its output digests equal to the manifest's, and the manifest's pins
/// equal to the path tokens. Any failure is `gate_refused` naming the rule. Part files are not
/// re-hashed here (`fp world verify` does that).
expected<sealed_world> open_sealed_world(const std::filesystem::path& oracle_root,
                                         const std::filesystem::path& dir);

} // namespace fp::sr
