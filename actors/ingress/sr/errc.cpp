#include "actors/ingress/sr/errc.hpp"

namespace fp::sr {

std::string to_string(errc code) {
  switch (code) {
  case errc::bad_request:
    return "bad_request";
  case errc::bad_policy:
    return "bad_policy";
  case errc::world_not_found:
    return "world_not_found";
  case errc::world_ambiguous:
    return "world_ambiguous";
  case errc::gate_refused:
    return "gate_refused";
  case errc::drift:
    return "drift";
  case errc::store_failed:
    return "store_failed";
  case errc::bus_failed:
    return "bus_failed";
  case errc::entity_failed:
    return "entity_failed";
  }
  return "unknown";
}

} // namespace fp::sr
