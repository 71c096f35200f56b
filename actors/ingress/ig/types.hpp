#pragma once

// The AdmissionTuple's vocabulary (DESIGN.md section 3, seed 001 section D): the dedupe tuple,
// the decisions taken on it, the publish state machine and where its record goes.

#include "schemas/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fp::ig {

/// `(platform_run_id, event_class, event_id)`; placeholders (`_invalid`, `_unclassified`,
/// sha256 of the body) stand in for ids that are missing or not path-safe.
struct tuple_id {
  std::string platform_run_id;
  std::string event_class;
  std::string event_id;
  /// `H(platform_run_id, event_class, event_id)`: the entity key and the `fp.dedupe` header.
  std::string dedupe() const;
  friend bool operator==(const tuple_id&, const tuple_id&) = default;
};

enum class decision_kind : std::uint8_t { admit = 1, duplicate = 2, quarantine = 3 };
std::string_view to_string(decision_kind k);

/// One decision on a tuple: what its receipt is made of. Every field arrives on the command
/// (IG stamps `received_at_utc` at its HTTP boundary), so receipts rebuilt from the journal
/// are byte-identical to the first ones.
struct decision {
  std::uint32_t ordinal = 0; ///< 0, 1, 2, ... per tuple
  decision_kind kind = decision_kind::admit;
  std::string attempt; ///< which request took it (replies find their own decision)
  std::string received_at_utc;
  std::string payload_hash; ///< of this attempt's payload ("" when it had none)
  std::string scenario_run_id;
  std::string policy_rev;
  std::string service_release_id;
  std::string reason; ///< quarantines: the code
  std::string field;
  std::string message;
  std::string evidence_ref; ///< quarantines: `fraud-platform/{prid}/ig/quarantine/{id}.json`
  friend bool operator==(const decision&, const decision&) = default;
};

/// Where the admission's record goes, fixed when it is first received.
struct publish_route {
  std::string topic;
  std::int32_t partition = 0;
  std::string key;
  std::int64_t end_offset = 0; ///< a lower bound of the partition's end before the publish
  /// The record's bytes (`schemas::encode_msgpack(envelope)`) while no publish is confirmed,
  /// so a reconciliation after a crash can publish it once; dropped once admitted.
  std::string record;
  friend bool operator==(const publish_route&, const publish_route&) = default;
};

enum class publish_status : std::uint8_t { none = 0, in_flight = 1, ambiguous = 2, admitted = 3 };
std::string_view to_string(publish_status s);

enum class receipt_status : std::uint8_t { pending = 0, written = 1, failed = 2 };
std::string_view to_string(receipt_status s);

struct pending_receipt {
  decision d;
  receipt_status status = receipt_status::pending;
  friend bool operator==(const pending_receipt&, const pending_receipt&) = default;
};

/// What a command did; replies carry it so the gate knows its next step.
enum class tuple_outcome : std::uint8_t {
  publish = 1,   ///< newly received: publish it
  duplicate,     ///< admitted before with the same payload hash
  hash_mismatch, ///< same tuple, other payload hash: quarantined
  in_flight,     ///< a publish was started and has no known outcome: reconcile
  quarantined,   ///< quarantined as the gate asked
  admitted,      ///< the admission is recorded (or was already)
  noop,
};
std::string_view to_string(tuple_outcome o);

/// tuple_def::reply_for copies every field but `pending` and `last` into an answer: a field
/// added here goes there too.
struct tuple_state {
  tuple_id tuple;
  publish_status status = publish_status::none;
  decision admission; ///< valid when status != none
  publish_route route;
  std::optional<fp::origin_offset> eb_ref;
  receipt_status admission_receipt = receipt_status::pending;
  std::uint32_t decisions = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t quarantines = 0;
  std::vector<pending_receipt> pending; ///< duplicate/quarantine receipts not yet confirmed
  decision last;                        ///< the latest decision (replies)
  tuple_outcome last_outcome = tuple_outcome::noop;
  friend bool operator==(const tuple_state&, const tuple_state&) = default;
};

} // namespace fp::ig
