#include "actors/ingress/sr/runner.hpp"

#include "actors/core/errc.hpp"
#include "actors/ingress/sr/errc.hpp"
#include "actors/ingress/sr/ledger.hpp"
#include "bus/event_bus.hpp"
#include "journal/object_store.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/hash.hpp"
#include "schemas/ids.hpp"
#include "schemas/run_facts.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace fp::sr {

namespace {

using nlohmann::json;

constexpr std::string_view record_schema = "sr_run_record.v1";
constexpr std::string_view status_schema = "sr_run_status.v1";
constexpr std::string_view plan_schema = "sr_run_plan.v1";

/// `platform_YYYYMMDDTHHMMSSZ` of an RFC 3339 UTC start (fraction dropped).
expected<std::string> prid_of(const std::string& started) {
  auto digits = [&](std::size_t at, std::size_t n) { return std::stoi(started.substr(at, n)); };
  using namespace std::chrono;
  auto day = year_month_day{year{digits(0, 4)}, month{static_cast<unsigned>(digits(5, 2))},
                            std::chrono::day{static_cast<unsigned>(digits(8, 2))}};
  auto t = sys_days{day} + hours{digits(11, 2)} + minutes{digits(14, 2)} + seconds{digits(17, 2)};
  auto id = schemas::make_platform_run_id(t);
  if (!id)
    return fp::error{errc::bad_request, "body.started_at_utc: " + id.error().message()};
  return id->value();
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a valid `platform_YYYYMMDDTHHMMSSZ`.
std::string start_of(const std::string& prid) {
  auto s = prid.substr(9); // YYYYMMDDTHHMMSSZ
  return s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2) + "T" + s.substr(9, 2) + ":" +
         s.substr(11, 2) + ":" + s.substr(13, 2) + "Z";
}

/// An entity's rejection as ours: `drift: ...` is drift; everything else entity_failed.
fp::error entity_error(const fp::error& e) {
  if (e.is(actors::errc::rejected) && e.message().starts_with("drift"))
    return fp::error{errc::drift, "sr: " + e.message()};
  return fp::error{errc::entity_failed, "sr: " + e.to_string()};
}

template <class T>
expected<T> lift(expected<T> r) {
  if (r)
    return r;
  return entity_error(r.error());
}

std::string record(std::string_view kind, const run_pins& p, json extra = json::object()) {
  extra["schema_version"] = record_schema;
  extra["kind"] = kind;
  extra["platform_run_id"] = p.platform_run_id;
  extra["scenario_run_id"] = p.scenario_run_id;
  extra["plan_hash"] = p.plan_hash;
  return schemas::canonical(extra);
}

std::string status_record(std::string_view status, const run_pins& p, json extra = json::object()) {
  extra["schema_version"] = status_schema;
  extra["status"] = status;
  extra["platform_run_id"] = p.platform_run_id;
  extra["scenario_run_id"] = p.scenario_run_id;
  return schemas::canonical(extra);
}

/// What differs between a recorded run and a request, for the drift message.
std::string differences(const run_pins& was, const run_pins& now) {
  std::string out;
  auto cmp = [&](std::string_view name, const std::string& a, const std::string& b) {
    if (a != b)
      out += "; " + std::string(name) + " recorded " + a + ", requested " + b;
  };
  cmp("scenario_run_id", was.scenario_run_id, now.scenario_run_id);
  cmp("scenario_id", was.scenario_id, now.scenario_id);
  cmp("seed", std::to_string(was.seed), std::to_string(now.seed));
  cmp("manifest_fingerprint", was.manifest_fingerprint, now.manifest_fingerprint);
  cmp("parameter_hash", was.parameter_hash, now.parameter_hash);
  cmp("run_config_digest", was.run_config_digest, now.run_config_digest);
  cmp("plan_hash", was.plan_hash, now.plan_hash);
  cmp("started_at_utc", was.started_at_utc, now.started_at_utc);
  return out;
}

/// The run's plan: the StreamPlan and the run_facts_view outputs from the world's manifest.
struct built_plan {
  schemas::run_config config;
  schemas::stream_plan plan;
  std::vector<schemas::run_facts_output> outputs;
};

expected<built_plan> build_plan(const runner_config& cfg, const sealed_world& w) {
  built_plan b;
  b.config.traffic_delivery_mode = cfg.traffic_delivery_mode;
  b.plan.manifest_fingerprint = w.manifest_fingerprint;
  b.plan.traffic_delivery_mode = cfg.traffic_delivery_mode;
  for (const auto& po : cfg.outputs) {
    const world_output* found = nullptr;
    for (const auto& o : w.outputs)
      if (o.output_id == po.spec.output_id)
        found = &o;
    if (found == nullptr)
      return fp::error{errc::gate_refused, "world: " + w.relative_path + " has no output " +
                                               po.spec.output_id +
                                               " (the WSP outputs policy "
                                               "plans it)"};
    if (found->role != po.role)
      return fp::error{errc::bad_policy, "world: output " + po.spec.output_id + " has role " +
                                             found->role +
                                             " in the manifest, but the WSP "
                                             "outputs policy plans it as " +
                                             po.role};
    b.config.outputs.push_back(po.spec.output_id);
    b.plan.outputs.push_back({po.spec.output_id, po.role, found->digest, found->rows,
                              po.spec.event_type, po.spec.schema_version});
    schemas::run_facts_output out{
        po.spec.output_id, po.role, po.spec.event_type, po.spec.schema_version, found->digest,
        found->rows,       {}};
    for (const auto& p : found->parts)
      out.parts.push_back({w.relative_path + "/" + p.path, p.sha256, p.rows, p.bytes});
    b.outputs.push_back(std::move(out));
  }
  return b;
}

} // namespace

json outcome_json(const run_outcome& o) {
  const auto& s = o.run;
  json j = pins_json(s.pins);
  j["status"] = status_of(s);
  j["no_op"] = o.no_op;
  j["emitted"] = o.emitted;
  j["run_facts_view"] = {{"path", o.run_facts_view_path}, {"sha256", s.run_facts_view_sha256}};
  if (s.phase == run_phase::ready)
    j["ready"] = {
        {"topic", s.ready_topic}, {"partition", s.ready_partition}, {"offset", s.ready_offset}};
  if (!s.failure.empty())
    j["failure"] = s.failure;
  return j;
}

scenario_runner::scenario_runner(runner_config cfg, bus::event_bus& bus,
                                 journal::object_store& objects, sr_entities entities)
    : cfg_(std::move(cfg))
    , bus_(&bus)
    , objects_(&objects)
    , entities_(std::move(entities)) {}

expected<sr_run_state> scenario_runner::status(const std::string& platform_run_id) const {
  return lift(entities_.runs.ask(platform_run_id, sr_run_command{}));
}

expected<active_run_state> scenario_runner::active() const {
  return lift(entities_.active.ask(cfg_.environment, active_run_command{}));
}

void scenario_runner::count_refusal(const fp::error& e) {
  std::lock_guard guard{counters_.mu};
  counters_.refused[e.code_name()]++;
}

expected<run_outcome> scenario_runner::run(const run_request& req) {
  counters_.requested++;
  std::lock_guard guard{run_mu_};
  auto r = run_locked(req);
  if (!r && !r.error().is(errc::store_failed) && !r.error().is(errc::bus_failed) &&
      !r.error().is(errc::entity_failed))
    count_refusal(r.error());
  return r;
}

expected<run_outcome> scenario_runner::run_locked(const run_request& req) {
  // -- the run's identity: refusals from here on write nothing ------------------------------
  std::string prid;
  std::optional<std::string> started = req.started_at_utc;
  if (started) {
    auto id = prid_of(*started);
    if (!id)
      return std::move(id).error();
    prid = *id;
  } else {
    prid = *req.platform_run_id;
  }
  sr_run_state existing;
  {
    auto got = status(prid);
    if (!got)
      return std::move(got).error();
    existing = std::move(*got);
  }
  if (!started) // a retry by id: the start recorded at the first try, never re-read
    started = existing.phase != run_phase::none ? existing.pins.started_at_utc : start_of(prid);

  auto dir = locate_world(cfg_.oracle_root, req.world);
  if (!dir)
    return std::move(dir).error();
  auto world = open_sealed_world(cfg_.oracle_root, *dir);
  if (!world)
    return std::move(world).error();
  auto built = build_plan(cfg_, *world);
  if (!built)
    return std::move(built).error();

  run_pins pins;
  pins.platform_run_id = prid;
  pins.scenario_id = world->scenario_id;
  pins.manifest_fingerprint = world->manifest_fingerprint;
  pins.parameter_hash = world->parameter_hash;
  pins.seed = world->seed;
  pins.run_config_digest = schemas::run_config_digest(built->config);
  pins.scenario_run_id =
      schemas::scenario_run_id(pins.manifest_fingerprint, pins.parameter_hash, pins.scenario_id,
                               pins.seed, pins.run_config_digest)
          .value();
  pins.plan_hash = schemas::plan_hash(built->plan);
  pins.message_id = schemas::ready_message_id(prid, pins.scenario_run_id, pins.plan_hash);
  pins.started_at_utc = *started;

  run_outcome out;
  out.run_facts_view_path = schemas::run_facts_view_key(prid);
  if (existing.phase != run_phase::none && existing.pins != pins)
    return fp::error{errc::drift, "sr: platform_run_id " + prid +
                                      " is already a run with other inputs (drift refused)" +
                                      differences(existing.pins, pins)};
  if (existing.phase == run_phase::ready) {
    counters_.no_ops++;
    out.run = std::move(existing);
    out.no_op = true;
    return out;
  }

  schemas::run_facts_view view;
  view.platform_run_id = fp::platform_run_id{prid};
  view.scenario_run_id = fp::scenario_run_id{pins.scenario_run_id};
  view.scenario_id = fp::scenario_id{pins.scenario_id};
  view.manifest_fingerprint = fp::manifest_fingerprint{pins.manifest_fingerprint};
  view.parameter_hash = fp::parameter_hash{pins.parameter_hash};
  view.seed = pins.seed;
  view.run_config_digest = pins.run_config_digest;
  view.plan_hash = pins.plan_hash;
  view.started_at_utc = pins.started_at_utc;
  view.traffic_delivery_mode = cfg_.traffic_delivery_mode;
  view.world_path = world->relative_path;
  view.gate_receipt_path = world->gate_receipt_path;
  view.gate_receipt_sha256 = world->gate_receipt_sha256;
  view.outputs = std::move(built->outputs);
  if (auto ok = schemas::validate_run_facts_view(view); !ok)
    return fp::error{errc::gate_refused, "sr: the world's facts break the run_facts_view "
                                         "contract: " +
                                             ok.error().message()};
  auto view_text = schemas::to_json(view);
  auto view_sha = schemas::sha256_hex(view_text);

  json plan_doc = pins_json(pins);
  plan_doc["schema_version"] = plan_schema;
  plan_doc["run_config"] = json::parse(schemas::to_json(built->config));
  plan_doc["stream_plan"] = json::parse(schemas::to_json(built->plan));
  plan_doc["traffic_delivery_mode"] = cfg_.traffic_delivery_mode;
  plan_doc["world"] = {
      {"path", world->relative_path},
      {"gate_receipt",
       {{"path", world->gate_receipt_path}, {"sha256", world->gate_receipt_sha256}}}};

  // -- the ledger's first write: write-once, so another plan for this id is drift ------------
  ledger book(*objects_, prid);
  if (auto ok = book.put_once("run_plan.json", schemas::canonical(plan_doc), plan_schema); !ok)
    return std::move(ok).error();
  if (existing.phase == run_phase::none) {
    sr_run_command plan{sr_run_op::plan, pins, {}, {}, 0, 0, {}};
    auto planned = lift(entities_.runs.ask(prid, plan));
    if (!planned)
      return std::move(planned).error();
  } else {
    counters_.resumed++;
  }

  // -- from here a failure is recorded on the run, and a re-run resumes -----------------------
  auto fail = [&](fp::error e) -> fp::error {
    counters_.failed++;
    sr_run_command c{sr_run_op::fail, {}, {}, {}, 0, 0, e.to_string()};
    auto failed = entities_.runs.ask(prid, c);
    if (failed)
      (void)book.append("run_status",
                        status_record("FAILED", pins,
                                      {{"reason", e.to_string()}, {"failure", failed->failures}}));
    return e;
  };
  auto step = [&](std::string_view name) -> expected<void> {
    if (cfg_.after_step)
      return cfg_.after_step(name);
    return {};
  };
  const json receipt = {{"path", world->gate_receipt_path}, {"sha256", world->gate_receipt_sha256}};
  for (auto [dir_name, text] :
       {std::pair<std::string_view, std::string>{
            "run_record", record("RUN_REQUESTED", pins, {{"started_at_utc", pins.started_at_utc}})},
        {"run_status", status_record("PLANNED", pins)},
        {"run_record",
         record("GATE_PASS_VERIFIED", pins,
                {{"gate_receipt", receipt}, {"manifest_fingerprint", pins.manifest_fingerprint}})}})
    if (auto ok = book.append(dir_name, std::move(text)); !ok)
      return fail(std::move(ok).error());
  if (auto ok = step("planned"); !ok)
    return fail(std::move(ok).error());

  auto view_ref = book.put_once("run_facts_view.json", view_text, schemas::run_facts_view_schema);
  if (!view_ref)
    return fail(std::move(view_ref).error());
  if (auto ok = book.append(
          "run_record",
          record("FACTS_WRITTEN", pins,
                 {{"run_facts_view", {{"path", out.run_facts_view_path}, {"sha256", view_sha}}}}));
      !ok)
    return fail(std::move(ok).error());
  {
    sr_run_command c{sr_run_op::facts_written, {}, view_sha, {}, 0, 0, {}};
    if (auto ok = lift(entities_.runs.ask(prid, c)); !ok)
      return fail(std::move(ok).error());
  }
  if (auto ok = step("facts_written"); !ok)
    return fail(std::move(ok).error());

  // -- READY: durable on return; then the records and the entity events -----------------------
  schemas::ready_message ready;
  ready.message_id = pins.message_id;
  ready.platform_run_id = view.platform_run_id;
  ready.scenario_run_id = view.scenario_run_id;
  ready.scenario_id = view.scenario_id;
  ready.manifest_fingerprint = view.manifest_fingerprint;
  ready.parameter_hash = view.parameter_hash;
  ready.seed = pins.seed;
  ready.plan_hash = pins.plan_hash;
  ready.run_config_digest = pins.run_config_digest;
  ready.traffic_delivery_mode = cfg_.traffic_delivery_mode;
  ready.run_facts_view_path = out.run_facts_view_path;
  ready.run_facts_view_sha256 = view_sha;
  bus::produce_record rec{
      std::string(bus::control_topic),
      prid,
      schemas::to_json(ready),
      {{"fp.schema", std::string(schemas::ready_schema)}, {"fp.message_id", pins.message_id}},
      std::nullopt};
  auto at = bus_->produce(std::move(rec));
  if (!at)
    return fail(fp::error{errc::bus_failed, "sr: READY to " + std::string(bus::control_topic) +
                                                ": " + at.error().to_string()});
  counters_.ready_emitted++;
  out.emitted = true;
  if (auto ok = step("ready_produced"); !ok)
    return fail(std::move(ok).error());
  if (auto ok = book.append("run_record", record("READY_EMITTED", pins,
                                                 {{"message_id", pins.message_id},
                                                  {"topic", at->topic},
                                                  {"partition", at->partition},
                                                  {"offset", at->offset}}));
      !ok)
    return fail(std::move(ok).error());
  if (auto ok = book.append("run_status", status_record("READY", pins)); !ok)
    return fail(std::move(ok).error());
  sr_run_command emitted{
      sr_run_op::ready_emitted, {}, {}, at->topic, at->partition, at->offset, {}};
  auto final_state = lift(entities_.runs.ask(prid, emitted));
  if (!final_state)
    return fail(std::move(final_state).error());
  active_run_command activate{active_run_op::activate, pins};
  if (auto ok = lift(entities_.active.ask(cfg_.environment, activate)); !ok)
    return std::move(ok).error();
  out.run = std::move(*final_state);
  return out;
}

} // namespace fp::sr
