#pragma once

// Worker threads that run in time slices, so that a measurement and its baseline can be
// interleaved (ours, baseline, ours, baseline, ...) on a machine whose disk speed drifts.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fp::bench {

/// `n` threads; during a slice each calls `step(i)` in a loop, between slices they park. A
/// `step` that returns false stops its thread's work for good (it keeps parking, so slices
/// still end); the caller records why.
class sliced_workers {
public:
  sliced_workers(int n, std::function<bool(int)> step)
      : n_(n)
      , step_(std::move(step)) {
    threads_.reserve(n);
    for (int i = 0; i < n; ++i)
      threads_.emplace_back([this, i] { work(i); });
  }

  ~sliced_workers() {
    {
      std::lock_guard lock{mu_};
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      t.join();
  }

  sliced_workers(const sliced_workers&) = delete;
  sliced_workers& operator=(const sliced_workers&) = delete;

  /// Runs every worker for `seconds`, then waits until all have finished their current step.
  /// Returns the wall time from start until the last one parked.
  double run_slice(double seconds) {
    auto t0 = std::chrono::steady_clock::now();
    {
      std::lock_guard lock{mu_};
      parked_ = 0;
      running_ = true;
      ++epoch_;
    }
    cv_.notify_all();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    running_ = false;
    std::unique_lock lock{mu_};
    done_cv_.wait(lock, [&] { return parked_ == n_; });
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

private:
  void work(int i) {
    std::uint64_t seen = 0;
    bool failed = false;
    for (;;) {
      {
        std::unique_lock lock{mu_};
        cv_.wait(lock, [&] { return quit_ || epoch_ != seen; });
        if (quit_)
          return;
        seen = epoch_;
      }
      while (!failed && running_.load(std::memory_order_relaxed))
        failed = !step_(i);
      std::lock_guard lock{mu_};
      if (++parked_ == n_)
        done_cv_.notify_one();
    }
  }

  const int n_;
  std::function<bool(int)> step_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::uint64_t epoch_ = 0;
  int parked_ = 0;
  bool quit_ = false;
  std::atomic<bool> running_{false};
  std::vector<std::thread> threads_;
};

} // namespace fp::bench
