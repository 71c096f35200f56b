#pragma once

// The testkit plane's ingress route:
//
//   POST /v1/testkit/counters/{key}   {"op":"add"|"get"|"crash","amount":N,"at":"RFC 3339"}
//     200 {"value","adds"} once the add's event is durable; 400 bad body (names the field),
//     413 body too large, 422 rejected, 409 quarantined, 503 crashed/stopped, 504 timeout.

#include "actors/core/region.hpp"
#include "actors/testkit/counter.hpp"
#include "cluster/http_types.hpp"

#include <cstdint>
#include <vector>

namespace fp::cluster {

/// The command a request body asks for, or a 400 error naming the field and the rule.
expected<testkit::counter_command> parse_counter_command(std::string_view body);

std::vector<http_route> testkit_routes(actors::entity_client<testkit::counter_def> counters,
                                       std::uint32_t timeout_ms);

} // namespace fp::cluster
