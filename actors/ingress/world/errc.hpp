#pragma once

#include "schemas/error.hpp"

#include <string>

namespace fp::world {

/// Why `fp world` refused or failed.
enum class errc {
  bad_parameter = 1, ///< a generation parameter breaks its rule (the message names it)
  io_error,          ///< a file or directory could not be created, written or read
  conflict,          ///< a sealed world exists at the path with different content
  drift,             ///< the same seed and parameter_hash were sealed with other bytes
  not_found,         ///< no sealed world where one was expected
  corrupt,           ///< a sealed world fails verification (digest, count, order, receipt)
};

std::string to_string(errc code);

} // namespace fp::world

template <>
struct fp::error_domain<fp::world::errc> {
  static constexpr const char* name = "world";
};
