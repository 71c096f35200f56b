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

/// The planes' HTTP endpoint (IG ingest, SR runs). Callers present `X-API-Key`; the allowlist
/// is read from the file (one key a line) or the environment variable (comma-separated) named
/// here, never from the profile.
struct ingress_wiring : endpoint {
  std::string api_keys_file;
  std::string api_keys_env;
  bool require_api_key = true;
};

/// Where the World Streamer Producer sends events and where its own API key lives.
struct wsp_wiring {
  std::string ig_url;       ///< `http://host:port`; empty = this node's own ingress endpoint
  std::string api_key_file; ///< the key WSP presents to IG (file first, then the variable)
  std::string api_key_env;
};

struct node_wiring {
  std::filesystem::path data_dir;
  std::filesystem::path oracle_root; ///< the sealed worlds (`fp world`); ORACLE_ROOT overrides
  admin_wiring admin;
  ingress_wiring ingress;
  wsp_wiring wsp;
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

/// Scenario Runner (seed 002): what its runs declare.
struct sr_policy {
  std::string traffic_delivery_mode = "IG_PUSH"; ///< who delivers traffic to IG (run_facts_view)
};

/// Ingestion Gate. Policy file paths are resolved against the profile file's directory.
struct ig_policy {
  std::filesystem::path class_map;             ///< config/platform/ig/class_map_v0.yaml
  std::filesystem::path partitioning_profiles; ///< config/platform/ig/partitioning_profiles_v0.yaml
  std::filesystem::path payload_schemas;       ///< schemas/contracts/payloads (a directory)
  std::size_t max_batch_items = 500;           ///< items in one POST /v1/ingest/batch
  std::uint32_t publish_timeout_ms = 10'000;   ///< a publish unanswered this long is ambiguous
};

/// World Streamer Producer (seed 002): its plan files and knobs.
struct wsp_policy {
  std::filesystem::path traffic_outputs; ///< config/platform/wsp/traffic_outputs_v0.yaml
  std::filesystem::path context_outputs; ///< config/platform/wsp/context_fraud_outputs_v0.yaml
  unsigned concurrency = 4;              ///< outputs streamed at once
  std::uint32_t speedup = 600;           ///< 0 = realistic ts_utc time; N = N times faster
  std::uint64_t cap_per_output = 200;    ///< distinct events per output; 0 = uncapped
  std::uint32_t resend_bp = 0; ///< basis points of events sent twice (at-least-once drill)
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{5'000};
  std::chrono::milliseconds retry_budget{600'000}; ///< per event, across node restarts
  std::chrono::milliseconds request_timeout{10'000};
};

struct node_policy {
  std::vector<std::string> planes;
  unsigned scheduler_threads = 0;                   ///< 0 = the machine's core count
  std::chrono::milliseconds shutdown_grace{10'000}; ///< for commands in flight at a stop
  journal::options journal; ///< only the policy fields; dir and writer set by the node
  actors::entity_options entities;
  http_policy http;
  bus_policy bus;
  sr_policy sr;
  ig_policy ig;
  wsp_policy wsp;
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
/// `FP_ADMIN_BIND`, `FP_INGRESS_BIND`, `ORACLE_ROOT`. Each override is validated like the profile
/// key it replaces and the cross-key rules are checked again; the message names the variable.
expected<void> apply_env_overrides(profile& p, const std::function<const char*(const char*)>& env);

/// Whether `address` (an IP literal) is a loopback address: 127.0.0.0/8 or ::1.
bool is_loopback(std::string_view address);

} // namespace fp::cluster
