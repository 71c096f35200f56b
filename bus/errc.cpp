#include "bus/errc.hpp"

namespace fp::bus {

std::string to_string(errc code) {
  switch (code) {
  case errc::unknown_topic:
    return "unknown_topic";
  case errc::topic_exists:
    return "topic_exists";
  case errc::invalid_argument:
    return "invalid_argument";
  case errc::too_large:
    return "too_large";
  case errc::timeout:
    return "timeout";
  case errc::broker:
    return "broker";
  case errc::not_assigned:
    return "not_assigned";
  case errc::offset_out_of_range:
    return "offset_out_of_range";
  case errc::io:
    return "io";
  case errc::corrupt:
    return "corrupt";
  case errc::closed:
    return "closed";
  case errc::offset_moved:
    return "offset_moved";
  }
  return "unknown";
}

} // namespace fp::bus
