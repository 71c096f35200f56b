#pragma once

// `fp devbroker`: a local Kafka-protocol broker (librdkafka's mock cluster) for multi-process
// runs, with the profile's topics pre-created. Registered in commands.cpp with the bit and the
// help text below.

#include "tools/fp/cli.hpp"

#include <string_view>

namespace fp::tools {

exit_code devbroker(const args& a); // devbroker.cpp

} // namespace fp::tools

namespace fp::tools::cli::on {
/// Above the bits cli_table.hpp hands out (shell has 1 << 24).
constexpr unsigned devbroker = 1u << 25;
} // namespace fp::tools::cli::on

namespace fp::tools::devbroker_help {

inline constexpr std::string_view details =
    "A TEST broker: librdkafka's mock cluster, in this process. It speaks the Kafka protocol\n"
    "(fpnode, kcat and any Kafka client can use it) but keeps only 5 MiB (100k message\n"
    "sets) per partition, dropping older records silently, keeps nothing across restarts,\n"
    "serves no CreateTopics, DescribeConfigs or AlterConfigs and does not isolate\n"
    "transactions. Never point anything that matters at it.\n"
    "Creates policy.bus.topics of the --topics-from profile (name and partitions; the mock\n"
    "has no retention), prints the bootstrap address on stdout and writes it to the\n"
    "--bootstrap-file (default ./devbroker.bootstrap); the ports are random, so point\n"
    "nodes at it with FP_BUS_BOOTSTRAP=$(cat devbroker.bootstrap). SIGTERM or Ctrl-C stops\n"
    "it: the file is removed and the exit code is 0.";

} // namespace fp::tools::devbroker_help
