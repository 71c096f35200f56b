#pragma once

#include "schemas/error.hpp"

#include <string>

namespace fp::cluster {

/// Why the node refused to start or an HTTP request was refused.
enum class errc {
  bad_profile = 1, ///< a profile key is unknown, mistyped, out of range or missing
  bad_secret,      ///< the admin token's file or variable is missing, empty or unreadable
  unknown_plane,   ///< `policy.planes` names a plane this build does not have
  bind_failed,     ///< an HTTP server could not bind its address and port
  io,              ///< a node file (ports file, profile) could not be read or written
  bad_parameter,   ///< an HTTP path, query or body field breaks its rule (400)
  not_found,       ///< no such entity type, entity or stream (404)
  unauthorized,    ///< a missing or wrong bearer token (401)
};

std::string to_string(errc code);

} // namespace fp::cluster

template <>
struct fp::error_domain<fp::cluster::errc> {
  static constexpr const char* name = "cluster";
};
