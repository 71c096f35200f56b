#pragma once

// The commands of `fp shell` as one declarative table (name, operands, options, help, TAB
// completion, handler), the parser and dispatcher generated from it, and the completer the
// REPL's TAB key calls. Handlers live in shell_handlers.cpp.

#include "tools/fp/shell_client.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fp::tools::sh {

enum class output { human, json };

/// What commands run against and how they print: tables for people, the API's compact JSON
/// body for scripts (`-c`).
struct session {
  admin_client& client;
  output mode = output::human;
};

/// What a command printed. `failed` marks output that still means exit 1 (health RED).
struct reply {
  std::string text;
  bool quit = false;
  bool failed = false;
};

/// What TAB offers for a command's operands, in order.
enum class complete_as { nothing, command, type, type_then_key, persistence_id, metric };

struct invocation;
using handler = expected<reply> (*)(session&, const invocation&);

/// One bit per command, so that an option row can name the commands accepting it.
namespace on {
constexpr unsigned planes = 1u << 0;
constexpr unsigned ls = 1u << 1;
constexpr unsigned show = 1u << 2;
constexpr unsigned journal = 1u << 3;
constexpr unsigned metrics = 1u << 4;
constexpr unsigned health = 1u << 5;
constexpr unsigned help = 1u << 6;
constexpr unsigned quit = 1u << 7;
constexpr unsigned bus = 1u << 8;
constexpr unsigned lag = 1u << 9;
} // namespace on

struct command_spec {
  std::string_view name;
  unsigned bit;
  std::string_view usage;
  std::size_t min_operands;
  std::size_t max_operands;
  std::string_view summary;
  complete_as completion;
  handler fn;
};

struct option_spec {
  std::string_view name;  ///< `--limit`
  std::string_view value; ///< placeholder (`N`); every shell option takes a value
  bool numeric;
  unsigned accepted_by; ///< `on::` bits
  std::string_view help;
  std::uint64_t min = 0; ///< numeric options: the range the node's admin API accepts
  std::uint64_t max = UINT64_MAX;
};

/// A parsed command line: the command's row, its operands and its options.
struct invocation {
  const command_spec* command = nullptr;
  std::vector<std::string> operands;
  std::map<std::string, std::string, std::less<>> options;

  std::string option(std::string_view name, std::string fallback = {}) const;
};

expected<reply> run_planes(session& s, const invocation& in);
expected<reply> run_ls(session& s, const invocation& in);
expected<reply> run_show(session& s, const invocation& in);
expected<reply> run_journal(session& s, const invocation& in);
expected<reply> run_metrics(session& s, const invocation& in);
expected<reply> run_health(session& s, const invocation& in);
expected<reply> run_bus(session& s, const invocation& in);
expected<reply> run_lag(session& s, const invocation& in);
expected<reply> run_help(session& s, const invocation& in);
expected<reply> run_quit(session& s, const invocation& in);

inline constexpr std::array command_table{
    command_spec{"planes", on::planes, "planes", 0, 0,
                 "the node's planes, their entity types and entity counts by state",
                 complete_as::nothing, run_planes},
    command_spec{"ls", on::ls, "ls TYPE [--state S] [--after KEY] [--limit N]", 1, 1,
                 "entities of TYPE with their status, one page (--after continues)",
                 complete_as::type, run_ls},
    command_spec{"show", on::show, "show TYPE KEY", 2, 2,
                 "one entity: status, last event, snapshot seq and state",
                 complete_as::type_then_key, run_show},
    command_spec{"journal", on::journal, "journal ID [--from N] [--limit N]", 1, 1,
                 "events of persistence id ID (TYPE/KEY), payloads decoded",
                 complete_as::persistence_id, run_journal},
    command_spec{"metrics", on::metrics, "metrics [PREFIX]", 0, 1,
                 "the node's Prometheus metrics whose name starts with PREFIX", complete_as::metric,
                 run_metrics},
    command_spec{"health", on::health, "health", 0, 0,
                 "GREEN, AMBER or RED and the reasons; RED fails a -c command",
                 complete_as::nothing, run_health},
    command_spec{"bus", on::bus, "bus", 0, 0,
                 "the event bus: backend, reachability, topics with their partitions' offsets",
                 complete_as::nothing, run_bus},
    command_spec{"lag", on::lag, "lag GROUP TOPIC", 2, 2,
                 "a consumer group's committed checkpoints and lag per partition of TOPIC",
                 complete_as::nothing, run_lag},
    command_spec{"help", on::help, "help [COMMAND]", 0, 1, "the commands, or one command's help",
                 complete_as::command, run_help},
    command_spec{"quit", on::quit, "quit", 0, 0, "leave the shell (also exit, Ctrl-D)",
                 complete_as::nothing, run_quit},
    command_spec{"exit", on::quit, "exit", 0, 0, "leave the shell", complete_as::nothing, run_quit},
};

inline constexpr std::array option_table{
    option_spec{"--state", "S", false, on::ls,
                "only entities in state S: recovering, live, passivated, quarantined"},
    option_spec{"--after", "KEY", false, on::ls, "start after KEY (the last page's next_after)"},
    option_spec{"--limit", "N", true, on::ls | on::journal, "at most N rows (1..1000)", 1, 1000},
    option_spec{"--from", "N", true, on::journal, "first seq to show; default 1", 1},
};

/// The entity states `ls --state` accepts and TAB offers.
inline constexpr std::array<std::string_view, 4> entity_states{"recovering", "live", "passivated",
                                                               "quarantined"};

/// Splits a line into words: blanks separate, '...' and "..." quote, backslash escapes.
expected<std::vector<std::string>> tokenize(std::string_view line);

/// Checks `words` against the tables. An empty `words` is a usage error.
expected<invocation> parse(const std::vector<std::string>& words);

/// Parses and runs one line. A blank line is an empty reply.
expected<reply> execute(session& s, std::string_view line);

/// The words TAB can put in place of the last, partial word of `before_cursor` (all of them
/// start with it). Asks the node for types, keys and metric names; an unreachable node
/// offers nothing.
std::vector<std::string> complete(session& s, std::string_view before_cursor);

} // namespace fp::tools::sh
