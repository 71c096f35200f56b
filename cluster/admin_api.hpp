#pragma once

// The node's read-only admin API (JSON) and its Prometheus metrics. Routes, with shapes in
// cluster/README.md:
//
//   GET /healthz                              {"status","reasons"}; 503 when RED
//   GET /metrics                              Prometheus text 0.0.4
//   GET /admin/planes                         {"planes":[{"name","entity_types":[...]}]}
//   GET /admin/entities/{type}?state&after&limit
//   GET /admin/entities/{type}/{key}          the entity as its journal holds it
//   GET /admin/journal/{persistence_id}?from&limit
//   GET /admin/bus                            {"backend","reachable","topics":[...offsets]}
//   GET /admin/bus/groups/{group}/lag?topic   a consumer group's checkpoints and lag
//   GET /admin/bus/topics/{topic}/records     a partition's records (admin_browse.hpp)
//   GET /admin/objects/{path}                 an object's bytes (admin_browse.hpp)
//
// Bad parameters answer 400, unknown types and entities 404, other methods 405 (the server
// does that), each with `{"error":{"code","message"}}`.

#include "cluster/http_types.hpp"
#include "cluster/metrics_text.hpp"
#include "cluster/node_view.hpp"

#include <vector>

namespace fp::cluster {

std::vector<http_route> admin_routes(const node_view& node);

/// Every metric family the node exports, read now.
std::vector<metric_family> node_metrics(const node_view& node);

} // namespace fp::cluster
