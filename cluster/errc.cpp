#include "cluster/errc.hpp"

namespace fp::cluster {

std::string to_string(errc code) {
  switch (code) {
  case errc::bad_profile:
    return "bad_profile";
  case errc::bad_secret:
    return "bad_secret";
  case errc::unknown_plane:
    return "unknown_plane";
  case errc::bind_failed:
    return "bind_failed";
  case errc::io:
    return "io";
  case errc::bad_parameter:
    return "bad_parameter";
  case errc::not_found:
    return "not_found";
  case errc::unauthorized:
    return "unauthorized";
  }
  return "unknown";
}

} // namespace fp::cluster
