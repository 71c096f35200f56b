#pragma once

#include "schemas/error.hpp"

#include <string>

namespace fp::ig {

/// Why the Ingestion Gate refused a request or a policy, or could not finish an admission.
enum class errc {
  bad_policy = 1,  ///< a class map, partitioning profile or payload schema breaks its rule
  bad_request,     ///< the request cannot be parsed or sized (nothing was written)
  unauthorized,    ///< no or an unknown API key (nothing was written)
  stopping,        ///< the node is stopping; retry elsewhere or later
  bus_unavailable, ///< the publish failed or is unresolved; retry with the same event_id
  timeout,         ///< no outcome within the request's time; retry with the same event_id
  internal,        ///< the journal or object store failed; retry with the same event_id
};

std::string to_string(errc code);

} // namespace fp::ig

template <>
struct fp::error_domain<fp::ig::errc> {
  static constexpr const char* name = "ig";
};
