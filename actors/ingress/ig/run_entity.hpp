#pragma once

// The runs IG has opened (`ig_run/{platform_run_id}`): a READY was consumed, its
// run_facts_view matched its sha256 and the world's gate receipt said PASS with the digest the
// view records. The journal keeps the pins IG expects on that run's events.

#include "actors/core/entity.hpp"
#include "actors/core/region.hpp"
#include "actors/ingress/ig/admission.hpp"
#include "journal/types.hpp"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

namespace fp::actors {
class runtime;
}
namespace fp::journal {
class journal;
}

namespace fp::ig {

struct run_state {
  std::optional<run_pins> pins;
  std::string opened_at_utc;
  friend bool operator==(const run_state&, const run_state&) = default;
};

struct run_command {
  bool open = false; ///< else a query
  run_pins pins;
  std::string opened_at_utc;
};

struct run_event {
  run_pins pins;
  std::string opened_at_utc;
};

struct run_def {
  static constexpr std::string_view type = "ig_run";
  static constexpr std::string_view plane = "ig";
  using state = run_state;
  using command = run_command;
  using event = run_event;
  using reply = run_state;

  /// Opening an open run with the same pins is a no-op; with others it is rejected.
  static expected<std::vector<event>> handle(const state& s, const command& c);
  static void apply(state& s, const event& e);
  static reply reply_for(const state& s, const command&) { return s; }
  static journal::event_data encode(const event& e);
  static expected<event> decode(const journal::record_view& r);
  static std::string encode_state(const state& s);
  static expected<state> decode_state(const journal::record_view& r);
  static std::uint32_t state_version() { return 1; }
  static nlohmann::json to_json(const state& s);
  static std::string fingerprint(const command& c);
};

/// Every opened run, read from the journal (at start).
expected<std::vector<run_state>> read_runs(const fp::journal::journal& j);

actors::entity_client<run_def> start_runs(actors::runtime& rt, const actors::entity_options& opts);

} // namespace fp::ig
