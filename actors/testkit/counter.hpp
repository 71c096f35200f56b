#pragma once

#include "actors/core/entity.hpp"
#include "actors/core/region.hpp"
#include "journal/types.hpp"

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace fp::actors {
class runtime;
}

/// The `testkit` plane: a counter entity that exercises the entity runtime end to end (tests,
/// benchmarks, and the node's kill -9 test). A profile enables it with `planes: [testkit]`.
namespace fp::testkit {

struct counter_state {
  std::int64_t value = 0;
  std::uint64_t adds = 0;
  std::int64_t last_at_ns = 0; ///< domain time of the last add, as the command carried it
  friend bool operator==(const counter_state&, const counter_state&) = default;
};

enum class counter_op : std::uint8_t { add = 1, get = 2, crash = 3 };

struct counter_command {
  counter_op op = counter_op::add;
  std::int64_t amount = 0;
  std::int64_t at_ns = 0; ///< the caller's time; never read from a clock inside the entity
};

struct counter_event {
  std::int64_t amount = 0;
  std::int64_t at_ns = 0;
};

struct counter_reply {
  std::int64_t value = 0;
  std::uint64_t adds = 0;
};

struct counter_def {
  static constexpr std::string_view type = "counter";
  static constexpr std::string_view plane = "testkit";
  using state = counter_state;
  using command = counter_command;
  using event = counter_event;
  using reply = counter_reply;

  /// Fault injection for supervision tests: while positive, `crash` commands throw (and
  /// decrement it); at zero they are rejected like any unknown operation.
  static std::atomic<int> crash_budget;

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

/// Starts the counter region in `rt` and registers it for inspection.
actors::entity_client<counter_def> start_counters(actors::runtime& rt,
                                                  const actors::entity_options& opts);

} // namespace fp::testkit
