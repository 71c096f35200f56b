#pragma once

// The planes a node can run, one table: a profile's `policy.planes` names rows of it. Each
// plane starts its entity regions in the runtime and adds its ingress HTTP routes.

#include "actors/core/runtime.hpp"
#include "cluster/http_types.hpp"
#include "cluster/profile.hpp"
#include "schemas/expected.hpp"

#include <span>
#include <string_view>
#include <vector>

namespace fp::cluster {

struct plane_context {
  actors::runtime& runtime;
  const cluster::profile& profile;
  std::vector<http_route>& ingress_routes; ///< the plane appends its routes here
};

struct plane_spec {
  std::string_view name;
  std::string_view summary;
  expected<void> (*start)(plane_context& ctx);
};

std::span<const plane_spec> known_planes();

/// Checks `policy.planes` against the table without starting anything (the node does this
/// before any side effect), with the errors `start_planes` would give.
expected<void> check_planes(const profile& prof);

/// Starts every plane the profile names, in order. An unknown name stops the node:
/// `FILE: policy.planes[I]: unknown plane "x" (known: testkit)` (`errc::unknown_plane`).
expected<void> start_planes(plane_context& ctx);

} // namespace fp::cluster
