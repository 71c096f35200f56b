#pragma once

// The AdmissionTuple entity (`admission_tuple/<H(tuple)>`): its journal holds the payload
// hash, the publish state machine PUBLISH_IN_FLIGHT -> ADMITTED(eb_ref) | PUBLISH_AMBIGUOUS,
// and every decision (ADMIT, DUPLICATE, QUARANTINE) with its receipt's fields. Pure rules; the
// gate (gate.hpp) does the publishing and the object-store writes around it.

#include "actors/core/entity.hpp"
#include "actors/core/region.hpp"
#include "actors/ingress/ig/types.hpp"
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

enum class tuple_op : std::uint8_t {
  receive = 1,    ///< d (kind admit), route: Received -> in flight (or, with `publish`,
                  ///< Received + Admitted in one write), or a duplicate/mismatch
  quarantine,     ///< d (kind quarantine): Quarantined
  admit,          ///< eb_ref, receipt: Admitted
  mark_ambiguous, ///< PublishAmbiguous (when in flight)
  receipt_written,
  receipt_failed,
  get,
};

enum class tuple_event_kind : std::uint8_t {
  received = 1,
  admitted,
  publish_ambiguous,
  duplicate,
  quarantined,
  receipt_written,
  receipt_write_failed,
};

struct tuple_event {
  tuple_event_kind kind = tuple_event_kind::received;
  tuple_id tuple;            ///< received, duplicate, quarantined
  decision d;                ///< received, duplicate, quarantined
  publish_route route;       ///< received
  fp::origin_offset eb_ref;  ///< admitted
  receipt_status receipt{};  ///< admitted
  std::uint32_t ordinal = 0; ///< receipt_written, receipt_write_failed
  friend bool operator==(const tuple_event&, const tuple_event&) = default;
};

struct tuple_command {
  tuple_op op = tuple_op::get;
  tuple_id tuple;
  decision d;
  publish_route route;
  fp::origin_offset eb_ref;
  receipt_status receipt = receipt_status::pending;
  std::uint32_t ordinal = 0; ///< receipt_written / receipt_failed
  /// receive, embedded bus only: the admission's record, staged so that it commits in the same
  /// journal write as Received and Admitted (gate.cpp). Used only if the tuple is new; its
  /// `seal` sets the Admitted event's eb_ref offset, which its `fn` checks inside the commit.
  std::optional<actors::effect<tuple_event>> publish;
};

struct tuple_reply {
  tuple_outcome outcome = tuple_outcome::noop;
  decision d;        ///< the decision this command took (receive, quarantine)
  tuple_state state; ///< without `last` and `pending`
};

struct tuple_def {
  static constexpr std::string_view type = "admission_tuple";
  static constexpr std::string_view plane = "ig";
  using state = tuple_state;
  using command = tuple_command;
  using event = tuple_event;
  using reply = tuple_reply;

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
  /// A new admission carrying `command::publish`: its record commits with its events.
  static std::optional<actors::effect<event>> effect_for(const state& s, const command& c,
                                                         const std::vector<event>& events);
};

/// The state a tuple's journal folds to (newest snapshot, then later events), read straight
/// from the journal without activating the entity; nullopt when it has no events.
expected<std::optional<tuple_state>> read_tuple(const fp::journal::journal& j,
                                                std::string_view dedupe_key);
/// `read_tuple` of many tuples in one read transaction (journal::recover_many), one result
/// per key in the order given: what the start-up sweep reads.
std::vector<expected<std::optional<tuple_state>>>
read_tuples(const fp::journal::journal& j, const std::vector<std::string>& dedupe_keys);

actors::entity_client<tuple_def> start_tuples(actors::runtime& rt,
                                              const actors::entity_options& opts);

} // namespace fp::ig
