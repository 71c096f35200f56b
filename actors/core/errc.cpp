#include "actors/core/errc.hpp"

namespace fp::actors {

std::string to_string(errc code) {
  switch (code) {
  case errc::rejected:
    return "rejected";
  case errc::quarantined:
    return "quarantined";
  case errc::crashed:
    return "crashed";
  case errc::persist_failed:
    return "persist_failed";
  case errc::recovery_failed:
    return "recovery_failed";
  case errc::unknown_type:
    return "unknown_type";
  case errc::bad_key:
    return "bad_key";
  case errc::stopped:
    return "stopped";
  }
  return "unknown";
}

} // namespace fp::actors
