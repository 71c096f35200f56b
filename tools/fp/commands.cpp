// The two tables that define `fp`: its subcommands and its options.

#include "tools/fp/cli_table.hpp"
#include "tools/fp/devbroker.hpp"
#include "tools/fp/shell.hpp"
#include "tools/fp/sr.hpp"
#include "tools/fp/world.hpp"
#include "tools/fp/wsp.hpp"

#include <array>

namespace fp::tools::cli {

namespace {

constexpr std::array command_table{
    command_spec{"replay stats", on::replay_stats, "replay stats --data DIR [--json]", 0, 0,
                 "count entities, events, bytes per event type, snapshots and objects",
                 "Scans the whole journal in global order (read-only; safe while a node runs).\n"
                 "--json prints one JSON object instead of the table.",
                 replay_stats},
    command_spec{"replay dump", on::replay_dump,
                 "replay dump --data DIR [--pid ID | --global] [--from N] [--limit N]", 0, 0,
                 "print events as JSON lines, payloads decoded from msgpack",
                 "One JSON object a line: global_seq, persistence_id, seq, event_type,\n"
                 "schema_version, written_at (RFC 3339 UTC, ns), writer, payload. A payload that\n"
                 "is not exactly one msgpack value is printed as \"payload_hex\" instead.\n"
                 "--global (the default) walks the global order and --from is a global seq;\n"
                 "--pid walks one entity's stream and --from is its seq.",
                 replay_dump},
    command_spec{"replay verify", on::replay_verify, "replay verify --data DIR", 0, 0,
                 "check every record's checksum, seq continuity, snapshots and object digests",
                 "Prints a summary; on a problem also the first bad record (naming its\n"
                 "persistence_id and seq when they can be found) and exits 1.",
                 replay_verify},
    command_spec{"objects ls", on::objects_ls, "objects ls [PREFIX] --data DIR [--json]", 0, 1,
                 "list objects whose path starts with PREFIX",
                 "One line an object: path, size in bytes, sha256 digest (hex), schema_version\n"
                 "('-' when none). --json prints each ArtifactRef as a JSON line instead.",
                 objects_ls},
    command_spec{"objects cat", on::objects_cat, "objects cat REF... --data DIR", 1, 100000,
                 "write objects' bytes to stdout after checking their digests",
                 "REF is the object's path. With several REFs each object is followed by a\n"
                 "newline. When stored bytes do not match their digest, that object is not\n"
                 "written and the exit code is 1.",
                 objects_cat},
    command_spec{"objects put", on::objects_put,
                 "objects put PATH FILE --data DIR [--schema-version V]", 2, 2,
                 "store FILE's bytes (or stdin for '-') at PATH; print its ArtifactRef as JSON",
                 "Objects are write-once: the same bytes at the same path again is a no-op;\n"
                 "other bytes at an existing path are refused (exit 1) and change nothing.",
                 objects_put},
    command_spec{"demo", on::demo,
                 "demo --data DIR [--entities N] [--events-per-entity M] [--threads T] "
                 "[--receipts R]",
                 0, 0, "the journal demonstration: write, snapshot, recover, replay, verify",
                 "Appends M deterministic events to each of N account entities from T threads\n"
                 "(append_async pipelining, group commit), snapshots every 5th event of every\n"
                 "4th entity, stores R receipt objects, then reopens the journal read-only,\n"
                 "recovers a sample of entities from snapshot+tail and from full replay and\n"
                 "compares their balances, replays everything in global order and verifies.\n"
                 "If DIR already holds a journal the demo continues it: each entity's new\n"
                 "events follow its head seq, and receipts already stored are left as they are.\n"
                 "Exits 0 only if every check passed.",
                 demo},
    command_spec{
        "shell", on::shell, "shell (--node URL | --data DIR) [--token-file F] [-c COMMAND]", 0, 0,
        "inspect a running node's actors through its admin API", sh::help_details_text, shell},
    command_spec{"devbroker", on::devbroker,
                 "devbroker [--brokers N] [--topics-from PROFILE] [--bootstrap-file PATH]", 0, 0,
                 "a local TEST Kafka broker (librdkafka's mock cluster) with the profile's topics",
                 devbroker_help::details, devbroker},
    command_spec{"world generate", on::world_generate,
                 "world generate --seed S [--merchants M] [--flows F] [--out DIR] [--start T] "
                 "[--span D] [--scenario-id X] [--part-rows N] [--fraud-rate-bp B]",
                 0, 0, "write a deterministic synthetic sealed world into the Oracle Store",
                 world_help::generate_details, world_generate},
    command_spec{"world verify", on::world_verify, "world verify [--out DIR]", 0, 0,
                 "re-check every sealed world's digests, order and gate receipt",
                 world_help::verify_details, world_verify},
    command_spec{"sr run", on::sr_run,
                 "sr run --node URL --seed S [--scenario-id X] [--parameter-hash H] "
                 "[--manifest-fingerprint F] [--platform-run-id ID | --start T] "
                 "[--api-key-file F]",
                 0, 0, "run a sealed world: ledger, READY on fp.bus.control.v1, active run",
                 sr_help::run_details, sr_run},
    command_spec{"sr status", on::sr_status, "sr status --node URL [ID] [--api-key-file F]", 0, 1,
                 "a run's state, or the active run", sr_help::status_details, sr_status},
    command_spec{"wsp run", on::wsp_run,
                 "wsp run --node URL [--ig URL] [--platform-run-id ID] [--unpaced] "
                 "[--speedup N] [--cap N] [--concurrency N] [--resend-bp N] [--state DIR] "
                 "[--oracle-root DIR] [--policy-dir DIR]",
                 0, 0, "stream a READY run's world outputs to IG (the World Streamer Producer)",
                 wsp_help::run_details, wsp_run},
    command_spec{"version", on::version, "version", 0, 0,
                 "print the git SHA this binary was built from", "", version},
};

constexpr std::array option_table{
    option_spec{"--data", "DIR", value_kind::text, on::with_data | on::shell, on::with_data,
                "node data dir; the journal is DIR/journal"},
    option_spec{"--json", "", value_kind::flag, on::replay_stats | on::objects_ls, 0,
                "print JSON instead of text"},
    option_spec{"--pid", "ID", value_kind::text, on::replay_dump, 0,
                "dump the stream of this persistence id"},
    option_spec{"--global", "", value_kind::flag, on::replay_dump, 0,
                "dump in global order (default)"},
    option_spec{"--from", "N", value_kind::number, on::replay_dump, 0,
                "first seq (--pid) or global seq (--global) to print; default 1"},
    option_spec{"--limit", "N", value_kind::number, on::replay_dump, 0,
                "print at most N events; default all"},
    option_spec{"--schema-version", "V", value_kind::text, on::objects_put, 0,
                "schema_version recorded in the object's ArtifactRef"},
    option_spec{"--entities", "N", value_kind::number, on::demo, 0,
                "account entities to write; default 20000"},
    option_spec{"--events-per-entity", "M", value_kind::number, on::demo, 0,
                "events appended to each entity; default 10"},
    option_spec{"--threads", "T", value_kind::number, on::demo, 0, "appending threads; default 16"},
    option_spec{"--receipts", "R", value_kind::number, on::demo, 0,
                "receipt objects to store; default 300"},
    option_spec{"--node", "URL", value_kind::text, on::shell | on::sr | on::wsp_run,
                on::sr | on::wsp_run,
                "shell, wsp run: the node's admin API, e.g. http://127.0.0.1:8470; sr: its "
                "ingress API"},
    option_spec{"--token-file", "F", value_kind::text, on::shell, 0,
                "admin bearer token file; default $FP_ADMIN_TOKEN"},
    option_spec{"-c", "COMMAND", value_kind::text, on::shell, 0,
                "run one shell command, print compact JSON and exit"},
    option_spec{"--brokers", "N", value_kind::number, on::devbroker, 0,
                "mock brokers to start (1..16); default 3"},
    option_spec{"--topics-from", "PROFILE", value_kind::text, on::devbroker, 0,
                "create the profile's policy.bus.topics"},
    option_spec{"--bootstrap-file", "PATH", value_kind::text, on::devbroker, 0,
                "where to write the bootstrap address; default ./devbroker.bootstrap"},
    option_spec{"--seed", "S", value_kind::number, on::world_generate | on::sr_run,
                on::world_generate | on::sr_run, "the world's seed, 0..2^53-1"},
    option_spec{"--merchants", "M", value_kind::number, on::world_generate, 0,
                "merchants, 1..100000; default 20"},
    option_spec{"--flows", "F", value_kind::number, on::world_generate, 0,
                "flows (arrivals), 1..100000000; default 2000"},
    option_spec{"--out", "DIR", value_kind::text, on::world, 0,
                "oracle_root; the world goes under DIR/oracle/; default $ORACLE_ROOT"},
    option_spec{"--start", "T", value_kind::text, on::world_generate | on::sr_run, 0,
                "world generate: first arrival time, RFC 3339 UTC whole seconds, default "
                "2026-01-01T00:00:00Z; sr run: the run's start, default the clock (read once)"},
    option_spec{"--span", "D", value_kind::text, on::world_generate, 0,
                "how long arrivals run: N and s, m, h or d, 1m..366d; default 1d"},
    option_spec{"--scenario-id", "X", value_kind::text, on::world_generate | on::sr_run, 0,
                "scenario id (a path segment); world generate: default baseline_v1"},
    option_spec{"--parameter-hash", "H", value_kind::text, on::sr_run, 0,
                "pick the world with this parameter_hash (64 hex)"},
    option_spec{"--manifest-fingerprint", "F", value_kind::text, on::sr_run, 0,
                "pick the world with this manifest_fingerprint (64 hex)"},
    option_spec{"--platform-run-id", "ID", value_kind::text, on::sr_run | on::wsp_run, 0,
                "sr run: retry this run (platform_YYYYMMDDTHHMMSSZ) instead of starting a new "
                "one; wsp run: stream this run's READY (default the newest)"},
    option_spec{"--api-key-file", "F", value_kind::text, on::sr, 0,
                "the ingress API key's file (first line); default $FP_SR_API_KEY"},
    option_spec{"--part-rows", "N", value_kind::number, on::world_generate, 0,
                "rows a part file, 1000..100000000; default 1000000"},
    option_spec{"--ig", "URL", value_kind::text, on::wsp_run, 0,
                "IG's base URL; default http://127.0.0.1:8471"},
    option_spec{"--unpaced", "", value_kind::flag, on::wsp_run, 0,
                "send as fast as IG accepts (benchmarks)"},
    option_spec{"--speedup", "N", value_kind::number, on::wsp_run, 0,
                "ts_utc time runs N times faster; 0 = realistic time; default 600"},
    option_spec{"--cap", "N", value_kind::number, on::wsp_run, 0,
                "distinct events per output; 0 = all; default 200"},
    option_spec{"--concurrency", "N", value_kind::number, on::wsp_run, 0,
                "outputs streamed at once, 1..64; default 4"},
    option_spec{"--resend-bp", "N", value_kind::number, on::wsp_run, 0,
                "basis points of events re-sent once (at-least-once drill); default 0"},
    option_spec{"--state", "DIR", value_kind::text, on::wsp_run, 0,
                "checkpoints and finished READYs; default data/wsp_state"},
    option_spec{"--oracle-root", "DIR", value_kind::text, on::wsp_run, 0,
                "the sealed worlds; default $ORACLE_ROOT, else data/oracle_root"},
    option_spec{"--policy-dir", "DIR", value_kind::text, on::wsp_run, 0,
                "the WSP outputs policy files; default config/platform/wsp"},
    option_spec{"--fraud-rate-bp", "B", value_kind::number, on::world_generate, 0,
                "target share of fraud flows in basis points, 0..2000; default 250"},
};

} // namespace

std::span<const command_spec> commands() {
  return command_table;
}
std::span<const option_spec> options() {
  return option_table;
}

bool is_group(std::string_view word) {
  return word == "replay" || word == "objects" || word == "world" || word == "sr" || word == "wsp";
}

} // namespace fp::tools::cli
