// The `sr` plane: the Scenario Runner's ingress routes (actors/ingress/sr).
//
//   POST /v1/sr/runs                 {"seed", "scenario_id"?, "parameter_hash"?,
//                                     "manifest_fingerprint"?, "platform_run_id" |
//                                     "started_at_utc"}
//     201 READY emitted by this call; 200 the run was READY already (no-op); 400 bad body
//     (names the field); 401 no valid X-API-Key; 404 no such world; 409 ambiguous world or
//     drift; 422 no gate PASS; 503 store, bus or entity failure (the run resumes on a re-run).
//   GET  /v1/sr/runs/{platform_run_id}   the run's state (404 when unknown)
//   GET  /v1/sr/active                   the environment's active-run pointer

#include "actors/ingress/sr/errc.hpp"
#include "actors/ingress/sr/runner.hpp"
#include "cluster/errc.hpp"
#include "cluster/planes.hpp"
#include "schemas/errc.hpp"
#include "schemas/ids.hpp"
#include "schemas/run_facts.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

namespace fp::cluster {

namespace {

using nlohmann::json;

http_response sr_error(const fp::error& e) {
  int status = 500;
  if (e.is(sr::errc::bad_request))
    status = 400;
  else if (e.is(sr::errc::world_not_found))
    status = 404;
  else if (e.is(sr::errc::world_ambiguous) || e.is(sr::errc::drift))
    status = 409;
  else if (e.is(sr::errc::gate_refused))
    status = 422;
  else if (e.is(sr::errc::store_failed) || e.is(sr::errc::bus_failed) ||
           e.is(sr::errc::entity_failed))
    status = 503;
  else if (e.domain() != std::string_view("sr"))
    return error_response(e);
  return error_response(status, e.code_name(), e.message());
}

http_response unauthorized() {
  return error_response(401, "unauthorized", "X-API-Key: missing or not on the ingress allowlist");
}

http_response run_status(const sr::sr_run_state& s) {
  json j = sr::sr_run_def::to_json(s);
  j["run_facts_view"] = {{"path", schemas::run_facts_view_key(s.pins.platform_run_id)},
                         {"sha256", s.run_facts_view_sha256}};
  return json_response(200, nlohmann::ordered_json::parse(j.dump()));
}

std::vector<metric_family> sr_metrics(sr::scenario_runner& r,
                                      const std::atomic<std::uint64_t>& denied) {
  auto& c = r.counters();
  auto counter = [](std::string name, std::string help, double v) {
    return metric_family{std::move(name), std::move(help), metric_type::counter, {{{}, v}}};
  };
  std::vector<metric_family> out{
      counter("fp_sr_runs_requested_total", "Run requests that passed the API key check.",
              double(c.requested)),
      counter("fp_sr_ready_emitted_total", "READY messages produced to fp.bus.control.v1.",
              double(c.ready_emitted)),
      counter("fp_sr_runs_noop_total", "Re-runs of a READY run (nothing written or emitted).",
              double(c.no_ops)),
      counter("fp_sr_runs_resumed_total", "Runs continued after an earlier failed attempt.",
              double(c.resumed)),
      counter("fp_sr_runs_failed_total", "Runs stopped by a store, bus or entity failure.",
              double(c.failed)),
      counter("fp_sr_requests_unauthorized_total",
              "Requests refused for a missing or bad X-API-Key.", double(denied.load())),
  };
  metric_family refused{"fp_sr_runs_refused_total",
                        "Run requests refused (nothing written), by reason.",
                        metric_type::counter,
                        {}};
  std::map<std::string, std::uint64_t> by_reason{{"bad_request", 0},     {"bad_policy", 0},
                                                 {"world_not_found", 0}, {"world_ambiguous", 0},
                                                 {"gate_refused", 0},    {"drift", 0}};
  {
    std::lock_guard guard{c.mu};
    for (auto& [k, v] : c.refused)
      by_reason[k] = v;
  }
  for (auto& [k, v] : by_reason)
    refused.samples.push_back({{{"reason", k}}, double(v)});
  out.push_back(std::move(refused));
  return out;
}

} // namespace

expected<void> start_sr_plane(plane_context& ctx) {
  const auto& prof = ctx.profile;
  auto traffic = sr::load_outputs_policy(prof.policy.wsp.traffic_outputs);
  if (!traffic)
    return fp::error{errc::bad_profile, prof.source.string() + ": policy.wsp.traffic_outputs: " +
                                            traffic.error().message()};
  auto context = sr::load_outputs_policy(prof.policy.wsp.context_outputs);
  if (!context)
    return fp::error{errc::bad_profile, prof.source.string() + ": policy.wsp.context_outputs: " +
                                            context.error().message()};
  auto planned = sr::plan_outputs(*traffic, *context);
  if (!planned)
    return fp::error{errc::bad_profile, prof.source.string() + ": " + planned.error().message()};
  sr::runner_config cfg;
  cfg.oracle_root = prof.wiring.oracle_root;
  cfg.outputs = std::move(*planned);
  cfg.traffic_delivery_mode = prof.policy.sr.traffic_delivery_mode;
  cfg.environment = prof.name;
  auto runner = std::make_shared<sr::scenario_runner>(
      std::move(cfg), ctx.bus, ctx.objects,
      sr::start_sr_entities(ctx.runtime, prof.policy.entities));
  auto denied = std::make_shared<std::atomic<std::uint64_t>>(0);
  const plane_context* c = &ctx; // the node keeps the context for its whole life
  auto allowed = [c, denied](const http_request& r) {
    if (ingress_key_allowed(*c, r))
      return true;
    (*denied)++;
    return false;
  };

  ctx.ingress_routes.push_back({"POST", "/v1/sr/runs", [runner, allowed](const http_request& r) {
                                  if (!allowed(r))
                                    return unauthorized();
                                  if (auto ok = only_params(r, {}); !ok)
                                    return error_response(ok.error());
                                  auto req = sr::parse_run_request(r.body);
                                  if (!req) {
                                    runner->counters().requested++;
                                    std::lock_guard guard{runner->counters().mu};
                                    runner->counters().refused["bad_request"]++;
                                    return sr_error(req.error());
                                  }
                                  auto out = runner->run(*req);
                                  if (!out)
                                    return sr_error(out.error());
                                  return json_response(
                                      out->emitted ? 201 : 200,
                                      nlohmann::ordered_json::parse(sr::outcome_json(*out).dump()));
                                }});
  ctx.ingress_routes.push_back(
      {"GET", "/v1/sr/runs/([^/]+)", [runner, allowed](const http_request& r) {
         if (!allowed(r))
           return unauthorized();
         if (auto ok = only_params(r, {}); !ok)
           return error_response(ok.error());
         const auto& prid = r.captures.at(0);
         if (auto ok = schemas::validate_platform_run_id("platform_run_id", prid); !ok)
           return error_response(
               bad_parameter("platform_run_id", "must be "
                                                "platform_YYYYMMDDTHHMMSSZ, got " +
                                                    schemas::quote_value(prid)));
         auto s = runner->status(prid);
         if (!s)
           return sr_error(s.error());
         if (s->phase == sr::run_phase::none)
           return error_response(404, "not_found", "sr: no run " + prid);
         return run_status(*s);
       }});
  ctx.ingress_routes.push_back(
      {"GET", "/v1/sr/active", [runner, allowed, env = prof.name](const http_request& r) {
         if (!allowed(r))
           return unauthorized();
         if (auto ok = only_params(r, {}); !ok)
           return error_response(ok.error());
         auto a = runner->active();
         if (!a)
           return sr_error(a.error());
         json j = sr::active_run_def::to_json(*a);
         j["environment"] = env;
         return json_response(200, nlohmann::ordered_json::parse(j.dump()));
       }});

  plane_hooks hooks;
  hooks.plane = "sr";
  hooks.metrics = [runner, denied] { return sr_metrics(*runner, *denied); };
  ctx.hooks.push_back(std::move(hooks));
  return {};
}

} // namespace fp::cluster
