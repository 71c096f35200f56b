#pragma once

// The planes a node can run, one table: a profile's `policy.planes` names rows of it. Each
// plane starts its entity regions in the runtime and adds its ingress HTTP routes.

#include "actors/core/runtime.hpp"
#include "bus/event_bus.hpp"
#include "cluster/http_types.hpp"
#include "cluster/metrics_text.hpp"
#include "cluster/profile.hpp"
#include "journal/object_store.hpp"
#include "schemas/expected.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fp::cluster {

/// Where the node's servers listen once bound (port 0 in a profile picks a free one).
struct served_endpoints {
  std::string ingress_url; ///< `http://BIND:PORT` (loopback when bound to any address)
  std::uint16_t admin_port = 0;
  std::uint16_t ingress_port = 0;
};

/// What a running plane adds to the node; every member is optional.
struct plane_hooks {
  std::string plane;
  /// Metric families for /metrics (names `fp_<plane>_<counter>_total`, DESIGN.md section 6).
  std::function<std::vector<metric_family>()> metrics;
  /// Health reasons for /healthz: RED ones (not serving correctly) and AMBER ones.
  std::function<void(std::vector<std::string>& red, std::vector<std::string>& amber)> health;
  /// Called once both servers are bound, before the node reports itself started.
  std::function<expected<void>(const served_endpoints&)> serving;
  /// Called at a stop after the ingress server stopped and before the runtime shuts down, in
  /// reverse start order: stop consumers and workers, let in-flight work finish.
  std::function<void()> stop;
};

struct plane_context {
  actors::runtime& runtime;
  const cluster::profile& profile;
  std::vector<http_route>& ingress_routes; ///< the plane appends its routes here
  std::vector<http_route>& admin_routes;   ///< read-only inspection routes (admin API)
  bus::event_bus& bus;                     ///< the node's event bus (embedded or kafka)
  journal::object_store& objects;          ///< the write-once object store
  /// The ingress API key allowlist (`wiring.ingress`); empty when keys are not required.
  const std::vector<std::string>& api_keys;
  std::string service_release_id;  ///< the git SHA the node was built from
  std::vector<plane_hooks>& hooks; ///< the plane appends its hooks here
};

/// Whether a request may use the ingress routes: true when the node requires no API key,
/// else when its `X-API-Key` is on the allowlist (compared in constant time).
bool ingress_key_allowed(const plane_context& ctx, const http_request& r);

struct plane_spec {
  std::string_view name;
  std::string_view summary;
  expected<void> (*start)(plane_context& ctx);
  bool uses_api_keys = false; ///< its ingress routes check `X-API-Key` (wiring.ingress)
};

std::span<const plane_spec> known_planes();

/// Checks `policy.planes` against the table without starting anything (the node does this
/// before any side effect), with the errors `start_planes` would give.
expected<void> check_planes(const profile& prof);

/// Whether a plane the profile names checks ingress API keys (then the node must read them).
bool planes_use_api_keys(const profile& prof);

/// Starts every plane the profile names, in order. An unknown name stops the node:
/// `FILE: policy.planes[I]: unknown plane "x" (known: testkit)` (`errc::unknown_plane`).
expected<void> start_planes(plane_context& ctx);

} // namespace fp::cluster
