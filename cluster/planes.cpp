#include "cluster/planes.hpp"

#include "actors/testkit/counter.hpp"
#include "cluster/auth.hpp"
#include "cluster/errc.hpp"
#include "cluster/testkit_routes.hpp"
#include "schemas/errc.hpp"

#include <array>

namespace fp::cluster {

expected<void> start_sr_plane(plane_context& ctx); // plane_sr.cpp
expected<void> start_ig(plane_context& ctx);       // plane_ig.cpp
expected<void> start_wsp(plane_context& ctx);      // plane_wsp.cpp

namespace {

expected<void> start_testkit(plane_context& ctx) {
  auto counters = testkit::start_counters(ctx.runtime, ctx.profile.policy.entities);
  auto routes = testkit_routes(std::move(counters), ctx.profile.policy.http.request_timeout_ms);
  ctx.ingress_routes.insert(ctx.ingress_routes.end(), routes.begin(), routes.end());
  return {};
}

constexpr std::array plane_table{
    plane_spec{"testkit",
               "counter entities that exercise the runtime (POST /v1/testkit/counters/KEY)",
               start_testkit},
    plane_spec{"sr",
               "Scenario Runner: run ledger, READY, active run (POST /v1/sr/runs, GET "
               "/v1/sr/runs/ID, GET /v1/sr/active)",
               start_sr_plane, true},
    plane_spec{"ig",
               "Ingestion Gate: POST /v1/ingest and /v1/ingest/batch (X-API-Key), READY consumer",
               start_ig, true},
    plane_spec{"wsp", "World Streamer Producer: READY consumer streaming the world to IG",
               start_wsp},
};

} // namespace

bool ingress_key_allowed(const plane_context& ctx, const http_request& r) {
  return !ctx.profile.wiring.ingress.require_api_key || api_key_in(r.api_key, ctx.api_keys);
}

std::span<const plane_spec> known_planes() {
  return plane_table;
}

namespace {

/// The table row of `policy.planes[i]`, or the error naming it.
expected<const plane_spec*> plane_at(const profile& prof, std::size_t i) {
  const auto& names = prof.policy.planes;
  const plane_spec* spec = nullptr;
  std::string known;
  for (auto& p : plane_table) {
    if (p.name == names[i])
      spec = &p;
    known += (known.empty() ? "" : ", ") + std::string(p.name);
  }
  auto where = prof.source.string() + ": policy.planes[" + std::to_string(i) + "]: ";
  if (spec == nullptr)
    return error{errc::unknown_plane, where + "unknown plane " + schemas::quote_value(names[i]) +
                                          " (known: " + known + ")"};
  for (std::size_t k = 0; k < i; ++k)
    if (names[k] == names[i])
      return error{errc::unknown_plane, where + "plane " + names[i] + " is named twice"};
  return spec;
}

} // namespace

expected<void> check_planes(const profile& prof) {
  for (std::size_t i = 0; i < prof.policy.planes.size(); ++i)
    if (auto spec = plane_at(prof, i); !spec)
      return std::move(spec).error();
  return {};
}

bool planes_use_api_keys(const profile& prof) {
  for (std::size_t i = 0; i < prof.policy.planes.size(); ++i)
    if (auto spec = plane_at(prof, i); spec && (*spec)->uses_api_keys)
      return true;
  return false;
}

expected<void> start_planes(plane_context& ctx) {
  for (std::size_t i = 0; i < ctx.profile.policy.planes.size(); ++i) {
    auto spec = plane_at(ctx.profile, i);
    if (!spec)
      return std::move(spec).error();
    if (auto ok = (*spec)->start(ctx); !ok)
      return ok;
  }
  return {};
}

} // namespace fp::cluster
