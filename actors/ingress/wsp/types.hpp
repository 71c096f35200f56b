#pragma once

// What the World Streamer Producer works from and reports: the checked plan of a READY, its
// knobs, the durable checkpoint of an output and the live status of an output.

#include "schemas/types.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace fp::wsp {

/// The ContextPins READY carries (DESIGN.md section 6), stamped on every envelope.
struct run_pins {
  fp::platform_run_id platform_run_id;
  fp::scenario_run_id scenario_run_id;
  fp::scenario_id scenario_id;
  fp::manifest_fingerprint manifest_fingerprint;
  fp::parameter_hash parameter_hash;
  std::optional<std::uint64_t> seed;
};

/// A READY as WSP reads it (actors/ingress/README.md).
struct ready_message {
  std::string message_id;
  run_pins pins;
  std::string plan_hash;
  std::string run_config_digest;
  std::string traffic_delivery_mode;
  std::string view_path;   ///< object path of run_facts_view.json
  std::string view_sha256; ///< its expected sha256 (hex)
};

/// One output as the WSP policy files list it, in plan order.
struct policy_output {
  std::string output_id;
  std::string event_type;
  std::string schema_version;
  std::string role; ///< `business_traffic` (traffic file) or `context` (context file)
};

struct part_ref {
  std::string path; ///< relative to oracle_root
  std::string sha256;
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
};

struct output_plan {
  std::string output_id;
  std::string role;
  std::string event_type;
  std::string schema_version;
  std::string digest;
  std::uint64_t rows = 0;
  std::vector<part_ref> parts;
};

/// A READY whose run_facts_view and plan have been checked: what the workers stream.
struct run_plan {
  ready_message ready;
  std::vector<output_plan> outputs;
};

/// The knobs (`policy.wsp`, `fp wsp run` options) and where to send.
struct stream_options {
  std::string ig_url;                     ///< `http://host:port`
  std::string ingest_path = "/v1/ingest"; ///< IG's single-event endpoint
  std::string api_key;                    ///< sent as `X-API-Key`; never logged
  std::filesystem::path oracle_root;
  unsigned concurrency = 4;
  std::uint32_t speedup = 600; ///< 0 = realistic ts_utc time; N = N times faster
  bool unpaced = false;        ///< no sleeping at all (benchmarks)
  std::uint64_t cap_per_output = 200;
  std::uint32_t resend_bp = 0;
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{5'000};
  std::chrono::milliseconds retry_budget{600'000};
  std::chrono::milliseconds request_timeout{10'000};
  std::uint64_t checkpoint_every = 50; ///< rows between durable checkpoints
};

enum class output_state { pending, running, done, stopped };

std::string_view to_string(output_state s) noexcept;

struct output_counts {
  std::uint64_t sent = 0; ///< distinct events whose outcome is known
  std::uint64_t posts = 0;
  std::uint64_t admitted = 0;
  std::uint64_t duplicate = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t retries = 0;
  std::uint64_t resent = 0; ///< deliberate at-least-once re-sends (`resend_bp`)
  friend bool operator==(const output_counts&, const output_counts&) = default;
};

/// The durable progress of one output of one READY: rows before `next_row` have a known
/// outcome. `retry_since_ms` (wall clock) is when the event at `next_row` first failed, so its
/// retry budget continues across a restart.
struct checkpoint {
  std::uint64_t next_row = 0;
  output_counts counts;
  std::int64_t retry_since_ms = -1;
  output_state state = output_state::running;
  std::string reason; ///< why it stopped
  friend bool operator==(const checkpoint&, const checkpoint&) = default;
};

struct output_status {
  std::string output_id;
  output_state state = output_state::pending;
  std::string reason;
  std::uint64_t target = 0; ///< events it will send (cap or rows)
  output_counts counts;
};

} // namespace fp::wsp
