#pragma once

// The workers: `concurrency` threads take the plan's outputs in order and stream each one's
// rows to IG over HTTP (one keep-alive client a worker), resuming from the output's
// checkpoint. Every row becomes the canonical envelope with its world `event_id`; retries
// send the same bytes. The streamer never touches the bus.

#include "actors/ingress/wsp/store.hpp"
#include "actors/ingress/wsp/types.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace fp::wsp {

class streamer {
public:
  /// `store` must outlive the streamer.
  streamer(run_plan plan, stream_options opts, progress_store& store);
  ~streamer();
  streamer(const streamer&) = delete;
  streamer& operator=(const streamer&) = delete;

  /// Starts the workers (once).
  void start();
  /// Waits until every worker has ended: each output done or stopped, or `stop` was called.
  void wait();
  /// Waits at most `d` for the workers to end; true (and joined) when they all have.
  bool wait_for(std::chrono::milliseconds d);
  /// Asks the workers to end promptly (sleeps and backoffs are interrupted; a request in
  /// flight finishes or times out). Outputs not finished keep their checkpoint and resume
  /// on the next run.
  void stop();

  const run_plan& plan() const { return plan_; }
  std::vector<output_status> status() const;
  /// Whether every output ended done or stopped (not interrupted by `stop`).
  bool complete() const;

private:
  struct slot {
    mutable std::mutex mu;
    output_status status;
  };
  void work();
  void run_output(std::size_t i);
  /// Waits `d`; false when a stop interrupted it.
  bool sleep_for(std::chrono::microseconds d);

  run_plan plan_;
  stream_options opts_;
  progress_store& store_;
  std::vector<std::unique_ptr<slot>> slots_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> stopping_{false};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::condition_variable ended_cv_;
  std::size_t ended_ = 0; ///< workers that returned (under stop_mu_)
};

} // namespace fp::wsp
