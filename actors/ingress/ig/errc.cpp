#include "actors/ingress/ig/errc.hpp"

namespace fp::ig {

std::string to_string(errc code) {
  switch (code) {
  case errc::bad_policy:
    return "bad_policy";
  case errc::bad_request:
    return "bad_request";
  case errc::unauthorized:
    return "unauthorized";
  case errc::stopping:
    return "stopping";
  case errc::bus_unavailable:
    return "bus_unavailable";
  case errc::timeout:
    return "timeout";
  case errc::internal:
    return "internal";
  }
  return "unknown";
}

} // namespace fp::ig
