#pragma once

// Internal to actors/: the CAF side of the runtime. Included only by .cpp files that
// register an entity type (through region_impl.hpp) and by runtime.cpp.

#include "actors/core/runtime.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

namespace fp::actors {

struct runtime::impl {
  journal::journal* journal = nullptr;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> system;

  mutable std::mutex types_mu;
  std::vector<std::unique_ptr<entity_type_view>> views;
  std::vector<std::function<void()>> stop_hooks; ///< each region's "stop your actors"

  std::atomic<bool> stopping{false};
  std::atomic<std::int64_t> in_flight{0}; ///< commands accepted and not yet answered
  /// Held while an effect's `seal` runs and its append is queued (effect<E>::seal).
  std::mutex effects_mu;

  void add_view(std::unique_ptr<entity_type_view> v, std::function<void()> stop_hook);
};

} // namespace fp::actors
