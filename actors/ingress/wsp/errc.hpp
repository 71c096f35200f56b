#pragma once

#include "schemas/error.hpp"

#include <string>

namespace fp::wsp {

/// Why the World Streamer Producer refused a READY or stopped an output.
enum class errc {
  bad_ready = 1,   ///< the READY record is not a READY this WSP can act on
  view_missing,    ///< the run_facts_view READY points at cannot be read
  view_mismatch,   ///< the view's bytes, pins or delivery mode disagree with READY
  plan_mismatch,   ///< the WSP policy files disagree with the view, or the plan hash differs
  part_corrupt,    ///< a part file's bytes, rows or event ids disagree with the view
  io_error,        ///< a file could not be read or written
  rejected,        ///< IG answered a non-retryable 4xx
  retry_exhausted, ///< an event's retry budget ran out
  stopped,         ///< the streamer was asked to stop
  bad_option,      ///< a knob is out of range
};

std::string to_string(errc code);

} // namespace fp::wsp

template <>
struct fp::error_domain<fp::wsp::errc> {
  static constexpr const char* name = "wsp";
};
