#pragma once

#include "schemas/error.hpp"

#include <string>

namespace fp::actors {

/// Why the entity runtime did not apply a command.
enum class errc {
  rejected = 1,    ///< the entity's handler refused the command (its message says why)
  quarantined,     ///< the entity crashed K times on one command and takes no more commands
  crashed,         ///< the entity crashed on this command; it was restarted from its journal
  persist_failed,  ///< the journal refused or failed the append; the entity reloaded
  recovery_failed, ///< the entity's journal could not be read or decoded
  unknown_type,    ///< no entity type of that name is registered
  bad_key,         ///< an empty or over-long entity key
  stopped,         ///< the runtime is shutting down and takes no new commands
};

std::string to_string(errc code);

} // namespace fp::actors

template <>
struct fp::error_domain<fp::actors::errc> {
  static constexpr const char* name = "actors";
};
