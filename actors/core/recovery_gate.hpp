#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace fp::actors::detail {

/// Caps how many entities of one region recover at once. A shard takes a permit per entity it
/// recovers (a batch takes several); one that cannot get any waits (its entities' commands
/// stash meanwhile). Permits given back are shared evenly among the waiters, in the order they
/// came, so that each recovers a batch rather than one entity, side by side with the others; a
/// waiter given more than it needs passes the rest on.
class recovery_gate {
public:
  explicit recovery_gate(std::uint32_t cap)
      : cap_(cap == 0 ? 1 : cap) {}

  /// Up to `want` permits at once (a shard recovers its waiting entities as one batch). When
  /// none is free and `wake` is set, `wake(n)` runs once some are, holding those `n` permits.
  std::uint32_t acquire(std::uint32_t want, const std::function<void(std::uint32_t)>& wake) {
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
    // Shared evenly among the waiters, so that they recover side by side.
    std::vector<std::pair<std::function<void(std::uint32_t)>, std::uint32_t>> woken;
    {
      std::lock_guard guard{mu_};
      if (waiters_.empty()) {
        in_use_ -= n;
        return;
      }
      auto share = (n + static_cast<std::uint32_t>(waiters_.size()) - 1) /
                   static_cast<std::uint32_t>(waiters_.size());
      while (n > 0 && !waiters_.empty()) {
        auto k = std::min(n, share);
        woken.emplace_back(std::move(waiters_.front()), k);
        waiters_.pop_front();
        n -= k;
      }
      in_use_ -= n;
    }
    for (auto& [wake, k] : woken)
      wake(k); // the permits pass on; in_use_ counts them still
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
  std::deque<std::function<void(std::uint32_t)>> waiters_;
};

} // namespace fp::actors::detail
