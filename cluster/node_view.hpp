#pragma once

// What the admin API reads of a running node: its entity types, planes, journal and HTTP
// counters. The node implements it over the runtime; tests implement it with fakes.

#include "actors/core/runtime.hpp"
#include "bus/event_bus.hpp"
#include "cluster/health.hpp"
#include "cluster/metrics_text.hpp"
#include "journal/journal.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fp::cluster {

/// Requests a server answered with one status code.
struct http_count {
  std::string server; ///< `admin`, `ingress`
  int code = 0;
  std::uint64_t count = 0;
};

/// How long a server's handler took on one route's requests (from the request read to the
/// answer ready; the network time of either is not in it).
struct http_latency {
  /// Bucket bounds in seconds (Prometheus `le`).
  static constexpr std::array<double, 14> seconds_le{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  std::string server; ///< `admin`, `ingress`
  std::string method; ///< GET, POST, ...
  std::string route;  ///< the route's path with each variable part as `*`
  /// `cumulative[i]`: requests that took at most `seconds_le[i]`; the last is all of them.
  std::array<std::uint64_t, seconds_le.size() + 1> cumulative{};
  double sum_seconds = 0;
};

class node_view {
public:
  virtual ~node_view() = default;
  virtual std::vector<const actors::entity_type_view*> types() const = 0;
  virtual const actors::entity_type_view* type(std::string_view name) const = 0;
  virtual const std::vector<std::string>& planes() const = 0;
  virtual const journal::journal& journal() const = 0;
  virtual bool stopping() const = 0;
  /// The event bus: which backend, whether the last probe reached it, its counters.
  virtual bus_status bus() const = 0;
  /// The bus's topics with their partitions' low/high offsets (`not_found` with no bus).
  virtual expected<std::vector<bus::topic_info>> bus_topics() const;
  /// A consumer group's checkpoints and lag on `topic`.
  virtual expected<std::vector<bus::partition_lag>> bus_lag(std::string_view group,
                                                            std::string_view topic) const;
  /// Up to `limit` records of one partition from offset `from`, read without a group
  /// (admin_browse.cpp; `not_found` with no bus).
  virtual expected<std::vector<bus::message>> bus_records(std::string_view topic,
                                                          std::int32_t partition, std::int64_t from,
                                                          std::size_t limit) const;
  /// An object's ref and bytes, verified against its digest (`not_found` with no store).
  virtual expected<std::pair<artifact_ref, std::string>> object(std::string_view path) const;
  virtual std::vector<http_count> http_counts() const = 0;
  /// Handler durations by server and route, for the routes that have answered (none by default).
  virtual std::vector<http_latency> http_latencies() const { return {}; }
  /// The planes' own metric families (none by default).
  virtual std::vector<metric_family> plane_metrics() const { return {}; }
  /// The planes' health reasons, appended to `red` and `amber` (none by default).
  virtual void plane_health(std::vector<std::string>& /*red*/,
                            std::vector<std::string>& /*amber*/) const {}
};

} // namespace fp::cluster
