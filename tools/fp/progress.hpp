#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace fp::tools {

/// A progress bar on stderr for long scans and writes. It draws only when stderr is a
/// terminal, so pipes, log files and CI see nothing of it. `add` and `set` may be called
/// from many threads; redraws are throttled to ten a second.
class progress {
public:
  /// `total` 0 means unknown: a counter and a rate are drawn instead of a bar.
  progress(std::string label, std::uint64_t total);
  ~progress();

  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;

  void add(std::uint64_t n = 1);
  void set(std::uint64_t done);
  /// Erases the bar; later calls draw nothing.
  void finish();

  /// Whether bars are drawn at all (stderr is a terminal).
  static bool enabled();

private:
  void maybe_draw();

  std::string label_;
  std::uint64_t total_;
  std::atomic<std::uint64_t> done_{0};
  std::atomic<bool> finished_{false};
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex draw_mu_;
  bool drawn_ = false;
};

} // namespace fp::tools
