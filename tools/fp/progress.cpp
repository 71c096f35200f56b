#include "tools/fp/progress.hpp"

#include <cstdio>
#include <unistd.h>

namespace fp::tools {

namespace {

constexpr auto redraw_every = std::chrono::milliseconds(100);
constexpr int bar_width = 30;

} // namespace

bool progress::enabled() {
  static const bool tty = ::isatty(STDERR_FILENO) == 1;
  return tty;
}

progress::progress(std::string label, std::uint64_t total)
    : label_(std::move(label))
    , total_(total)
    , start_(std::chrono::steady_clock::now())
    , last_draw_(start_ - redraw_every) {} // the first update draws at once

progress::~progress() {
  finish();
}

void progress::add(std::uint64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  maybe_draw();
}

void progress::set(std::uint64_t done) {
  done_.store(done, std::memory_order_relaxed);
  maybe_draw();
}

void progress::finish() {
  if (finished_.exchange(true) || !enabled())
    return;
  std::lock_guard guard{draw_mu_};
  if (drawn_)
    std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
}

void progress::maybe_draw() {
  if (!enabled() || finished_.load(std::memory_order_relaxed))
    return;
  std::unique_lock guard{draw_mu_, std::try_to_lock};
  if (!guard.owns_lock())
    return; // another thread is drawing; skip this update
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < redraw_every)
    return;
  last_draw_ = now;
  drawn_ = true;
  auto done = done_.load(std::memory_order_relaxed);
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  if (total_ == 0) {
    std::fprintf(stderr, "\r\033[K%s %llu (%.0f/s)", label_.c_str(),
                 static_cast<unsigned long long>(done), rate);
  } else {
    double frac = done >= total_ ? 1.0 : static_cast<double>(done) / static_cast<double>(total_);
    int filled = static_cast<int>(frac * bar_width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(bar_width - filled), '.');
    std::fprintf(stderr, "\r\033[K%s [%s] %3.0f%% %llu/%llu (%.0f/s)", label_.c_str(), bar.c_str(),
                 frac * 100, static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total_), rate);
  }
  std::fflush(stderr);
}

} // namespace fp::tools
