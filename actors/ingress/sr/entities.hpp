#pragma once

// The Scenario Runner's two event-sourced entity types (CAF-free; entities.cpp registers
// them):
//
// - `sr_run`, key `platform_run_id`: the run's state machine PLANNED -> FACTS_WRITTEN ->
//   READY, with FAILED recorded (and the step it stopped at kept) so a re-run resumes.
// - `active_run`, key the environment (profile name): the active-run pointer. Each change is
//   a new RunActivated event; nothing is rewritten.
//
// Time arrives on the commands (`started_at_utc`); no handler reads a clock.

#include "actors/core/entity.hpp"
#include "actors/core/region.hpp"
#include "journal/types.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace fp::actors {
class runtime;
}

namespace fp::sr {

/// What identifies a run: both ids, its pins and its plan.
struct run_pins {
  std::string platform_run_id;
  std::string scenario_run_id;
  std::string scenario_id;
  std::string manifest_fingerprint;
  std::string parameter_hash;
  std::uint64_t seed = 0;
  std::string run_config_digest;
  std::string plan_hash;
  std::string message_id;
  std::string started_at_utc;
  friend bool operator==(const run_pins&, const run_pins&) = default;
};

// -- sr_run ------------------------------------------------------------------------------------

enum class run_phase : std::uint8_t { none = 0, planned = 1, facts_written = 2, ready = 3 };
std::string_view to_string(run_phase p);

struct sr_run_state {
  run_phase phase = run_phase::none;
  run_pins pins;
  std::string run_facts_view_sha256;
  std::string ready_topic;
  std::int32_t ready_partition = 0;
  std::int64_t ready_offset = -1;
  std::string failure;        ///< the last failure's reason; empty once a step succeeds again
  std::uint64_t failures = 0; ///< failures so far
  friend bool operator==(const sr_run_state&, const sr_run_state&) = default;
};

/// `FAILED` while a failure is unresolved, else the phase's name in capitals.
std::string status_of(const sr_run_state& s);

enum class sr_run_op : std::uint8_t { get, plan, facts_written, ready_emitted, fail };

struct sr_run_command {
  sr_run_op op = sr_run_op::get;
  run_pins pins;                     ///< plan
  std::string run_facts_view_sha256; ///< facts_written
  std::string ready_topic;           ///< ready_emitted
  std::int32_t ready_partition = 0;
  std::int64_t ready_offset = 0;
  std::string reason; ///< fail
};

enum class sr_run_event_kind : std::uint8_t { planned, facts_written, ready_emitted, failed };

struct sr_run_event {
  sr_run_event_kind kind = sr_run_event_kind::planned;
  run_pins pins;
  std::string run_facts_view_sha256;
  std::string ready_topic;
  std::int32_t ready_partition = 0;
  std::int64_t ready_offset = 0;
  std::string reason;
};

struct sr_run_def {
  static constexpr std::string_view type = "sr_run";
  static constexpr std::string_view plane = "sr";
  using state = sr_run_state;
  using command = sr_run_command;
  using event = sr_run_event;
  using reply = sr_run_state;

  static expected<std::vector<event>> handle(const state& s, const command& c);
  static void apply(state& s, const event& e);
  static reply reply_for(const state& s, const command& c);
  static journal::event_data encode(const event& e);
  static expected<event> decode(const journal::record_view& r);
  static std::string encode_state(const state& s);
  static expected<state> decode_state(const journal::record_view& r);
  static std::uint32_t state_version() { return 1; }
  static nlohmann::json to_json(const state& s);
  static std::string fingerprint(const command& c);
};

// -- active_run --------------------------------------------------------------------------------

struct active_run_state {
  run_pins active;               ///< empty `platform_run_id` while no run was activated
  std::uint64_t activations = 0; ///< RunActivated events so far
  friend bool operator==(const active_run_state&, const active_run_state&) = default;
};

enum class active_run_op : std::uint8_t { get, activate };

struct active_run_command {
  active_run_op op = active_run_op::get;
  run_pins run;
};

/// RunActivated{platform_run_id, scenario_run_id, plan_hash, message_id, started_at_utc, ...}.
struct run_activated {
  run_pins run;
};

struct active_run_def {
  static constexpr std::string_view type = "active_run";
  static constexpr std::string_view plane = "sr";
  using state = active_run_state;
  using command = active_run_command;
  using event = run_activated;
  using reply = active_run_state;

  static expected<std::vector<event>> handle(const state& s, const command& c);
  static void apply(state& s, const event& e);
  static reply reply_for(const state& s, const command& c);
  static journal::event_data encode(const event& e);
  static expected<event> decode(const journal::record_view& r);
  static std::string encode_state(const state& s);
  static expected<state> decode_state(const journal::record_view& r);
  static std::uint32_t state_version() { return 1; }
  static nlohmann::json to_json(const state& s);
  static std::string fingerprint(const command& c);
};

/// The pins as a JSON object (ids, pins, plan_hash, message_id, started_at_utc).
nlohmann::json pins_json(const run_pins& p);

struct sr_entities {
  actors::entity_client<sr_run_def> runs;
  actors::entity_client<active_run_def> active;
};

/// Starts both regions in `rt` and registers them for inspection.
sr_entities start_sr_entities(actors::runtime& rt, const actors::entity_options& opts);

} // namespace fp::sr
