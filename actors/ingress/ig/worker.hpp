#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace fp::ig {

/// One thread running posted tasks in order, and timed tasks at their deadline (the gate's
/// publish timers and its blocking bus scans, kept off actor and bus threads).
class worker {
public:
  using clock = std::chrono::steady_clock;
  using task = std::function<void()>;

  explicit worker(std::string name)
      : name_(std::move(name))
      , thread_([this] { run(); }) {}
  ~worker() { stop(); }

  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  void post(task t) { post_at(clock::time_point::min(), std::move(t)); }

  void post_at(clock::time_point when, task t) {
    {
      std::lock_guard lock(mu_);
      if (stopped_)
        return;
      tasks_.emplace(std::make_pair(when, seq_++), std::move(t));
    }
    cv_.notify_one();
  }

  /// Drops the tasks not yet started and joins the thread. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      tasks_.clear();
    }
    cv_.notify_one();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
      thread_.join();
  }

private:
  void run() {
    std::unique_lock lock(mu_);
    while (!stopped_) {
      if (tasks_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto it = tasks_.begin();
      if (it->first.first > clock::now()) {
        cv_.wait_until(lock, it->first.first);
        continue;
      }
      auto t = std::move(it->second);
      tasks_.erase(it);
      lock.unlock();
      t();
      lock.lock();
    }
  }

  std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::pair<clock::time_point, std::uint64_t>, task> tasks_;
  std::uint64_t seq_ = 0;
  bool stopped_ = false;
  std::thread thread_;
};

} // namespace fp::ig
