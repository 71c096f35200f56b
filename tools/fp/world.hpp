#pragma once

// `fp world generate` and `fp world verify`: the synthetic sealed Oracle Store
// (actors/ingress/world). Registered in commands.cpp with the bits and help texts below.

#include "tools/fp/cli.hpp"

#include <string_view>

namespace fp::tools {

exit_code world_generate(const args& a); // world.cpp
exit_code world_verify(const args& a);   // world.cpp

} // namespace fp::tools

namespace fp::tools::cli::on {
/// Above the bits cli_table.hpp hands out (shell has 1 << 24, devbroker 1 << 25).
constexpr unsigned world_generate = 1u << 26;
constexpr unsigned world_verify = 1u << 27;
constexpr unsigned world = world_generate | world_verify;
} // namespace fp::tools::cli::on

namespace fp::tools::world_help {

inline constexpr std::string_view generate_details =
    "Writes a deterministic synthetic world (the four outputs WSP streams plus a truth\n"
    "surface for the label plane) under ROOT/oracle/seed=S/parameter_hash=P/\n"
    "manifest_fingerprint=F/scenario_id=X/, where ROOT is --out or else $ORACLE_ROOT.\n"
    "Rows are RFC 8785 JSON lines in ts_utc order; manifest.json records the parameters,\n"
    "every part's sha256 and each output's digest; gate_receipt.json (PASS) is written\n"
    "last. The same seed and options give the same bytes. Write-once: an identical world\n"
    "already sealed is a no-op (exit 0); a different one at that path, or another\n"
    "fingerprint for the same seed, parameters and scenario, is refused (exit 1).\n"
    "Prints one JSON object: the world's path, ids, row counts and timings.";

inline constexpr std::string_view verify_details =
    "Re-checks every sealed world under ROOT/oracle (ROOT is --out or $ORACLE_ROOT): path\n"
    "tokens, parameter_hash, each part's rows, bytes, sha256 and ts_utc order, each output\n"
    "digest, the manifest_fingerprint and the gate receipt. Exit 1 names the first problem\n"
    "of each bad world; exit 1 too when there is no world at all.";

} // namespace fp::tools::world_help
