// The `ig` plane: the Ingestion Gate's HTTP boundary on the ingress port, its READY consumer,
// its counters and health, and read-only inspection routes on the admin API.
//
//   POST /v1/ingest         one event -> 200 ADMITTED | 200 DUPLICATE | 422/409 QUARANTINE
//   POST /v1/ingest/batch   a JSON array of events -> 200 {"results": [one outcome each]}
//   GET  /admin/ig/runs     the runs IG has opened
//   GET  /admin/ig/tuples/{platform_run_id}/{event_class}/{event_id}
//
// Errors: 400 unparseable, 401 no or unknown X-API-Key, 413 too large, 503 stopping or the bus
// unresolved (resend), 504 no outcome in time (resend): nothing is written for 400/401/413.

#include "actors/ingress/ig/gate.hpp"
#include "actors/ingress/ig/ready.hpp"
#include "actors/ingress/ig/tuple_entity.hpp"
#include "cluster/planes.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/errc.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace fp::cluster {

namespace {

using ojson = nlohmann::ordered_json;

http_response as_http(const ig::ingest_result& r) {
  return {r.status, "application/json", r.body + "\n"};
}

http_response unauthorized() {
  return error_response(401, "unauthorized", "ig: X-API-Key is missing or not on the allowlist");
}

http_response ingest_one(plane_context& ctx, ig::gate& g, const http_request& r) {
  if (!ingress_key_allowed(ctx, r))
    return unauthorized();
  if (auto ok = only_params(r, {}); !ok)
    return error_response(ok.error());
  const auto& http = ctx.profile.policy.http;
  if (r.body.size() > http.max_body_bytes)
    return error_response(413, "payload_too_large", "the request body exceeds the size limit");
  return as_http(g.ingest_wait(r.body, std::chrono::milliseconds(http.request_timeout_ms)));
}

/// The items of a JSON array, as the byte ranges of its elements; nullopt when `body` is not
/// framed as one array (`[` item (`,` item)* `]`, JSON whitespace around). Only the framing is
/// checked here: strings are skipped with their escapes and brackets counted, and each item is
/// then parsed on its own, strictly, so that one bad item (a duplicate key, a number out of
/// range, broken JSON inside it) gets its own 400 and the others go on.
std::optional<std::vector<std::string_view>> array_items(std::string_view body) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::size_t i = 0, n = body.size();
  auto skip = [&] {
    while (i < n && ws(body[i]))
      ++i;
  };
  skip();
  if (i == n || body[i] != '[')
    return std::nullopt;
  ++i;
  skip();
  std::vector<std::string_view> items;
  if (i < n && body[i] == ']') {
    ++i;
  } else {
    for (;;) {
      auto start = i;
      int depth = 0;
      bool in_string = false;
      for (; i < n; ++i) {
        char c = body[i];
        if (in_string) {
          if (c == '\\')
            ++i;
          else if (c == '"')
            in_string = false;
        } else if (c == '"') {
          in_string = true;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if (c == '}' || c == ']') {
          if (depth == 0)
            break;
          --depth;
        } else if (c == ',' && depth == 0) {
          break;
        }
      }
      if (i >= n || in_string)
        return std::nullopt;
      auto end = i;
      while (end > start && ws(body[end - 1]))
        --end;
      if (end == start)
        return std::nullopt;
      items.push_back(body.substr(start, end - start));
      if (body[i] == ']') {
        ++i;
        break;
      }
      if (body[i] != ',')
        return std::nullopt;
      ++i;
      skip();
    }
  }
  skip();
  if (i != n)
    return std::nullopt;
  return items;
}

http_response ingest_batch(plane_context& ctx, ig::gate& g, const http_request& r) {
  if (!ingress_key_allowed(ctx, r))
    return unauthorized();
  if (auto ok = only_params(r, {}); !ok)
    return error_response(ok.error());
  const auto& http = ctx.profile.policy.http;
  if (r.body.size() > http.max_body_bytes)
    return error_response(413, "payload_too_large", "the request body exceeds the size limit");
  auto items = array_items(r.body);
  if (!items) {
    // Not one array: the strict parser names what is wrong with the body as a whole.
    auto parsed = schemas::parse_strict(r.body, "batch");
    if (!parsed)
      return error_response(400, parsed.error().code_name(), parsed.error().message());
    return error_response(400, "wrong_type", "batch: must be a JSON array of events");
  }
  auto max = ctx.profile.policy.ig.max_batch_items;
  if (items->size() > max)
    return error_response(413, "batch_too_large",
                          "batch: " + std::to_string(items->size()) + " items, at most " +
                              std::to_string(max) + " (policy.ig.max_batch_items)");
  // Every item goes in at once, as if posted alone; the answer waits until each has its
  // durable outcome. The outcomes land in one shared place and wake this thread once, when
  // the last arrives (or at the deadline), not once per item.
  struct outcomes {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::optional<ig::ingest_result>> results;
    std::size_t pending = 0;
  };
  auto shared = std::make_shared<outcomes>();
  shared->results.resize(items->size());
  shared->pending = items->size();
  for (std::size_t i = 0; i < items->size(); ++i)
    g.ingest(std::string((*items)[i]), [shared, i](ig::ingest_result x) {
      std::lock_guard lock{shared->mu};
      shared->results[i] = std::move(x);
      if (--shared->pending == 0)
        shared->cv.notify_one();
    });
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(http.request_timeout_ms);
  std::vector<std::optional<ig::ingest_result>> results;
  {
    std::unique_lock lock{shared->mu};
    shared->cv.wait_until(lock, deadline, [&] { return shared->pending == 0; });
    results = std::move(shared->results); // a late outcome still has its own slot
    shared->results.assign(results.size(), std::nullopt);
  }
  // Each row is {"status": N, ...the item's own answer}: its object text, spliced.
  std::string out = "{\"results\":[";
  out.reserve(out.size() + results.size() * 256);
  for (std::size_t i = 0; i < results.size(); ++i) {
    ig::ingest_result x =
        results[i]
            ? std::move(*results[i])
            : ig::error_result(504, "timeout", "ig: no durable outcome in time; resend this item");
    if (i > 0)
      out += ',';
    out += "{\"status\":" + std::to_string(x.status);
    if (x.body.size() > 2) // not "{}"
      out.append(",").append(x.body, 1);
    else
      out += '}';
  }
  out += "]}\n";
  return {200, "application/json", std::move(out)};
}

ojson run_json(const ig::run_pins& p) {
  return {
      {"platform_run_id", p.platform_run_id},   {"scenario_run_id", p.scenario_run_id},
      {"scenario_id", p.scenario_id},           {"manifest_fingerprint", p.manifest_fingerprint},
      {"parameter_hash", p.parameter_hash},     {"seed", p.seed},
      {"ready_message_id", p.ready_message_id}, {"run_facts_view_ref", p.run_facts_view_ref}};
}

std::vector<metric_family> ig_metrics(const ig::gate& g) {
  struct counter {
    const char* name;
    const char* help;
    std::uint64_t ig::run_counters::*field;
  };
  static constexpr counter counters[] = {
      {"received", "events IG received (seed 001 ig_received; unparseable under _invalid)",
       &ig::run_counters::ig_received},
      {"admitted", "events admitted and published", &ig::run_counters::admitted},
      {"duplicate", "re-sends answered DUPLICATE", &ig::run_counters::duplicate},
      {"publish_ambiguous", "publishes without a known outcome (reconciled against the bus)",
       &ig::run_counters::publish_ambiguous},
      {"receipts_written", "receipts written", &ig::run_counters::receipts_written},
      {"receipt_write_failed", "receipt writes that failed (backfilled later)",
       &ig::run_counters::receipt_write_failed},
  };
  auto snapshot = g.class_counters();
  std::vector<metric_family> out;
  for (auto& c : counters) {
    metric_family f{std::string("fp_ig_") + c.name + "_total", c.help, metric_type::counter, {}};
    for (auto& [key, v] : snapshot)
      f.samples.push_back({{{"platform_run_id", key.first}, {"event_class", key.second}},
                           static_cast<double>(v.*(c.field))});
    out.push_back(std::move(f));
  }
  metric_family q{"fp_ig_quarantined_total",
                  "events quarantined, by event class and reason",
                  metric_type::counter,
                  {}};
  for (auto& [key, v] : snapshot)
    for (auto& [reason, n] : v.quarantined_by_reason)
      q.samples.push_back(
          {{{"platform_run_id", key.first}, {"event_class", key.second}, {"reason", reason}},
           static_cast<double>(n)});
  out.push_back(std::move(q));
  metric_family open{"fp_ig_publish_ambiguous_open",
                     "admission tuples whose publish outcome is not yet reconciled",
                     metric_type::gauge,
                     {{{}, static_cast<double>(g.unresolved())}}};
  out.push_back(std::move(open));
  return out;
}

} // namespace

expected<void> start_ig(plane_context& ctx) {
  const auto& pol = ctx.profile.policy.ig;
  auto loaded = ig::load_policy(pol.class_map, pol.partitioning_profiles, pol.payload_schemas);
  if (!loaded)
    return std::move(loaded).error();
  ig::gate_options o;
  o.service_release_id = ctx.service_release_id;
  o.publish_timeout = std::chrono::milliseconds(pol.publish_timeout_ms);
  o.entities = ctx.profile.policy.entities;
  auto started = ig::gate::start(ctx.runtime, ctx.bus, ctx.objects, std::move(*loaded), o);
  if (!started)
    return std::move(started).error();
  std::shared_ptr<ig::gate> g = std::move(*started);
  auto consumer =
      ig::ready_consumer::start(*g, ctx.bus, ctx.objects, ctx.profile.wiring.oracle_root);
  if (!consumer)
    return std::move(consumer).error();
  std::shared_ptr<ig::ready_consumer> ready = std::move(*consumer);
  // An event may arrive before IG has handled its run's READY (WSP consumes READY on its own):
  // before quarantining it as RUN_NOT_READY, let the READY consumer catch up (at most 2 s).
  g->set_run_catch_up([bus = &ctx.bus](std::string_view) {
    (void)ig::wait_ready_caught_up(*bus, std::chrono::seconds(2));
  });

  auto* c = &ctx;
  ctx.ingress_routes.push_back(
      {"POST", "/v1/ingest", [c, g](const http_request& r) { return ingest_one(*c, *g, r); }});
  ctx.ingress_routes.push_back({"POST", "/v1/ingest/batch",
                                [c, g](const http_request& r) { return ingest_batch(*c, *g, r); }});
  ctx.admin_routes.push_back({"GET", "/admin/ig/runs", [g](const http_request& r) {
                                if (auto ok = only_params(r, {}); !ok)
                                  return error_response(ok.error());
                                ojson runs = ojson::array();
                                for (auto& p : g->runs())
                                  runs.push_back(run_json(p));
                                return json_response(200, ojson{{"runs", std::move(runs)}});
                              }});
  ctx.admin_routes.push_back(
      {"GET", "/admin/ig/tuples/([^/]+)/([^/]+)/([^/]+)", [g](const http_request& r) {
         if (auto ok = only_params(r, {}); !ok)
           return error_response(ok.error());
         ig::tuple_id t{r.captures.at(0), r.captures.at(1), r.captures.at(2)};
         auto s = g->tuple(t);
         if (!s)
           return error_response(s.error());
         if (!*s)
           return error_response(404, "not_found", "ig: no decision on that tuple");
         auto j = ig::tuple_def::to_json(**s);
         j["dedupe"] = t.dedupe();
         return json_response(200, ojson::parse(j.dump()));
       }});
  plane_hooks h;
  h.plane = "ig";
  h.metrics = [g] { return ig_metrics(*g); };
  h.health = [g, ready](std::vector<std::string>& red, std::vector<std::string>& amber) {
    g->health(red, amber);
    ready->health(red, amber);
  };
  auto grace = ctx.profile.policy.shutdown_grace;
  h.stop = [g, ready, grace] {
    ready->stop();
    g->stop(grace);
  };
  ctx.hooks.push_back(std::move(h));
  return {};
}

} // namespace fp::cluster
