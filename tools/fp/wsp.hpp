#pragma once

// `fp wsp run`: the World Streamer Producer as a one-shot CLI (actors/ingress/wsp). Registered
// in commands.cpp with the bit and help text below.

#include "tools/fp/cli.hpp"

#include <string_view>

namespace fp::tools {

exit_code wsp_run(const args& a); // wsp.cpp

} // namespace fp::tools

namespace fp::tools::cli::on {
/// Above the world bits (1 << 26, 1 << 27).
constexpr unsigned wsp_run = 1u << 28;
} // namespace fp::tools::cli::on

namespace fp::tools::wsp_help {

inline constexpr std::string_view run_details =
    "Reads the newest READY (or the one of --platform-run-id) from the node's control topic\n"
    "and its run_facts_view through the admin API (GET /admin/bus/topics/.../records and\n"
    "GET /admin/objects/...), checks them against the WSP policy files in --policy-dir, and\n"
    "streams every output's rows from --oracle-root (default $ORACLE_ROOT) to IG at --ig\n"
    "(POST /v1/ingest, X-API-Key from $FP_WSP_API_KEY). The admin token is $FP_ADMIN_TOKEN\n"
    "when set. --speedup N divides ts_utc distances by N (0 = realistic time); --unpaced\n"
    "sends as fast as IG accepts. --cap counts distinct events per output (0 = all).\n"
    "--resend-bp re-sends that many basis points of events once more, chosen by event_id.\n"
    "Checkpoints and the READY dedupe live in --state DIR: a second run resumes where the\n"
    "first stopped; a finished READY is a no-op. Progress per output on stderr (a\n"
    "terminal); one JSON summary per output on stdout. Exit 0 when every output finished,\n"
    "1 when one stopped (the reason on stderr) or the READY was refused, 2 bad usage.";

} // namespace fp::tools::wsp_help
