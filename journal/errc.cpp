#include "journal/errc.hpp"

namespace fp::journal {

std::string to_string(errc code) {
  switch (code) {
  case errc::seq_conflict:
    return "seq_conflict";
  case errc::map_full:
    return "map_full";
  case errc::io:
    return "io";
  case errc::too_large:
    return "too_large";
  case errc::corrupt:
    return "corrupt";
  case errc::invalid_argument:
    return "invalid_argument";
  case errc::object_conflict:
    return "object_conflict";
  case errc::not_found:
    return "not_found";
  case errc::closed:
    return "closed";
  case errc::read_only:
    return "read_only";
  }
  return "unknown";
}

} // namespace fp::journal
