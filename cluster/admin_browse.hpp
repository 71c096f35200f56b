#pragma once

// Read-only browsing of the bus and the object store through the admin API (for `fp wsp run`
// and operators):
//
//   GET /admin/bus/topics/{topic}/records?partition=P&from=N&limit=L
//       {"topic","partition","from","high","records":[{"offset","timestamp_ms","key",
//        "headers":[{"key","value"}],"value"|"value_base64"}],"next_from"}
//       (text when the bytes are UTF-8, else base64; limit 1..1000, default 100)
//   GET /admin/objects/{path}
//       the object's bytes; `X-Object-Sha256` (and `X-Object-Schema-Version`) headers

#include "bus/event_bus.hpp"
#include "cluster/http_types.hpp"
#include "cluster/node_view.hpp"

#include <chrono>

namespace fp::cluster {

http_response bus_records_route(const node_view& node, const http_request& r);
http_response object_route(const node_view& node, const http_request& r);

/// Reads up to `limit` records of `topic`/`partition` from `from` with a group-less consumer,
/// stopping at the partition's high offset (what `node_view::bus_records` does on a node).
expected<std::vector<bus::message>> read_partition(bus::event_bus& bus, std::string_view topic,
                                                   std::int32_t partition, std::int64_t from,
                                                   std::size_t limit);

/// `bytes` as base64 (RFC 4648, padded); whether `bytes` is valid UTF-8.
std::string base64(std::string_view bytes);
bool is_utf8(std::string_view bytes);

} // namespace fp::cluster
