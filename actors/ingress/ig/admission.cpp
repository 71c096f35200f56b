#include "actors/ingress/ig/admission.hpp"

#include "actors/ingress/ig/errc.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/errc.hpp"
#include "schemas/hash.hpp"
#include "schemas/ids.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace fp::ig {

namespace {

using json = nlohmann::json;

constexpr std::string_view pins[] = {"platform_run_id",      "scenario_run_id", "scenario_id",
                                     "manifest_fingerprint", "parameter_hash",  "seed"};

const std::string* string_at(const json& doc, std::string_view key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_string())
    return nullptr;
  return &it->get_ref<const std::string&>();
}

bool is_pin(std::string_view f) {
  return std::find(std::begin(pins), std::end(pins), f) != std::end(pins);
}

quarantine_reason from_envelope_error(const fp::error& err) {
  std::string field(schemas::field_of(err));
  if (field.starts_with("envelope."))
    field = field.substr(9);
  auto top = field.substr(0, field.find_first_of(".["));
  if (err.is(schemas::errc::not_path_safe))
    return {"ID_NOT_PATH_SAFE", field, err.message()};
  if (is_pin(top))
    return {err.is(schemas::errc::missing_field) ? "MISSING_PIN" : "INVALID_PIN", field,
            err.message()};
  return {"ENVELOPE_INVALID", field, err.message()};
}

std::string pin_value(const schemas::envelope& e, std::string_view pin) {
  if (pin == "platform_run_id")
    return e.platform_run_id.value();
  if (pin == "scenario_run_id")
    return e.scenario_run_id.value();
  if (pin == "scenario_id")
    return e.scenario_id.value();
  if (pin == "manifest_fingerprint")
    return e.manifest_fingerprint.value();
  if (pin == "parameter_hash")
    return e.parameter_hash.value();
  return e.seed ? std::to_string(*e.seed) : "";
}

std::string run_value(const run_pins& r, std::string_view pin) {
  if (pin == "platform_run_id")
    return r.platform_run_id;
  if (pin == "scenario_run_id")
    return r.scenario_run_id;
  if (pin == "scenario_id")
    return r.scenario_id;
  if (pin == "manifest_fingerprint")
    return r.manifest_fingerprint;
  if (pin == "parameter_hash")
    return r.parameter_hash;
  return std::to_string(r.seed);
}

/// The rest of the checks once the tuple is known; fills `e` or returns the reason.
/// `payload_text` is the payload's canonical text (empty when there is none).
std::optional<quarantine_reason> check_rules(checked_event& e, const json& doc, const policy& pol,
                                             const run_lookup& run_of,
                                             std::string_view payload_text) {
  auto* type = string_at(doc, "event_type");
  if (type == nullptr)
    return quarantine_reason{"ENVELOPE_INVALID", "event_type",
                             doc.contains("event_type")
                                 ? "event_type: wrong type (must be a string)"
                                 : "event_type: missing (required)"};
  const auto* cls = pol.class_of(*type);
  if (cls == nullptr)
    return quarantine_reason{"UNKNOWN_EVENT_CLASS", "event_type",
                             "event_type: " + schemas::quote_value(*type) +
                                 " belongs to no event class (class_map_v0.yaml)"};
  for (std::string_view id : {"event_id", "platform_run_id", "scenario_id"})
    if (auto* v = string_at(doc, id); v && !schemas::is_path_safe_id(*v))
      return quarantine_reason{std::string("ID_NOT_PATH_SAFE"), std::string(id),
                               std::string(id) +
                                   ": not path-safe (1..128 of [A-Za-z0-9._:=-], "
                                   "not . or ..) (" +
                                   schemas::quote_value(*v) + ")"};
  for (auto& pin : cls->required_pins)
    if (!doc.contains(pin))
      return quarantine_reason{"MISSING_PIN", pin,
                               pin + ": missing (required for event class " + cls->event_class +
                                   ")"};
  bool need_seed = std::find(cls->required_pins.begin(), cls->required_pins.end(), "seed") !=
                   cls->required_pins.end();
  auto env = schemas::envelope_from_json(doc, {need_seed}, payload_text);
  if (!env)
    return from_envelope_error(env.error());
  e.envelope = std::move(*env);
  if (std::find(cls->schema_versions.begin(), cls->schema_versions.end(),
                e.envelope.schema_version) == cls->schema_versions.end())
    return quarantine_reason{"SCHEMA_VERSION_UNSUPPORTED", "schema_version",
                             "schema_version: " + schemas::quote_value(e.envelope.schema_version) +
                                 " is not accepted for event class " + cls->event_class};
  const auto& schema = pol.payload_schemas.at(cls->payload_schema);
  if (auto bad = schema.check(doc.at("payload"), "payload"))
    return quarantine_reason{"PAYLOAD_SCHEMA_INVALID", bad->field,
                             bad->message + " (" + cls->payload_schema + ")"};
  auto run = run_of(e.envelope.platform_run_id.view());
  if (!run)
    return quarantine_reason{"RUN_NOT_READY", "platform_run_id",
                             "platform_run_id: run " + e.envelope.platform_run_id.value() +
                                 " is not open at IG (no READY with a verified gate)"};
  for (auto pin : pins) {
    if (pin == "seed" && !e.envelope.seed)
      continue;
    if (pin_value(e.envelope, pin) != run_value(*run, pin))
      return quarantine_reason{
          "PIN_MISMATCH", std::string(pin),
          std::string(pin) + ": " + schemas::quote_value(pin_value(e.envelope, pin)) +
              " differs from the run's " + schemas::quote_value(run_value(*run, pin))};
  }
  const auto& prof = pol.profile_of(*cls);
  e.topic = prof.topic;
  const auto& payload = doc.at("payload");
  for (auto& k : prof.key_precedence) {
    if (k == "event_id") {
      e.key = e.envelope.event_id.value();
      break;
    }
    if (auto* v = string_at(payload, k.substr(8)); v && !v->empty()) {
      e.key = *v;
      break;
    }
  }
  if (e.key.empty())
    e.key = e.envelope.event_id.value();
  return std::nullopt;
}

json or_null(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

/// The checks after parsing; `doc` is an object parsed by `parse_strict`, `text` its canonical
/// text with the payload located, `body` the bytes it was parsed from (none: `text` stands for
/// them).
checked_event check_object(const json& doc, std::optional<std::string_view> body,
                           schemas::located_canonical text, const policy& pol,
                           const run_lookup& run_of) {
  checked_event e;
  e.body_sha256 = schemas::sha256_hex(body ? *body : std::string_view(text.text));
  auto payload_text = text.member();
  auto* prid = string_at(doc, "platform_run_id");
  e.tuple.platform_run_id =
      prid && schemas::is_platform_run_id(*prid) ? *prid : std::string(invalid_run);
  auto* type = string_at(doc, "event_type");
  const auto* cls = type ? pol.class_of(*type) : nullptr;
  e.tuple.event_class = cls ? cls->event_class : std::string(unclassified);
  auto* eid = string_at(doc, "event_id");
  e.tuple.event_id = eid && schemas::is_path_safe_id(*eid) ? *eid : e.body_sha256;
  // The payload's canonical text is part of the event's: hashed from there (a strictly parsed
  // document has no number `payload_hash` would refuse).
  if (auto it = doc.find("payload"); it != doc.end() && it->is_object() && payload_text)
    e.payload_hash = schemas::sha256_hex(*payload_text);
  if (auto* s = string_at(doc, "scenario_run_id"); s && schemas::is_hex64(*s))
    e.scenario_run_id = *s;
  e.quarantine = check_rules(e, doc, pol, run_of, payload_text.value_or(std::string_view{}));
  if (!e.quarantine &&
      (e.tuple.platform_run_id == invalid_run || e.tuple.event_class == unclassified))
    e.quarantine = quarantine_reason{"ENVELOPE_INVALID", "event", "event: ids not usable"};
  e.canonical_body = std::move(text.text);
  return e;
}

fp::error not_an_object(const json& doc) {
  return fp::error{schemas::errc::wrong_type,
                   "event: must be a JSON object, got " + std::string(doc.type_name())};
}

} // namespace

expected<checked_event> check_event(std::string_view body, const policy& pol,
                                    const run_lookup& run_of) {
  auto parsed = schemas::parse_strict(body, "event");
  if (!parsed)
    return std::move(parsed).error();
  if (!parsed->is_object())
    return not_an_object(*parsed);
  return check_object(*parsed, body, schemas::canonical_locating(*parsed, "payload"), pol, run_of);
}

expected<checked_event> check_document(const json& doc, const policy& pol,
                                       const run_lookup& run_of) {
  if (!doc.is_object())
    return not_an_object(doc);
  return check_object(doc, std::nullopt, schemas::canonical_locating(doc, "payload"), pol, run_of);
}

std::string receipt_id(const tuple_id& t, decision_kind k, std::uint32_t ordinal) {
  return schemas::hash_parts(std::string_view("fp.ig.receipt.v1"), t.platform_run_id, t.event_class,
                             t.event_id, to_string(k), std::to_string(ordinal));
}

std::string receipt_path(const tuple_id& t, decision_kind k, std::uint32_t ordinal) {
  return receipt_path_of(t.platform_run_id, receipt_id(t, k, ordinal));
}

std::string receipt_path_of(std::string_view platform_run_id, std::string_view receipt_id) {
  std::string out = "fraud-platform/";
  out.append(platform_run_id).append("/ig/receipts/").append(receipt_id).append(".json");
  return out;
}

std::string receipt_json(const tuple_state& s, const decision& d) {
  return receipt_json(s, d, receipt_id(s.tuple, d.kind, d.ordinal));
}

std::string receipt_json(const tuple_state& s, const decision& d, std::string_view receipt_id) {
  // Written on every admission: members straight into the text, in canonical key order.
  const auto& t = s.tuple;
  bool q = d.kind == decision_kind::quarantine;
  schemas::canonical_writer j;
  if (q)
    j.null("admitted_at_utc");
  else
    j.str("admitted_at_utc", s.admission.received_at_utc);
  j.str("decision", to_string(d.kind));
  if (!q && s.eb_ref) {
    std::string ref = schemas::canonical_writer{}
                          .integer("offset", s.eb_ref->offset)
                          .integer("partition", s.eb_ref->partition)
                          .str("topic", s.eb_ref->topic)
                          .take();
    j.raw("eb_ref", ref);
  } else {
    j.null("eb_ref");
  }
  j.str("event_class", t.event_class).str("event_id", t.event_id);
  if (q)
    j.str("evidence_ref", d.evidence_ref).str("field", d.field);
  j.integer("ordinal", d.ordinal)
      .str_or_null("payload_hash", d.payload_hash)
      .str("platform_run_id", t.platform_run_id)
      .str("policy_rev", d.policy_rev);
  if (q)
    j.str("reason", d.reason);
  j.str("receipt_id", receipt_id).str("received_at_utc", d.received_at_utc);
  if (q && s.status != publish_status::none)
    j.str("recorded_payload_hash", s.admission.payload_hash);
  j.str_or_null("scenario_run_id", d.scenario_run_id)
      .str("schema_version", "ig_receipt.v1")
      .str("service_release_id", d.service_release_id);
  return j.take();
}

std::string evidence_path(const tuple_id& t, std::string_view body_sha256,
                          std::string_view received_at_utc) {
  return "fraud-platform/" + t.platform_run_id + "/ig/quarantine/" +
         schemas::hash_parts(std::string_view("fp.ig.quarantine.v1"), t.platform_run_id,
                             t.event_class, t.event_id, body_sha256, received_at_utc) +
         ".json";
}

std::string evidence_json(const checked_event& e, const quarantine_reason& q,
                          std::string_view received_at_utc) {
  json j = {{"schema_version", "ig_quarantine.v1"},
            {"platform_run_id", e.tuple.platform_run_id},
            {"event_class", e.tuple.event_class},
            {"event_id", e.tuple.event_id},
            {"reason", q.reason},
            {"field", q.field},
            {"message", q.message},
            {"received_at_utc", received_at_utc},
            {"body_sha256", e.body_sha256},
            {"payload_hash", or_null(e.payload_hash)},
            {"body", json::parse(e.canonical_body)}};
  return schemas::canonical(j);
}

std::string hash_mismatch_fact(const tuple_id& t, std::string_view payload_hash,
                               std::string_view recorded_payload_hash, std::string_view receipt_ref,
                               std::string_view observed_at_utc) {
  json j = {{"kind", "ANOMALY"},
            {"schema_version", "anomaly_fact.v1"},
            {"anomaly", "PAYLOAD_HASH_MISMATCH"},
            {"platform_run_id", t.platform_run_id},
            {"event_class", t.event_class},
            {"event_id", t.event_id},
            {"payload_hash", payload_hash},
            {"recorded_payload_hash", recorded_payload_hash},
            {"receipt_ref", receipt_ref},
            {"observed_at_utc", observed_at_utc},
            {"source", "SYSTEM::ig"}};
  return schemas::canonical(j);
}

} // namespace fp::ig
