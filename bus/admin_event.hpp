#pragma once

// AdminEvent (seed 000): the fact a bus admin action leaves on `fp.bus.control.v1`. Shared by
// both backends, so the bytes on the control topic are the same whichever bus wrote them.

#include "bus/event_bus.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fp::bus {

/// The header naming the value's schema, and its value on AdminEvent records.
inline constexpr std::string_view schema_header = "fp.schema";
inline constexpr std::string_view admin_event_schema = "admin_event.v1";

/// What the bus emits: `create_topic` and `set_retention`.
inline constexpr std::string_view action_create_topic = "create_topic";
inline constexpr std::string_view action_set_retention = "set_retention";

struct admin_event {
  std::string admin_event_id; ///< make_admin_event derives it; see there
  std::string action_type;
  std::string actor;
  std::string observed_at_utc; ///< RFC 3339 UTC, taken by the caller
  std::string reason;
  std::vector<std::string> targets; ///< topic names
  std::optional<topic_spec> before; ///< absent for a creation
  std::optional<topic_spec> after;  ///< the shape in force after the action
  std::string result = "applied";
  friend bool operator==(const admin_event&, const admin_event&) = default;
};

/// Builds an AdminEvent and its id: `schemas::composite_id(action_type, H(targets...),
/// json(before), json(after), actor, observed_at_utc)` where json(spec) is the canonical JSON
/// of the spec ("" when absent). No clock, no randomness: the same action by the same actor
/// at the same observed time has the same id. Refuses (`invalid_argument`, naming the field) an
/// empty action, actor or reason, no targets, or an `observed_at_utc` that is not RFC 3339 UTC.
expected<admin_event> make_admin_event(std::string_view action_type, const admin_context& who,
                                       std::vector<std::string> targets,
                                       std::optional<topic_spec> before,
                                       std::optional<topic_spec> after,
                                       std::string result = "applied");

/// Versioned msgpack array: `[1, admin_event_id, action_type, actor, observed_at_utc, reason,
/// [targets...], before, after, result]`, a spec being `[name, partitions, retention_ms,
/// retention_bytes]` or nil.
std::string encode_admin_event(const admin_event& e);
/// `corrupt` when the bytes do not decode or the version is unknown, naming the field.
expected<admin_event> decode_admin_event(std::string_view bytes);

/// The event as one JSON object (field names as in seed 000), for tools and logs.
std::string admin_event_json(const admin_event& e);

/// The canonical JSON of a topic spec: `{"name":..,"partitions":..,"retention_bytes":..,
/// "retention_ms":..}` (keys sorted).
std::string topic_spec_json(const topic_spec& s);

/// The record to produce: topic `fp.bus.control.v1`, key = the first target (so the events
/// of one topic keep their order), value = `encode_admin_event(e)`, header
/// `fp.schema: admin_event.v1`.
produce_record admin_event_record(const admin_event& e);

} // namespace fp::bus
