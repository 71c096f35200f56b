#pragma once

// The gate's pure rules: from request bytes to a tuple and either an admissible event or a
// quarantine reason; receipt, evidence and anomaly documents; their ids and paths. No I/O.

#include "actors/ingress/ig/policy.hpp"
#include "actors/ingress/ig/types.hpp"
#include "schemas/envelope.hpp"
#include "schemas/expected.hpp"

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace fp::ig {

/// Placeholders for tuple ids that are missing or not path-safe: evidence is never dropped and
/// never escapes `fraud-platform/{platform_run_id}/`.
inline constexpr std::string_view invalid_run = "_invalid";
inline constexpr std::string_view unclassified = "_unclassified";

/// The pins a run was opened with (its READY, checked against run_facts_view and the gate).
struct run_pins {
  std::string platform_run_id;
  std::string scenario_run_id;
  std::string scenario_id;
  std::string manifest_fingerprint;
  std::string parameter_hash;
  std::uint64_t seed = 0;
  std::string ready_message_id;
  std::string run_facts_view_ref;
  friend bool operator==(const run_pins&, const run_pins&) = default;
};

struct quarantine_reason {
  std::string reason; ///< MISSING_PIN, ENVELOPE_INVALID, UNKNOWN_EVENT_CLASS, ...
  std::string field;
  std::string message;
};

/// One parseable event, checked.
struct checked_event {
  tuple_id tuple;
  std::string body_sha256;     ///< of the request bytes
  std::string canonical_body;  ///< RFC 8785 text of the parsed object (evidence)
  std::string payload_hash;    ///< sha256 of the canonical payload; "" without an object payload
  std::string scenario_run_id; ///< as sent when well-formed, else ""
  std::optional<quarantine_reason> quarantine;
  // -- admissible events only ------------------------------------------------------------------
  schemas::envelope envelope;
  std::string topic;
  std::string key;
};

using run_lookup = std::function<std::optional<run_pins>(std::string_view platform_run_id)>;

/// Checks one event. What cannot be parsed (malformed JSON, duplicate keys, numbers out of
/// range, not an object) is an error (a 4xx, nothing written); everything else gives a tuple,
/// quarantined or admissible. Checks in order: tuple ids path-safe, class known, required
/// pins present, envelope rules, schema_version accepted, payload schema, run open, pins equal
/// to the run's.
expected<checked_event> check_event(std::string_view body, const policy& pol,
                                    const run_lookup& run_of);
/// `check_event` for an event already parsed by `schemas::parse_strict` (an element of a
/// batch): its canonical text stands for the body (`body_sha256`, evidence).
expected<checked_event> check_document(const nlohmann::json& doc, const policy& pol,
                                       const run_lookup& run_of);

/// `H("fp.ig.receipt.v1", platform_run_id, event_class, event_id, DECISION, ordinal)`.
std::string receipt_id(const tuple_id& t, decision_kind k, std::uint32_t ordinal);
/// `fraud-platform/{platform_run_id}/ig/receipts/{receipt_id}.json`.
std::string receipt_path(const tuple_id& t, decision_kind k, std::uint32_t ordinal);
/// The same path from a receipt id already computed.
std::string receipt_path_of(std::string_view platform_run_id, std::string_view receipt_id);

/// The receipt of decision `d` on the tuple in `s` (canonical JSON). ADMIT and DUPLICATE carry
/// the admission's `admitted_at_utc` (when IG received it) and `eb_ref`; QUARANTINE has them
/// null and names the reason and the evidence.
std::string receipt_json(const tuple_state& s, const decision& d);
/// `receipt_json` with its id already computed (`receipt_id(s.tuple, d.kind, d.ordinal)`).
std::string receipt_json(const tuple_state& s, const decision& d, std::string_view receipt_id);

/// `H("fp.ig.quarantine.v1", platform_run_id, event_class, event_id, body_sha256,
/// received_at_utc)`; the path is `fraud-platform/{platform_run_id}/ig/quarantine/{id}.json`.
std::string evidence_path(const tuple_id& t, std::string_view body_sha256,
                          std::string_view received_at_utc);
std::string evidence_json(const checked_event& e, const quarantine_reason& q,
                          std::string_view received_at_utc);

/// The `anomaly_fact.v1` value for a payload hash mismatch (actors/ingress/README.md).
std::string hash_mismatch_fact(const tuple_id& t, std::string_view payload_hash,
                               std::string_view recorded_payload_hash, std::string_view receipt_ref,
                               std::string_view observed_at_utc);

} // namespace fp::ig
