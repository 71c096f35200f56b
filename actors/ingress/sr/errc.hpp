#pragma once

#include "schemas/error.hpp"

#include <string>

namespace fp::sr {

/// Why the Scenario Runner refused or failed a run. Refusals change nothing.
enum class errc {
  bad_request = 1, ///< a request field breaks its rule (the message names it)
  bad_policy,      ///< a WSP outputs policy file is unreadable or breaks its shape
  world_not_found, ///< no sealed world under oracle_root matches the selection
  world_ambiguous, ///< several worlds match; the message lists the candidates
  gate_refused,    ///< no gate receipt, not PASS, or the receipt disagrees with the manifest
  drift,           ///< the run exists with other inputs, or a ledger path holds other bytes
  store_failed,    ///< the object store failed a ledger write or read
  bus_failed,      ///< producing READY failed
  entity_failed,   ///< an SR entity refused or failed a command
};

std::string to_string(errc code);

} // namespace fp::sr

template <>
struct fp::error_domain<fp::sr::errc> {
  static constexpr const char* name = "sr";
};
