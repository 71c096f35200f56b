#pragma once

// The cluster node (`fpnode`): reads its profile, opens the journal, starts the entity
// runtime and the profile's planes, serves the admin API and the planes' ingress routes over
// HTTP, and stops cleanly on SIGTERM or SIGINT.

#include <filesystem>
#include <optional>

namespace fp::cluster {

struct node_options {
  std::filesystem::path profile;
  std::optional<std::filesystem::path> data_dir; ///< overrides the profile's wiring.data_dir
};

/// The file a running node writes its bound ports to: `{"admin":P,"ingress":Q,"pid":N}`.
std::filesystem::path ports_file(const std::filesystem::path& data_dir);

/// Runs the node until SIGTERM or SIGINT. Returns the process exit code: 0 after a clean
/// stop, 1 when the node cannot start (the reason is on stderr).
int run_node(const node_options& opts);

/// Parses fpnode's command line (`fpnode --help` documents it) and runs the node.
int fpnode_main(int argc, char** argv);

} // namespace fp::cluster
