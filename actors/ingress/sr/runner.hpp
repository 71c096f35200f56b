#pragma once

// The Scenario Runner: one run request -> the sealed world and its gate -> the plan and the
// ids -> the ledger -> READY on fp.bus.control.v1 -> the entities. Re-running the same run
// resumes where it stopped, or is a no-op once READY. Runs are serialized (SR is low volume).

#include "actors/ingress/sr/entities.hpp"
#include "actors/ingress/sr/outputs_policy.hpp"
#include "actors/ingress/sr/sealed_world.hpp"
#include "schemas/expected.hpp"

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace fp::bus {
class event_bus;
}
namespace fp::journal {
class object_store;
}

namespace fp::sr {

/// `POST /v1/sr/runs`: the world to run and the run's start. Exactly one of `platform_run_id`
/// (a retry) and `started_at_utc` (a new run: the id is `platform_<start>`).
struct run_request {
  world_query world;
  std::optional<std::string> platform_run_id;
  std::optional<std::string> started_at_utc;
};

/// Parses the JSON body strictly; rejections (`bad_request`) name `body.<field>` and the rule.
expected<run_request> parse_run_request(std::string_view body);

struct runner_config {
  std::filesystem::path oracle_root;
  std::vector<planned_output> outputs; ///< plan order (`plan_outputs`)
  std::string traffic_delivery_mode = "IG_PUSH";
  std::string environment; ///< the active_run entity's key: the profile's name
  /// Fault injection for tests: called after each step (`planned`, `facts_written`,
  /// `ready_produced`); an error stops the run there as a failure of that step would.
  std::function<expected<void>(std::string_view step)> after_step;
};

struct run_outcome {
  sr_run_state run;
  bool no_op = false;   ///< the run was READY already: nothing was written or emitted
  bool emitted = false; ///< this call produced READY
  std::string run_facts_view_path;
};

/// The reply body of a run: ids, status, the run_facts_view ref, READY's offset.
nlohmann::json outcome_json(const run_outcome& o);

/// Counters for /metrics.
struct runner_counters {
  std::atomic<std::uint64_t> requested{0}, ready_emitted{0}, no_ops{0}, resumed{0}, failed{0};
  std::mutex mu;
  std::map<std::string, std::uint64_t> refused; ///< by reason (errc code name)
};

class scenario_runner {
public:
  scenario_runner(runner_config cfg, bus::event_bus& bus, journal::object_store& objects,
                  sr_entities entities);

  /// Runs (or resumes, or confirms) one run. Refusals (`bad_request`, `world_*`,
  /// `gate_refused`, `drift`) write nothing and emit nothing.
  expected<run_outcome> run(const run_request& req);

  /// The run's entity state; `entity_failed` when the runtime fails, an empty state (phase
  /// none) when no such run exists.
  expected<sr_run_state> status(const std::string& platform_run_id) const;

  /// The active-run pointer of this environment.
  expected<active_run_state> active() const;

  runner_counters& counters() { return counters_; }
  const runner_config& config() const { return cfg_; }

private:
  expected<run_outcome> run_locked(const run_request& req);
  void count_refusal(const fp::error& e);

  runner_config cfg_;
  bus::event_bus* bus_;
  journal::object_store* objects_;
  sr_entities entities_;
  std::mutex run_mu_;
  runner_counters counters_;
};

} // namespace fp::sr
