#include "actors/ingress/world/errc.hpp"

namespace fp::world {

std::string to_string(errc code) {
  switch (code) {
  case errc::bad_parameter:
    return "bad_parameter";
  case errc::io_error:
    return "io_error";
  case errc::conflict:
    return "conflict";
  case errc::drift:
    return "drift";
  case errc::not_found:
    return "not_found";
  case errc::corrupt:
    return "corrupt";
  }
  return "unknown";
}

} // namespace fp::world
