#include "actors/ingress/sr/entities.hpp"

#include "actors/core/region_impl.hpp"

#include <nlohmann/json.hpp>

namespace fp::sr {

namespace {

using nlohmann::json;

// Events and snapshots are msgpack maps with explicit field names and a format version `v`
// (nlohmann's to_msgpack writes keys in sorted order, so the bytes are reproducible).

constexpr std::string_view planned_type = "sr_run.planned";
constexpr std::string_view facts_type = "sr_run.facts_written";
constexpr std::string_view ready_type = "sr_run.ready_emitted";
constexpr std::string_view failed_type = "sr_run.failed";
constexpr std::string_view activated_type = "active_run.run_activated";

std::string pack(const json& j) {
  auto bytes = json::to_msgpack(j);
  return {bytes.begin(), bytes.end()};
}

fp::error bad_record(const journal::record_view& r, const std::string& what) {
  return fp::error{actors::errc::recovery_failed, "sr: " + std::string(r.persistence_id) + " " +
                                                      std::string(r.event_type) + " seq " +
                                                      std::to_string(r.seq) + ": " + what};
}

/// The msgpack map of a record, checked for format version 1.
expected<json> unpack(const journal::record_view& r) {
  if (r.schema_version != 1)
    return bad_record(r, "unknown schema_version " + std::to_string(r.schema_version));
  try {
    auto j = json::from_msgpack(r.payload.begin(), r.payload.end());
    if (!j.is_object() || j.value("v", 0) != 1)
      return bad_record(r, "not a version-1 msgpack map");
    return j;
  } catch (const json::exception& ex) {
    return bad_record(r, std::string("undecodable: ") + ex.what());
  }
}

json pins_to(const run_pins& p) {
  return pins_json(p);
}

run_pins pins_from(const json& j) {
  run_pins p;
  p.platform_run_id = j.at("platform_run_id").get<std::string>();
  p.scenario_run_id = j.at("scenario_run_id").get<std::string>();
  p.scenario_id = j.at("scenario_id").get<std::string>();
  p.manifest_fingerprint = j.at("manifest_fingerprint").get<std::string>();
  p.parameter_hash = j.at("parameter_hash").get<std::string>();
  p.seed = j.at("seed").get<std::uint64_t>();
  p.run_config_digest = j.at("run_config_digest").get<std::string>();
  p.plan_hash = j.at("plan_hash").get<std::string>();
  p.message_id = j.at("message_id").get<std::string>();
  p.started_at_utc = j.at("started_at_utc").get<std::string>();
  return p;
}

fp::error rejected(const std::string& what) {
  return fp::error{actors::errc::rejected, what};
}

} // namespace

std::string_view to_string(run_phase p) {
  switch (p) {
  case run_phase::none:
    return "NONE";
  case run_phase::planned:
    return "PLANNED";
  case run_phase::facts_written:
    return "FACTS_WRITTEN";
  case run_phase::ready:
    return "READY";
  }
  return "?";
}

std::string status_of(const sr_run_state& s) {
  if (!s.failure.empty())
    return "FAILED";
  return std::string(to_string(s.phase));
}

json pins_json(const run_pins& p) {
  return json{{"platform_run_id", p.platform_run_id},
              {"scenario_run_id", p.scenario_run_id},
              {"scenario_id", p.scenario_id},
              {"manifest_fingerprint", p.manifest_fingerprint},
              {"parameter_hash", p.parameter_hash},
              {"seed", p.seed},
              {"run_config_digest", p.run_config_digest},
              {"plan_hash", p.plan_hash},
              {"message_id", p.message_id},
              {"started_at_utc", p.started_at_utc}};
}

// -- sr_run ------------------------------------------------------------------------------------

expected<std::vector<sr_run_event>> sr_run_def::handle(const state& s, const command& c) {
  using events = std::vector<sr_run_event>;
  const auto& key = s.pins.platform_run_id;
  switch (c.op) {
  case sr_run_op::get:
    return events{};
  case sr_run_op::plan:
    if (c.pins.platform_run_id.empty() || c.pins.scenario_run_id.empty() ||
        c.pins.plan_hash.empty() || c.pins.started_at_utc.empty())
      return rejected("plan: platform_run_id, scenario_run_id, plan_hash and started_at_utc "
                      "are required");
    if (s.phase == run_phase::none)
      return events{{sr_run_event_kind::planned, c.pins, {}, {}, 0, 0, {}}};
    if (s.pins != c.pins)
      return rejected(
          "drift: platform_run_id " + key + " is already scenario_run_id " +
          s.pins.scenario_run_id + " with plan_hash " + s.pins.plan_hash + " started at " +
          s.pins.started_at_utc + "; this request is scenario_run_id " + c.pins.scenario_run_id +
          " with plan_hash " + c.pins.plan_hash + " started at " + c.pins.started_at_utc);
    return events{};
  case sr_run_op::facts_written:
    if (s.phase == run_phase::none)
      return rejected("facts_written: the run was never planned");
    if (s.phase >= run_phase::facts_written) {
      if (s.run_facts_view_sha256 != c.run_facts_view_sha256)
        return rejected("drift: run_facts_view of " + key + " was written with sha256 " +
                        s.run_facts_view_sha256 + ", not " + c.run_facts_view_sha256);
      return events{};
    }
    return events{{sr_run_event_kind::facts_written, {}, c.run_facts_view_sha256, {}, 0, 0, {}}};
  case sr_run_op::ready_emitted:
    if (s.phase < run_phase::facts_written)
      return rejected("ready_emitted: the run's facts were never written");
    if (s.phase == run_phase::ready)
      return events{};
    return events{{sr_run_event_kind::ready_emitted,
                   {},
                   {},
                   c.ready_topic,
                   c.ready_partition,
                   c.ready_offset,
                   {}}};
  case sr_run_op::fail:
    if (s.phase == run_phase::none)
      return rejected("fail: the run was never planned");
    if (s.phase == run_phase::ready)
      return rejected("fail: the run is READY already");
    if (c.reason.empty())
      return rejected("fail: reason is required");
    return events{{sr_run_event_kind::failed, {}, {}, {}, 0, 0, c.reason}};
  }
  return rejected("op: unknown operation");
}

void sr_run_def::apply(state& s, const event& e) {
  switch (e.kind) {
  case sr_run_event_kind::planned:
    s.phase = run_phase::planned;
    s.pins = e.pins;
    s.failure.clear();
    break;
  case sr_run_event_kind::facts_written:
    s.phase = run_phase::facts_written;
    s.run_facts_view_sha256 = e.run_facts_view_sha256;
    s.failure.clear();
    break;
  case sr_run_event_kind::ready_emitted:
    s.phase = run_phase::ready;
    s.ready_topic = e.ready_topic;
    s.ready_partition = e.ready_partition;
    s.ready_offset = e.ready_offset;
    s.failure.clear();
    break;
  case sr_run_event_kind::failed:
    s.failure = e.reason;
    s.failures += 1;
    break;
  }
}

sr_run_state sr_run_def::reply_for(const state& s, const command&) {
  return s;
}

journal::event_data sr_run_def::encode(const event& e) {
  switch (e.kind) {
  case sr_run_event_kind::planned: {
    json j = pins_to(e.pins);
    j["v"] = 1;
    return {std::string(planned_type), 1, pack(j)};
  }
  case sr_run_event_kind::facts_written:
    return {std::string(facts_type), 1,
            pack({{"v", 1}, {"run_facts_view_sha256", e.run_facts_view_sha256}})};
  case sr_run_event_kind::ready_emitted:
    return {std::string(ready_type), 1,
            pack({{"v", 1},
                  {"topic", e.ready_topic},
                  {"partition", e.ready_partition},
                  {"offset", e.ready_offset}})};
  case sr_run_event_kind::failed:
    break;
  }
  return {std::string(failed_type), 1, pack({{"v", 1}, {"reason", e.reason}})};
}

expected<sr_run_event> sr_run_def::decode(const journal::record_view& r) {
  auto j = unpack(r);
  if (!j)
    return std::move(j).error();
  try {
    sr_run_event e;
    if (r.event_type == planned_type) {
      e.kind = sr_run_event_kind::planned;
      e.pins = pins_from(*j);
    } else if (r.event_type == facts_type) {
      e.kind = sr_run_event_kind::facts_written;
      e.run_facts_view_sha256 = j->at("run_facts_view_sha256").get<std::string>();
    } else if (r.event_type == ready_type) {
      e.kind = sr_run_event_kind::ready_emitted;
      e.ready_topic = j->at("topic").get<std::string>();
      e.ready_partition = j->at("partition").get<std::int32_t>();
      e.ready_offset = j->at("offset").get<std::int64_t>();
    } else if (r.event_type == failed_type) {
      e.kind = sr_run_event_kind::failed;
      e.reason = j->at("reason").get<std::string>();
    } else {
      return bad_record(r, "unknown event type");
    }
    return e;
  } catch (const json::exception& ex) {
    return bad_record(r, std::string("missing or mistyped field: ") + ex.what());
  }
}

std::string sr_run_def::encode_state(const state& s) {
  json j = {{"v", 1},
            {"phase", static_cast<int>(s.phase)},
            {"run_facts_view_sha256", s.run_facts_view_sha256},
            {"ready_topic", s.ready_topic},
            {"ready_partition", s.ready_partition},
            {"ready_offset", s.ready_offset},
            {"failure", s.failure},
            {"failures", s.failures}};
  if (s.phase != run_phase::none)
    j["pins"] = pins_to(s.pins);
  return pack(j);
}

expected<sr_run_state> sr_run_def::decode_state(const journal::record_view& r) {
  auto j = unpack(r);
  if (!j)
    return std::move(j).error();
  try {
    sr_run_state s;
    auto phase = j->at("phase").get<int>();
    if (phase < 0 || phase > 3)
      return bad_record(r, "phase out of range");
    s.phase = static_cast<run_phase>(phase);
    if (s.phase != run_phase::none)
      s.pins = pins_from(j->at("pins"));
    s.run_facts_view_sha256 = j->at("run_facts_view_sha256").get<std::string>();
    s.ready_topic = j->at("ready_topic").get<std::string>();
    s.ready_partition = j->at("ready_partition").get<std::int32_t>();
    s.ready_offset = j->at("ready_offset").get<std::int64_t>();
    s.failure = j->at("failure").get<std::string>();
    s.failures = j->at("failures").get<std::uint64_t>();
    return s;
  } catch (const json::exception& ex) {
    return bad_record(r, std::string("missing or mistyped field: ") + ex.what());
  }
}

json sr_run_def::to_json(const state& s) {
  json j = {{"status", status_of(s)}, {"phase", to_string(s.phase)}, {"failures", s.failures}};
  if (s.phase != run_phase::none)
    j["pins"] = pins_json(s.pins);
  if (!s.run_facts_view_sha256.empty())
    j["run_facts_view_sha256"] = s.run_facts_view_sha256;
  if (s.phase == run_phase::ready)
    j["ready"] = {
        {"topic", s.ready_topic}, {"partition", s.ready_partition}, {"offset", s.ready_offset}};
  if (!s.failure.empty())
    j["failure"] = s.failure;
  return j;
}

std::string sr_run_def::fingerprint(const command& c) {
  static constexpr const char* names[] = {"get", "plan", "facts_written", "ready_emitted", "fail"};
  auto op = static_cast<unsigned>(c.op);
  return std::string(op < 5 ? names[op] : "?") + "(" + c.pins.scenario_run_id + ")";
}

// -- active_run --------------------------------------------------------------------------------

expected<std::vector<run_activated>> active_run_def::handle(const state& s, const command& c) {
  if (c.op == active_run_op::get)
    return std::vector<run_activated>{};
  if (c.op != active_run_op::activate)
    return rejected("op: unknown operation");
  if (c.run.platform_run_id.empty() || c.run.scenario_run_id.empty() || c.run.message_id.empty())
    return rejected("activate: platform_run_id, scenario_run_id and message_id are required");
  if (s.activations > 0 && s.active == c.run)
    return std::vector<run_activated>{}; // the same run again: a no-op
  return std::vector<run_activated>{{c.run}};
}

void active_run_def::apply(state& s, const event& e) {
  s.active = e.run;
  s.activations += 1;
}

active_run_state active_run_def::reply_for(const state& s, const command&) {
  return s;
}

journal::event_data active_run_def::encode(const event& e) {
  json j = pins_to(e.run);
  j["v"] = 1;
  return {std::string(activated_type), 1, pack(j)};
}

expected<run_activated> active_run_def::decode(const journal::record_view& r) {
  if (r.event_type != activated_type)
    return bad_record(r, "unknown event type");
  auto j = unpack(r);
  if (!j)
    return std::move(j).error();
  try {
    return run_activated{pins_from(*j)};
  } catch (const json::exception& ex) {
    return bad_record(r, std::string("missing or mistyped field: ") + ex.what());
  }
}

std::string active_run_def::encode_state(const state& s) {
  json j = {{"v", 1}, {"activations", s.activations}};
  if (s.activations > 0)
    j["active"] = pins_to(s.active);
  return pack(j);
}

expected<active_run_state> active_run_def::decode_state(const journal::record_view& r) {
  auto j = unpack(r);
  if (!j)
    return std::move(j).error();
  try {
    active_run_state s;
    s.activations = j->at("activations").get<std::uint64_t>();
    if (s.activations > 0)
      s.active = pins_from(j->at("active"));
    return s;
  } catch (const json::exception& ex) {
    return bad_record(r, std::string("missing or mistyped field: ") + ex.what());
  }
}

json active_run_def::to_json(const state& s) {
  json j = {{"activations", s.activations}};
  j["active"] = s.activations > 0 ? pins_json(s.active) : json(nullptr);
  return j;
}

std::string active_run_def::fingerprint(const command& c) {
  return std::string(c.op == active_run_op::activate ? "activate" : "get") + "(" +
         c.run.platform_run_id + ")";
}

sr_entities start_sr_entities(actors::runtime& rt, const actors::entity_options& opts) {
  return {actors::detail::start_region<sr_run_def>(rt, opts),
          actors::detail::start_region<active_run_def>(rt, opts)};
}

} // namespace fp::sr
