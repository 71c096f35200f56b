#pragma once

// `fp sr run` and `fp sr status`: the Scenario Runner's client. Registered in commands.cpp
// with the bits and help texts below.

#include "tools/fp/cli.hpp"

#include <string_view>

namespace fp::tools {

exit_code sr_run(const args& a);    // sr.cpp
exit_code sr_status(const args& a); // sr.cpp

} // namespace fp::tools

namespace fp::tools::cli::on {
/// Above the bits cli_table.hpp hands out (shell 1 << 24, devbroker 1 << 25, world 26-27).
constexpr unsigned sr_run = 1u << 30;
constexpr unsigned sr_status = 1u << 31;
constexpr unsigned sr = sr_run | sr_status;
} // namespace fp::tools::cli::on

namespace fp::tools::sr_help {

inline constexpr std::string_view run_details =
    "Asks the node's sr plane (POST URL/v1/sr/runs) to run the sealed world of --seed (and\n"
    "--scenario-id, --parameter-hash, --manifest-fingerprint when given; several matching\n"
    "worlds are refused, listing them). A new run's start is --start, else the clock, read\n"
    "once here: the chosen platform_run_id is printed on stderr; a retry passes\n"
    "--platform-run-id instead and is a no-op once the run is READY. The API key comes from\n"
    "$FP_SR_API_KEY or --api-key-file. Prints the node's JSON answer (ids, status, no_op,\n"
    "the run_facts_view ref, READY's offset). Exit 0 on READY or no-op; 1 when refused (no\n"
    "gate PASS, drift, no such world, 401) or failed, with the reason on stderr.";

inline constexpr std::string_view status_details =
    "GET URL/v1/sr/runs/ID (the run's state), or without ID GET URL/v1/sr/active (the\n"
    "active-run pointer). Prints the JSON answer; exit 1 when the node refuses or the run is\n"
    "unknown.";

} // namespace fp::tools::sr_help
