#pragma once

// Internal to actors/: the CAF side of the runtime. Included only by .cpp files that
// register an entity type (through region_impl.hpp) and by runtime.cpp.

#include "actors/core/runtime.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <atomic>
#include <deque>
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

namespace detail {

/// Caps how many entities of one region recover at once. A shard takes a permit per entity it
/// recovers (a batch takes several); one that cannot get any waits for one (its entities'
/// commands stash meanwhile); `release` hands a permit to the next waiter.
class recovery_gate {
public:
  explicit recovery_gate(std::uint32_t cap)
      : cap_(cap == 0 ? 1 : cap) {}

  /// Up to `want` permits at once (a shard recovers its waiting entities as one batch). When
  /// none is free and `wake` is set, `wake` runs once one is, holding that one permit.
  std::uint32_t acquire(std::uint32_t want, const std::function<void()>& wake) {
    std::lock_guard guard{mu_};
    auto n = std::min(want, cap_ > in_use_ ? cap_ - in_use_ : 0u);
    if (n > 0) {
      in_use_ += n;
      high_water_ = std::max(high_water_, in_use_);
      return n;
    }
    if (wake)
      waiters_.push_back(wake);
    return 0;
  }

  void release(std::uint32_t n) {
    for (std::uint32_t i = 0; i < n; ++i)
      release();
  }

  void release() {
    std::function<void()> next;
    {
      std::lock_guard guard{mu_};
      if (waiters_.empty()) {
        --in_use_;
        return;
      }
      next = std::move(waiters_.front());
      waiters_.pop_front();
    }
    next(); // the permit passes on; in_use_ is unchanged
  }

  std::uint32_t high_water() const {
    std::lock_guard guard{mu_};
    return high_water_;
  }

private:
  mutable std::mutex mu_;
  std::uint32_t cap_;
  std::uint32_t in_use_ = 0;
  std::uint32_t high_water_ = 0;
  std::deque<std::function<void()>> waiters_;
};

} // namespace detail
} // namespace fp::actors
