#include "actors/ingress/wsp/errc.hpp"

namespace fp::wsp {

std::string to_string(errc code) {
  switch (code) {
  case errc::bad_ready:
    return "bad_ready";
  case errc::view_missing:
    return "view_missing";
  case errc::view_mismatch:
    return "view_mismatch";
  case errc::plan_mismatch:
    return "plan_mismatch";
  case errc::part_corrupt:
    return "part_corrupt";
  case errc::io_error:
    return "io_error";
  case errc::rejected:
    return "rejected";
  case errc::retry_exhausted:
    return "retry_exhausted";
  case errc::stopped:
    return "stopped";
  case errc::bad_option:
    return "bad_option";
  }
  return "unknown";
}

} // namespace fp::wsp
