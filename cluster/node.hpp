#pragma once

// The cluster node (`fpnode`). For now it owns the node's journal and waits for a stop
// signal; the planes, the profile format and the HTTP servers arrive with the node issue.

#include <filesystem>

namespace fp::cluster {

struct node_options {
  std::filesystem::path profile;                ///< checked to exist and be readable
  std::filesystem::path data_dir = "data/node"; ///< the journal is DATA/journal
};

/// Opens the journal, logs one line, blocks until SIGTERM or SIGINT, closes the journal.
/// Returns the process exit code: 0 after a clean stop, 1 when the node cannot start.
int run_node(const node_options& opts);

/// Parses fpnode's command line (`fpnode --help` documents it) and runs the node.
int fpnode_main(int argc, char** argv);

} // namespace fp::cluster
