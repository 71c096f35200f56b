#pragma once

// A node profile (`config/profiles/*.yaml`): `profile: NAME`, then `wiring:` (where things
// are: endpoints, ports, the data dir, backends, where secrets live) and `policy:` (how the
// node behaves: planes, journal, entities, runtime, HTTP caps). Every profile has the same
// shape; parsing refuses any unknown, mistyped, out-of-range or missing key, naming the file,
// the key path and the rule. Secrets are never in a profile, only their locations.

#include "actors/core/entity.hpp"
#include "bus/event_bus.hpp"
#include "journal/types.hpp"
#include "schemas/expected.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fp::cluster {

struct endpoint {
  std::string bind = "127.0.0.1"; ///< an IPv4 or IPv6 address literal
  std::uint16_t port = 0;         ///< 0 = any free port (the node writes the one it got)
};

struct admin_wiring : endpoint {
  std::string token_file;     ///< a file holding the bearer token (e.g. /run/secrets/...)
  std::string token_env;      ///< or an environment variable holding it
  bool require_token = false; ///< also on loopback; always true when bind is not loopback
};

struct node_wiring {
  std::filesystem::path data_dir;
  admin_wiring admin;
  endpoint ingress;
  std::string bus_backend = "embedded"; ///< embedded | kafka
  std::string bus_bootstrap;            ///< kafka bootstrap servers
};

struct bus_policy {
  /// The topics the node creates (an audited admin action) when it starts; partitions and
  /// retention are policy because they bound parallelism and the replay window.
  std::vector<bus::topic_spec> topics;
};

struct http_policy {
  unsigned admin_threads = 4;
  unsigned ingress_threads = 16;
  std::size_t keep_alive_max_requests = 10'000;
  std::size_t max_body_bytes = 64 << 10;
  std::uint32_t request_timeout_ms = 30'000; ///< an ingress command waiting on its entity
};

struct node_policy {
  std::vector<std::string> planes;
  unsigned scheduler_threads = 0;                   ///< 0 = the machine's core count
  std::chrono::milliseconds shutdown_grace{10'000}; ///< for commands in flight at a stop
  journal::options journal; ///< only the policy fields; dir and writer set by the node
  actors::entity_options entities;
  http_policy http;
  bus_policy bus;
};

struct profile {
  std::string name;
  std::filesystem::path source; ///< the file it was read from, for messages
  node_wiring wiring;
  node_policy policy;

  /// Whether the admin API demands `Authorization: Bearer`.
  bool admin_requires_token() const;
};

/// Parses profile text; `source` names it in messages. Errors: `cluster::errc::bad_profile`
/// with `SOURCE: KEY.PATH: RULE`.
expected<profile> parse_profile(std::string_view text, const std::filesystem::path& source);

/// Reads and parses a profile file.
expected<profile> load_profile(const std::filesystem::path& path);

/// Environment variables that override wiring (containers, tests): `FP_BUS_BOOTSTRAP`,
/// `FP_ADMIN_BIND`, `FP_INGRESS_BIND`. Each override is validated like the profile key it
/// replaces and the cross-key rules are checked again; the message names the variable.
expected<void> apply_env_overrides(profile& p, const std::function<const char*(const char*)>& env);

/// Whether `address` (an IP literal) is a loopback address: 127.0.0.0/8 or ::1.
bool is_loopback(std::string_view address);

} // namespace fp::cluster
